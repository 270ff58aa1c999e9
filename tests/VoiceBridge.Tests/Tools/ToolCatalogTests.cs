using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using VoiceBridge.Tools;

namespace VoiceBridge.Tests.Tools;

public sealed class ToolCatalogTests
{
    [Fact]
    public void NestedParameters_BecomeAJsonSchema_InTheSessionToolsArray()
    {
        var catalog = Load(new()
        {
            ["VoiceBridge:Tools:0:Name"] = "lookup_order",
            ["VoiceBridge:Tools:0:Url"] = "https://hooks.example.com/order",
            ["VoiceBridge:Tools:0:Parameters:type"] = "object",
            ["VoiceBridge:Tools:0:Parameters:properties:order_id:type"] = "string",
            ["VoiceBridge:Tools:0:Parameters:properties:order_id:maxLength"] = "12",
            ["VoiceBridge:Tools:0:Parameters:required:0"] = "order_id",
            ["VoiceBridge:Tools:0:Parameters:additionalProperties"] = "false",
            ["VoiceBridge:Tools:1:Name"] = "clock",
            ["VoiceBridge:Tools:1:Url"] = "http://127.0.0.1:9/clock",
        });

        var tools = JsonDocument.Parse(catalog.ToolsArrayJson).RootElement;
        var schema = tools[0].GetProperty("parameters");
        Assert.Equal("function", tools[0].GetProperty("type").GetString());
        Assert.Equal(12, schema.GetProperty("properties").GetProperty("order_id").GetProperty("maxLength").GetInt32());
        Assert.Equal("order_id", schema.GetProperty("required")[0].GetString());
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal("""{"type":"object","properties":{}}""", tools[1].GetProperty("parameters").GetRawText());
        Assert.True(catalog.IsServerFunction("clock"));
    }

    [Theory]
    [InlineData("Name", "bad name!", "VoiceBridge:Tools:0:Name")]
    [InlineData("Url", "", "VoiceBridge:Tools:0:Url")]
    [InlineData("Url", "ftp://x/y", "VoiceBridge:Tools:0:Url")]
    [InlineData("Parameters", "[1,2]", "VoiceBridge:Tools:0:Parameters")]
    [InlineData("Parameters", "{not json", "VoiceBridge:Tools:0:Parameters")]
    [InlineData("Type", "Rest", "VoiceBridge:Tools:0:Type")]
    [InlineData("Mode", "Browser", "VoiceBridge:Tools:0:Mode")]
    public void InvalidEntry_IsOneLineNamingTheKey(string field, string value, string key)
    {
        var settings = new Dictionary<string, string?>
        {
            ["VoiceBridge:Tools:0:Name"] = "ok_name",
            ["VoiceBridge:Tools:0:Url"] = "https://hooks.example.com/x",
        };
        settings["VoiceBridge:Tools:0:" + field] = value;

        var failure = Assert.Single(Assert.Throws<OptionsValidationException>(() => Load(settings)).Failures);
        Assert.StartsWith(key, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void DuplicateNames_AreRefused()
    {
        var failure = Assert.Single(Assert.Throws<OptionsValidationException>(() => Load(new()
        {
            ["VoiceBridge:Tools:0:Name"] = "same",
            ["VoiceBridge:Tools:0:Url"] = "https://hooks.example.com/a",
            ["VoiceBridge:Tools:1:Name"] = "same",
            ["VoiceBridge:Tools:1:Mode"] = "Client",
        })).Failures);
        Assert.Contains("VoiceBridge:Tools:1:Name", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void McpTool_OnlyRequireApprovalNever_AndItsSecretIsNeverInAnError()
    {
        var settings = new Dictionary<string, string?>
        {
            ["VoiceBridge:Tools:0:Name"] = "docs",
            ["VoiceBridge:Tools:0:Type"] = "Mcp",
            ["VoiceBridge:Tools:0:ServerUrl"] = "https://mcp.example.com",
            ["VoiceBridge:Tools:0:Authorization"] = "Bearer very-secret",
            ["VoiceBridge:Tools:0:RequireApproval"] = "always",
        };

        var error = Assert.Throws<OptionsValidationException>(() => Load(settings));
        Assert.Contains("VoiceBridge:Tools:0:RequireApproval", Assert.Single(error.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret", error.Message, StringComparison.Ordinal);

        settings["VoiceBridge:Tools:0:RequireApproval"] = "never";
        var catalog = Load(settings);
        Assert.True(catalog.IsServerName("docs"));
        Assert.DoesNotContain("very-secret", catalog.Tools[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void MergeTools_PutsTheServersFirst_AndRemovesSameNamed()
    {
        var catalog = Load(new()
        {
            ["VoiceBridge:Tools:0:Name"] = "lookup_order",
            ["VoiceBridge:Tools:0:Url"] = "https://hooks.example.com/a",
        });

        var merged = ToolSessionJson.MergeTools(
            """{"type":"session.update","session":{"type":"realtime","tools":[{"type":"function","name":"lookup_order"},{"type":"function","name":"mine"}]}}"""u8,
            catalog,
            out var refused);

        var tools = JsonDocument.Parse(merged!).RootElement.GetProperty("session").GetProperty("tools");
        Assert.Equal(["lookup_order", "mine"], tools.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.True(tools[0].TryGetProperty("parameters", out _)); // the server's own definition, not the browser's
        Assert.Equal(["lookup_order"], refused);
        Assert.Null(ToolSessionJson.MergeTools("""{"type":"session.update","session":{"instructions":"x"}}"""u8, catalog, out _));
    }

    [Fact]
    public void WebhookOptions_BadSecretIsRefusedWithoutEchoingIt()
    {
        var result = new WebhookOptionsValidator().Validate(null, new WebhookOptions { Secret = "not-a-secret-value" });
        Assert.False(result.Succeeded);
        Assert.DoesNotContain("not-a-secret-value", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new WebhookOptionsValidator().Validate(null, new WebhookOptions { Secret = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("0123456789abcdef")) }).Succeeded);
        Assert.True(new WebhookOptionsValidator().Validate(null, new WebhookOptions()).Succeeded);
    }

    private static ToolCatalog Load(Dictionary<string, string?> settings) =>
        ToolCatalog.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
}
