using VoiceBridge.Diagnostics;

namespace VoiceBridge.Tests.Diagnostics;

public sealed class PrometheusNamingTests
{
    [Theory]
    [InlineData("voicebridge.frames", "{frame}", true, "voicebridge_frames_total")]
    [InlineData("voicebridge.bytes", "By", true, "voicebridge_bytes_total")]
    [InlineData("voicebridge.upstream.connect", "s", false, "voicebridge_upstream_connect_seconds")]
    [InlineData("voicebridge.sessions.active", "{session}", false, "voicebridge_sessions_active")]
    [InlineData("http.server.request.duration", "s", false, "http_server_request_duration_seconds")]
    [InlineData("already_total", null, true, "already_total")]
    [InlineData("payload", "By", false, "payload_bytes")]
    [InlineData("weird-name/x", null, false, "weird_name_x")]
    [InlineData("1st", null, false, "_st")]
    public void MetricName_FollowsTheOpenTelemetryToPrometheusConvention(string instrument, string? unit, bool monotonic, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.MetricName(instrument, unit, monotonic));
    }

    [Theory]
    [InlineData("direction", "direction")]
    [InlineData("http.route", "http_route")]
    [InlineData("__x", "key__x")]
    [InlineData("9", "key9")]
    public void LabelName_IsMadeValid(string key, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.LabelName(key));
        Assert.True(PrometheusNaming.IsValidLabelName(PrometheusNaming.LabelName(key)));
    }
}
