using FlowActors.Node.Configuration;
using FlowActors.Siem.Outbox;
using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Tests;

/// <summary><c>Forwarder:Sinks</c>: defaults at indexes 0 and 1, policies, secrets, and errors that name the key.</summary>
public sealed class SinkSettingsTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static IReadOnlyList<SettingError> Errors(params (string Key, string? Value)[] values)
    {
        var settings = NodeSettingsOptions.TryRead(Config(values), out var errors);
        Assert.Null(settings);
        return errors;
    }

    [Fact]
    public void Entry_at_a_new_index_keeps_the_default_file_and_console_sinks()
    {
        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:Forwarder:Sinks:2:Kind", "file"),
            ("FlowActors:Forwarder:Sinks:2:Name", "archive"),
            ("FlowActors:Forwarder:Sinks:2:Path", "/var/log/archive.jsonl"),
            ("FlowActors:Forwarder:Sinks:2:MinSeverity", "7"),
            ("FlowActors:Forwarder:Sinks:2:BatchSize", "50"),
            ("FlowActors:Forwarder:Sinks:2:MaxBacklog", "1000"),
            ("FlowActors:Forwarder:Sinks:2:Updates", "every-15-minutes"),
            ("FlowActors:Forwarder:Sinks:2:RateLimitPerSecond", "2.5")));

        Assert.Equal(["jsonl", "console", "archive"], s.Forwarder.Sinks.Select(k => k.Name));
        var archive = s.Forwarder.Sinks[2];
        Assert.Equal("FlowActors:Forwarder:Sinks:2", archive.Key);
        Assert.Equal(new SinkPolicy { MinSeverity = 7, BatchSize = 50, MaxBacklog = 1000, Updates = new UpdatePolicy(UpdateMode.Every, TimeSpan.FromMinutes(15)), RateLimitPerSecond = 2.5 }, archive.Policy);
        Assert.Equal(new SinkPolicy(), s.Forwarder.Sinks[0].Policy);
    }

    [Fact]
    public void Default_sink_is_tuned_by_keys_at_its_index_and_removed_with_enabled_false()
    {
        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:Forwarder:Sinks:0:Path", "/var/log/fa.jsonl"),
            ("FlowActors:Forwarder:Sinks:1:Enabled", "false")));

        var only = Assert.Single(s.Forwarder.Sinks);
        Assert.Equal(("jsonl", SinkKind.File, "/var/log/fa.jsonl"), (only.Name, only.Kind, only.Path));
    }

    [Theory]
    [InlineData("MinSeverity", "11")]
    [InlineData("BatchSize", "0")]
    [InlineData("MaxBacklog", "-1")]
    [InlineData("Updates", "sometimes")]
    [InlineData("RateLimitPerSecond", "fast")]
    [InlineData("Colour", "blue")]
    public void Bad_sink_value_stops_start_up_naming_the_key_and_the_variable(string key, string value)
    {
        var error = Assert.Single(Errors(("FlowActors:Forwarder:Sinks:1:" + key, value)));
        Assert.Equal("FlowActors:Forwarder:Sinks:1:" + key, error.Key);
        Assert.Contains("FLOWACTORS__FORWARDER__SINKS__1__" + key.ToUpperInvariant(), error.Message);
    }

    [Fact]
    public void Unknown_kind_lists_the_kinds()
    {
        var error = Assert.Single(Errors(("FlowActors:Forwarder:Sinks:2:Kind", "kafka")));
        Assert.Equal("FlowActors:Forwarder:Sinks:2:Kind", error.Key);
        Assert.Contains("syslog, hec, webhook, file or console", error.Message);
    }

    [Fact]
    public void Two_sinks_with_one_name_are_refused()
    {
        var error = Assert.Single(Errors(("FlowActors:Forwarder:Sinks:2:Kind", "file"), ("FlowActors:Forwarder:Sinks:2:Name", "jsonl"), ("FlowActors:Forwarder:Sinks:2:Path", "x.jsonl")));
        Assert.Equal("FlowActors:Forwarder:Sinks:2:Name", error.Key);
    }

    [Fact]
    public void Syslog_entry_is_bound_onto_the_contract_options()
    {
        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:Forwarder:Sinks:2:Kind", "syslog"),
            ("FlowActors:Forwarder:Sinks:2:Name", "siem"),
            ("FlowActors:Forwarder:Sinks:2:Transport", "tcp"),
            ("FlowActors:Forwarder:Sinks:2:Host", "127.0.0.1"),
            ("FlowActors:Forwarder:Sinks:2:Port", "1514"),
            ("FlowActors:Forwarder:Sinks:2:Format", "leef"),
            ("FlowActors:Forwarder:Sinks:2:Facility", "local0"),
            ("FlowActors:Forwarder:Sinks:2:Framing", "newline"),
            ("FlowActors:Forwarder:Sinks:2:BatchSize", "20")));

        var sink = s.Forwarder.Sinks[2];
        var options = Assert.IsType<FlowActors.Siem.Sinks.SyslogSinkOptions>(sink.Options);
        Assert.Equal(("siem", "tcp", "127.0.0.1", 1514, "leef", "local0", "newline", 20), (options.Name, options.Transport, options.Host, options.Port, options.Format, options.Facility, options.Framing, options.BatchSize));
        Assert.Equal(20, sink.Policy.BatchSize);
        Assert.IsType<FlowActors.Siem.Sinks.SyslogSink>(SinkKinds.Factory(sink)());
    }

    [Fact]
    public void Syslog_entry_needs_a_host_and_checks_its_values()
    {
        var errors = Errors(
            ("FlowActors:Forwarder:Sinks:2:Kind", "syslog"),
            ("FlowActors:Forwarder:Sinks:2:Transport", "sctp"),
            ("FlowActors:Forwarder:Sinks:2:Format", "xml"));
        var keys = errors.Select(e => e.Key).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "FlowActors:Forwarder:Sinks:2:Transport",
            "FlowActors:Forwarder:Sinks:2:Host",
            "FlowActors:Forwarder:Sinks:2:Format",
        }, keys);
    }

    [Fact]
    public void Tls_files_on_a_udp_syslog_sink_are_refused()
    {
        var errors = Errors(
            ("FlowActors:Forwarder:Sinks:2:Kind", "syslog"),
            ("FlowActors:Forwarder:Sinks:2:Host", "127.0.0.1"),
            ("FlowActors:Forwarder:Sinks:2:Port", "514"),
            ("FlowActors:Forwarder:Sinks:2:CaFile", "/etc/ssl/ca.pem"));
        Assert.Contains(errors, e => e.Key == "FlowActors:Forwarder:Sinks:2:Transport" && e.Message.Contains("only apply with Transport tls") && e.Message.Contains("FLOWACTORS__FORWARDER__SINKS__2__TRANSPORT"));
    }

    [Fact]
    public void Hec_token_is_read_from_its_file_and_never_appears_in_an_error()
    {
        using var dir = new TempDirectory("flowactors-secret");
        string tokenFile = Path.Combine(dir.Path, "token");
        File.WriteAllText(tokenFile, "s3cr3t-hec-token\n");

        var settings = NodeSettingsOptions.Read(Config(
            ("FlowActors:Forwarder:Sinks:2:Kind", "hec"),
            ("FlowActors:Forwarder:Sinks:2:Url", "https://splunk.example.net:8088/services/collector/event"),
            ("FlowActors:Forwarder:Sinks:2:TokenFile", tokenFile),
            ("FlowActors:Forwarder:Sinks:2:Acknowledgement", "true")));
        var hec = Assert.IsType<FlowActors.Siem.Sinks.HecSinkOptions>(settings.Forwarder.Sinks[2].Options);
        Assert.Equal(("s3cr3t-hec-token", true), (hec.Token, hec.Acknowledgement));
        Assert.IsType<FlowActors.Siem.Sinks.HecSink>(SinkKinds.Factory(settings.Forwarder.Sinks[2])());
        Assert.DoesNotContain("s3cr3t", System.Text.Json.JsonSerializer.Serialize(Operator.ForwarderConfigView.Describe(settings.Forwarder)));

        var both = NodeSettingsOptions.TryRead(Config(
            ("FlowActors:Forwarder:Sinks:2:Kind", "webhook"),
            ("FlowActors:Forwarder:Sinks:2:Url", "https://hooks.example.net/alerts"),
            ("FlowActors:Forwarder:Sinks:2:BearerToken", "s3cr3t-bearer"),
            ("FlowActors:Forwarder:Sinks:2:BearerTokenFile", tokenFile)), out var bothErrors);
        Assert.Null(both);
        Assert.Contains(bothErrors, e => e.Key == "FlowActors:Forwarder:Sinks:2:BearerTokenFile");
        Assert.All(bothErrors, e => Assert.DoesNotContain("s3cr3t", e.Message));
    }

    [Fact]
    public void Hec_entry_without_a_token_is_refused_naming_both_ways_to_give_it()
    {
        var errors = Errors(
            ("FlowActors:Forwarder:Sinks:2:Kind", "hec"),
            ("FlowActors:Forwarder:Sinks:2:Url", "https://splunk.example.net:8088/services/collector/event"));
        var token = Assert.Single(errors, e => e.Key == "FlowActors:Forwarder:Sinks:2:Token");
        Assert.Contains("FLOWACTORS__FORWARDER__SINKS__2__TOKENFILE", token.Message);
    }

    [Theory]
    [InlineData("Port", "70000")]
    [InlineData("Port", "five")]
    [InlineData("Framing", "crlf")]
    [InlineData("Facility", "kitchen")]
    [InlineData("ConnectTimeoutSeconds", "0")]
    public void Bad_syslog_value_is_refused_by_the_options_validation_naming_key_and_variable(string key, string value)
    {
        var error = Assert.Single(Errors(
            ("FlowActors:Forwarder:Sinks:2:Kind", "syslog"),
            ("FlowActors:Forwarder:Sinks:2:Host", "127.0.0.1"),
            ("FlowActors:Forwarder:Sinks:2:" + key, value)));
        Assert.Equal("FlowActors:Forwarder:Sinks:2:" + key, error.Key);
        Assert.Contains(value, error.Message);
        Assert.Contains("FLOWACTORS__FORWARDER__SINKS__2__" + key.ToUpperInvariant(), error.Message);
    }

    [Fact]
    public void Tls_syslog_without_a_ca_file_is_refused()
    {
        var error = Assert.Single(Errors(
            ("FlowActors:Forwarder:Sinks:2:Kind", "syslog"),
            ("FlowActors:Forwarder:Sinks:2:Transport", "tls"),
            ("FlowActors:Forwarder:Sinks:2:Host", "siem.example.net")));
        Assert.Equal("FlowActors:Forwarder:Sinks:2:CaFile", error.Key);
    }

    [Fact]
    public void Url_with_credentials_is_refused_without_echoing_them()
    {
        var errors = Errors(
            ("FlowActors:Forwarder:Sinks:2:Kind", "webhook"),
            ("FlowActors:Forwarder:Sinks:2:Url", "https://user:hunter2@hooks.example.net/alerts"));
        var url = Assert.Single(errors, e => e.Key == "FlowActors:Forwarder:Sinks:2:Url");
        Assert.DoesNotContain("hunter2", url.Message);
    }

    [Fact]
    public void Secrets_are_masked_in_the_node_config_view()
    {
        var sink = new SinkSettings("hook", SinkKind.Webhook, null)
        {
            Options = new FlowActors.Siem.Sinks.WebhookSinkOptions { Name = "hook", Url = "https://hooks.example.net/alerts", BearerToken = "s3cr3t" },
        };
        var view = Operator.ForwarderConfigView.Describe(new ForwarderSettings { Sinks = [sink] });
        string json = System.Text.Json.JsonSerializer.Serialize(view);
        Assert.DoesNotContain("s3cr3t", json);
        Assert.Contains("\"BearerToken\":\"***\"", json);
        Assert.Contains("hooks.example.net", json);
    }
}
