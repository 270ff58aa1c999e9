using System.Security;
using Microsoft.Extensions.Options;
using VoiceBridge.Sessions;

namespace VoiceBridge.Telephony;

/// <summary>
/// <c>POST /twilio/voice</c>, the number's voice webhook: a request whose <c>X-Twilio-Signature</c> verifies gets the
/// TwiML that connects the call to <c>/twilio/media</c>, with a single-use token bound to its <c>CallSid</c>.
/// Anything else gets 403 and nothing happens.
/// </summary>
internal static class TwilioVoiceEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, IOptions<TwilioOptions> options, TwilioCallTokens tokens, ILogger<TwilioCallTokens> logger)
    {
        var twilio = options.Value;
        var request = context.Request;
        var form = request.HasFormContentType ? await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
        // Every value of a repeated name, as Twilio signs them (not the comma-joined string).
        var fields = form?.SelectMany(static p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty))).ToList();
        var url = TwilioUrls.Requested(twilio.PublicUrl!, request, webSocket: false);
        if (!TwilioSignature.Verify(twilio.AuthToken!, request.Headers[TwilioSignature.Header], url, fields))
        {
            TelephonyLog.Refused(logger, TwilioUrls.VoicePath, "bad_signature", VoiceEndpoint.ClientAddress(context));
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        var callSid = form?["CallSid"].ToString();
        if (string.IsNullOrEmpty(callSid))
        {
            TelephonyLog.Refused(logger, TwilioUrls.VoicePath, "no_call_sid", VoiceEndpoint.ClientAddress(context));
            return Results.StatusCode(StatusCodes.Status400BadRequest);
        }

        var token = await tokens.MintAsync(callSid).ConfigureAwait(false);
        TelephonyLog.CallAnswered(logger, callSid);
        var twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect><Stream url=\""
            + SecurityElement.Escape(TwilioUrls.Stream(twilio.PublicUrl!))
            + "\"><Parameter name=\"token\" value=\"" + SecurityElement.Escape(token) + "\"/></Stream></Connect></Response>";
        return Results.Content(twiml, "text/xml; charset=utf-8");
    }
}
