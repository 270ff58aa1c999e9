using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tools;

/// <summary>
/// <c>Webhooks:SessionEndedUrl</c>: each session's end is posted once, signed and retried like a tool call, by this
/// service's own delivery loop so that it never delays the close. The body is built when the session ends (its
/// account and its transcript, the <see cref="ConversationRecord"/>); a backlog beyond <see cref="Backlog"/> notices is
/// dropped and counted (<c>outcome="dropped"</c>), never silently.
/// </summary>
internal sealed class SessionEndedWebhook : BackgroundService
{
    public const string Kind = "session_ended";

    /// <summary>Notices waiting for delivery at most; each is a few KB.</summary>
    public const int Backlog = 1000;

    private const int ConcurrentDeliveries = 4;

    private static readonly JsonSerializerOptions AccountOptions = new(JsonSerializerDefaults.Web);

    private readonly Channel<(string SessionId, string Body)> _notices = Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(Backlog)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly WebhookClient _client;
    private readonly WebhookOptions _options;
    private readonly Uri? _url;
    private readonly ILogger<SessionEndedWebhook> _logger;

    public SessionEndedWebhook(WebhookClient client, IOptions<WebhookOptions> options, ILogger<SessionEndedWebhook> logger)
    {
        _client = client;
        _options = options.Value;
        _url = string.IsNullOrEmpty(_options.SessionEndedUrl) ? null : new Uri(_options.SessionEndedUrl);
        _logger = logger;
    }

    /// <summary>Builds the notice of an ended session and queues it; does nothing when <c>SessionEndedUrl</c> is off.</summary>
    public void Enqueue(BridgeSession session)
    {
        if (_url is null)
        {
            return;
        }

        string body;
        try
        {
            body = Build(session, _options.MaxTranscriptItems, session.TimeProvider.GetUtcNow());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            ToolsLog.TaskFailed(_logger, "session-ended notice", e);
            return;
        }

        if (!_notices.Writer.TryWrite((session.Id, body)))
        {
            _client.CountDelivery(Kind, "dropped");
            ToolsLog.SessionEndedDelivered(_logger, session.Id, "dropped");
        }
    }

    /// <summary>The contract's <c>session.ended</c> body.</summary>
    internal static string Build(BridgeSession session, int maxTranscriptItems, DateTimeOffset endedAt)
    {
        var summary = session.Summary();
        var outcome = session.Outcome;
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "session.ended"u8);
            writer.WriteString("session_id"u8, session.Id);
            WriteNullable(writer, "subject"u8, session.Subject);
            writer.WriteString("started_at"u8, Iso(session.StartedAt));
            writer.WriteString("ended_at"u8, Iso(endedAt));
            writer.WriteString("ended_by"u8, EndedBy(outcome));
            writer.WriteString("reason"u8, outcome?.Reason ?? SessionOutcome.InternalError);
            writer.WritePropertyName("account"u8);
            JsonSerializer.Serialize(writer, summary, AccountOptions);
            writer.WriteStartArray("transcript"u8);
            var entries = session.Conversation.Snapshot();
            foreach (var entry in entries.Skip(Math.Max(0, entries.Count - maxTranscriptItems)))
            {
                writer.WriteStartObject();
                if (entry.Role == ConversationRole.Tool)
                {
                    writer.WriteString("role"u8, "tool"u8);
                    writer.WriteString("name"u8, entry.Name);
                    writer.WriteString("call_id"u8, entry.CallId);
                    writer.WriteString("outcome"u8, entry.Outcome ?? "cancelled");
                }
                else
                {
                    writer.WriteString("role"u8, entry.Role == ConversationRole.User ? "user"u8 : "assistant"u8);
                    WriteNullable(writer, "text"u8, entry.Text);
                }

                writer.WriteString("at"u8, Iso(entry.At));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _notices.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(ConcurrentDeliveries);
        var running = new List<Task>();
        try
        {
            await foreach (var (sessionId, body) in _notices.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                running.RemoveAll(static t => t.IsCompleted);
                running.Add(DeliverAsync(sessionId, body, slots, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping: deliveries in flight are cancelled below.
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task DeliverAsync(string sessionId, string body, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            var response = await _client.PostAsync(Kind, Kind, _url!, $"msg_{sessionId}_ended", body, stoppingToken).ConfigureAwait(false);
            ToolsLog.SessionEndedDelivered(_logger, sessionId, WebhookResponse.Label(response.Outcome));
        }
        catch (Exception e)
        {
            ToolsLog.TaskFailed(_logger, "session-ended delivery", e);
        }
        finally
        {
            slots.Release();
        }
    }

    private static string EndedBy(SessionOutcome? outcome) => outcome switch
    {
        null => "bridge",
        { Reason: BridgeErrors.SessionEndedByOperator } => "operator",
        { EndedBy: SessionSide.Browser } => "browser",
        { EndedBy: SessionSide.Upstream } => "upstream",
        _ => "bridge",
    };

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
