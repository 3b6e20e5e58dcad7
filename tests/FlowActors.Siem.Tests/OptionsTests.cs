using FlowActors.Siem.Formats;
using FlowActors.Siem.Sinks;
using FlowActors.Siem.Transport;

namespace FlowActors.Siem.Tests;

public sealed class OptionsTests
{
    private const string Prefix = "FlowActors:Forwarder:Sinks:2";

    [Fact]
    public void Valid_syslog_options_give_no_messages()
    {
        var o = new SyslogSinkOptions { Host = "siem.example", Port = 514, Transport = "tcp", Format = "leef" };
        Assert.Empty(o.Validate(Prefix));
    }

    [Fact]
    public void Each_bad_syslog_setting_is_named_with_its_key_value_and_fix()
    {
        var o = new SyslogSinkOptions { Host = "", Port = 70000, Transport = "sctp", Format = "xml", Facility = "local9", Framing = "cr", MinSeverity = 11 };
        var m = o.Validate(Prefix).ToList();
        Assert.Contains(m, x => x.StartsWith("FlowActors:Forwarder:Sinks:2:Port = '70000' is invalid", StringComparison.Ordinal));
        Assert.Contains(m, x => x.StartsWith("FlowActors:Forwarder:Sinks:2:Host is required", StringComparison.Ordinal));
        Assert.Contains(m, x => x.Contains("Transport = 'sctp'", StringComparison.Ordinal) && x.Contains("udp, tcp or tls", StringComparison.Ordinal));
        Assert.Contains(m, x => x.Contains("Format = 'xml'", StringComparison.Ordinal) && x.Contains(AlertFormats.Accepted, StringComparison.Ordinal));
        Assert.Contains(m, x => x.Contains("Facility = 'local9'", StringComparison.Ordinal));
        Assert.Contains(m, x => x.Contains("Framing = 'cr'", StringComparison.Ordinal));
        Assert.Contains(m, x => x.Contains("MinSeverity = '11'", StringComparison.Ordinal));
    }

    [Fact]
    public void Tls_needs_an_existing_ca_file_and_both_halves_of_a_client_certificate()
    {
        var m = new SyslogSinkOptions { Host = "h", Transport = "tls", ClientCertificateFile = "/nonexistent/c.pem" }.Validate(Prefix).ToList();
        Assert.Contains(m, x => x.StartsWith("FlowActors:Forwarder:Sinks:2:CaFile is required", StringComparison.Ordinal));
        Assert.Contains(m, x => x.Contains("ClientCertificateFile = '/nonexistent/c.pem'", StringComparison.Ordinal));
        Assert.Contains(m, x => x.Contains("ClientKeyFile is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Hec_webhook_and_file_options_check_their_keys()
    {
        Assert.Contains(new HecSinkOptions { Url = "ftp://x" }.Validate(Prefix), x => x.Contains(":Url = 'ftp://x'", StringComparison.Ordinal));
        Assert.Contains(new HecSinkOptions { Url = "http://x:8088" }.Validate(Prefix), x => x.Contains(":Token is required", StringComparison.Ordinal));
        Assert.Empty(new HecSinkOptions { Url = "https://x:8088", Token = "t", Acknowledgement = true }.Validate(Prefix));
        Assert.Contains(new WebhookSinkOptions().Validate(Prefix), x => x.Contains(":Url is required", StringComparison.Ordinal));
        Assert.Contains(new FileSinkOptions { Path = "a.jsonl", MaxFiles = 0 }.Validate(Prefix), x => x.Contains(":MaxFiles = '0'", StringComparison.Ordinal));
        Assert.Contains(new ConsoleSinkOptions { Updates = "sometimes" }.Validate(Prefix), x => x.Contains(":Updates = 'sometimes'", StringComparison.Ordinal));
        Assert.Empty(new ConsoleSinkOptions { Updates = "every-15-minutes" }.Validate(Prefix));
    }

    [Theory]
    [InlineData("cef", AlertFormat.Cef)]
    [InlineData("LEEF", AlertFormat.Leef)]
    [InlineData("json", AlertFormat.Json)]
    [InlineData("rfc5424-json", AlertFormat.Rfc5424Json)]
    public void Format_strings_parse(string text, AlertFormat expected)
    {
        Assert.True(AlertFormats.TryParse(text, out var f));
        Assert.Equal(expected, f);
        Assert.Equal(text.ToLowerInvariant(), AlertFormats.Name(f));
    }

    [Fact]
    public void Factory_builds_the_sink_for_each_kind_without_touching_the_receiver()
    {
        var ctx = AlertFormatContext.Default;
        Assert.IsType<SyslogSink>(SinkFactory.Create(new SyslogSinkOptions { Host = "192.0.2.1", Transport = "tcp" }, ctx));
        Assert.IsType<HecSink>(SinkFactory.Create(new HecSinkOptions { Url = "http://192.0.2.1:8088", Token = "t" }, ctx));
        Assert.IsType<WebhookSink>(SinkFactory.Create(new WebhookSinkOptions { Url = "http://192.0.2.1/hook" }, ctx));
        Assert.IsType<JsonLinesFileSink>(SinkFactory.Create(new FileSinkOptions { Path = "/proc/cannot/write/here.jsonl" }, ctx));
        Assert.IsType<ConsoleSink>(SinkFactory.Create(new ConsoleSinkOptions(), ctx));
        Assert.IsType<HecSinkOptions>(SinkOptions.ForKind("HEC"));
        Assert.Throws<ArgumentException>(() => SinkFactory.Create(new SyslogSinkOptions { Host = "" }, ctx));
    }

    [Fact]
    public void Utf8_truncation_never_splits_a_sequence()
    {
        byte[] text = System.Text.Encoding.UTF8.GetBytes("aé日🚨");
        // a(1) é(2) 日(3) 🚨(4): boundaries at 1, 3, 6, 10.
        int[] expected = [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10];
        for (int max = 0; max <= 10; max++) Assert.Equal(expected[max], Utf8Truncation.SafeLength(text, max));
    }

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_and_resets()
    {
        var b = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        var waits = Enumerable.Range(0, 6).Select(_ => b.Fail().TotalMilliseconds).ToList();
        double[] ceilings = [100, 200, 400, 800, 1000, 1000];
        for (int i = 0; i < waits.Count; i++) Assert.InRange(waits[i], ceilings[i] / 2, ceilings[i]);
        Assert.True(b.Remaining > TimeSpan.Zero);
        b.Succeed();
        Assert.Equal(TimeSpan.Zero, b.Remaining);
        Assert.Equal(0, b.Failures);
    }
}
