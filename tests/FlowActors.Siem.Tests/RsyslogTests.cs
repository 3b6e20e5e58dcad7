using System.Text;
using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

/// <summary>The syslog sink against a real rsyslog over UDP and TCP (one daemon for the class).</summary>
public sealed class RsyslogTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private RsyslogServer _rsyslog = null!;

    public async Task InitializeAsync() => _rsyslog = await RsyslogServer.StartAsync(RsyslogListener.UdpAndTcp);

    public async Task DisposeAsync() => await _rsyslog.DisposeAsync();

    private SyslogSinkOptions Options(string transport, string format, string framing = "octet-counting") => new()
    {
        Name = $"rsyslog-{transport}", Transport = transport, Host = "127.0.0.1",
        Port = transport == "udp" ? _rsyslog.UdpPort : _rsyslog.TcpPort, Format = format, Framing = framing, Facility = "local4",
    };

    private async Task<Dictionary<string, SyslogMessage>> ReceiveSyslogAsync(string prefix, int count)
    {
        Dictionary<string, SyslogMessage> got = [];
        await Eventually.TrueAsync(() => (got = Received.Syslog(_rsyslog.ReceivedLines(), prefix)).Count >= count, Wait,
            () => $"{got.Count} of {count} '{prefix}' alerts arrived; rsyslog: {_rsyslog.DaemonErrors}");
        return got;
    }

    [Fact]
    public async Task Udp_cef_every_alert_arrives_and_parses_with_its_fields()
    {
        var alerts = TestAlerts.Many(200, "udp-cef");
        await using var sink = new SyslogSink(Options("udp", "cef"));
        // UDP has no flow control: send in small batches so the loopback socket buffer never overflows.
        foreach (var chunk in alerts.Chunk(20))
        {
            await sink.DeliverAsync(chunk, CancellationToken.None);
            await Task.Delay(5);
        }

        var got = await ReceiveSyslogAsync("udp-cef", alerts.Count);
        Assert.Equal(alerts.Select(a => a.Id).ToHashSet(), got.Keys.ToHashSet());
        foreach (var a in alerts)
        {
            var m = got[a.Id];
            Assert.Equal((20, 4), (m.Facility, m.Severity));
            var cef = CefParser.Parse(m.Msg);
            Assert.Equal("port-scan", cef.SignatureId);
            Assert.Equal(a.Host, cef.Extension["src"]);
            Assert.Equal("10.0.0.9", cef.Extension["dst"]);
            Assert.Equal("22", cef.Extension["dpt"]);
            Assert.Equal(a.Id, cef.Extension["externalId"]);
            Assert.Equal(a.Summary, cef.Extension["msg"]);
        }
    }

    [Fact]
    public async Task Tcp_octet_counting_leef_every_alert_arrives()
    {
        var alerts = TestAlerts.Many(500, "tcp-leef");
        await using var sink = new SyslogSink(Options("tcp", "leef"));
        foreach (var chunk in alerts.Chunk(100)) await sink.DeliverAsync(chunk, CancellationToken.None);
        var got = await ReceiveSyslogAsync("tcp-leef", alerts.Count);
        Assert.Equal(alerts.Select(a => a.Id).ToHashSet(), got.Keys.ToHashSet());
        foreach (var a in alerts)
        {
            var leef = LeefParser.Parse(got[a.Id].Msg);
            Assert.Equal(a.Host, leef.Attributes["src"]);
            Assert.Equal(a.Id, leef.Attributes["externalId"]);
            Assert.Equal("6", leef.Attributes["sev"]);
        }
    }

    [Fact]
    public async Task Tcp_newline_framing_rfc5424_json_every_alert_arrives()
    {
        var alerts = TestAlerts.Many(300, "tcp-nl");
        await using var sink = new SyslogSink(Options("tcp", "rfc5424-json", framing: "newline"));
        foreach (var chunk in alerts.Chunk(100)) await sink.DeliverAsync(chunk, CancellationToken.None);
        var got = await ReceiveSyslogAsync("tcp-nl", alerts.Count);
        foreach (var a in alerts)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(got[a.Id].Msg);
            Assert.Equal(a.Host, doc.RootElement.GetProperty("source").GetProperty("ip").GetString());
            Assert.Equal(22, doc.RootElement.GetProperty("destination").GetProperty("port").GetInt32());
        }
    }

    [Fact]
    public async Task Tcp_bare_json_arrives_as_ecs_documents()
    {
        var alerts = TestAlerts.Many(50, "tcp-json");
        await using var sink = new SyslogSink(Options("tcp", "json"));
        await sink.DeliverAsync(alerts, CancellationToken.None);
        Dictionary<string, System.Text.Json.JsonElement> got = [];
        await Eventually.TrueAsync(() => (got = Received.Ecs(_rsyslog.ReceivedLines(), "tcp-json")).Count >= alerts.Count, Wait, () => $"{got.Count} arrived");
        Assert.Equal("alert", got[alerts[0].Id].GetProperty("event").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Hostile_values_arrive_intact_over_tcp()
    {
        var alert = TestAlerts.Hostile("hostile-tcp|=\\]\"");
        await using var sink = new SyslogSink(Options("tcp", "cef"));
        await sink.DeliverAsync([alert], CancellationToken.None);
        var got = await ReceiveSyslogAsync("hostile-tcp", 1);
        var m = got[alert.Id];
        Assert.Equal("brute-force|x=y\\z", m.MsgId);
        var cef = CefParser.Parse(m.Msg);
        Assert.Equal(TestAlerts.HostileText, cef.Extension["msg"]);
        Assert.Equal(alert.Id, cef.Extension["externalId"]);
    }

    [Fact]
    public async Task Udp_cuts_long_messages_at_the_size_limit_on_a_character_boundary()
    {
        var alert = TestAlerts.Hostile("udp-long", veryLong: true);
        var options = Options("udp", "cef");
        options.MaxMessageBytes = 1001; // odd, so a cut at the limit would land inside a multi-byte character sometimes
        await using var sink = new SyslogSink(options);
        await sink.DeliverAsync([alert], CancellationToken.None);
        string line = (await WaitForLineAsync("udp-long")).Trim('\n');
        byte[] bytes = Encoding.UTF8.GetBytes(line);
        Assert.InRange(bytes.Length, 990, 1001);
        Assert.DoesNotContain('\uFFFD', line); // no broken sequence
        Assert.Equal(1, sink.TruncatedCount);
        Assert.Equal("udp-long", SyslogParser.Parse(line).StructuredData[0]["id"]);
    }

    [Fact]
    public async Task Tcp_reconnects_after_the_receiver_restarts()
    {
        await using var sink = new SyslogSink(Options("tcp", "cef"));
        await sink.DeliverAsync(TestAlerts.Many(10, "restart-a"), CancellationToken.None);
        await ReceiveSyslogAsync("restart-a", 10);
        await _rsyslog.StopAsync();
        await _rsyslog.StartAgainAsync();

        var later = TestAlerts.Many(10, "restart-b");
        await DeliverWithRetriesAsync(sink, later);
        var got = await ReceiveSyslogAsync("restart-b", 10);
        Assert.Equal(later.Select(a => a.Id).ToHashSet(), got.Keys.ToHashSet());
        Assert.True(sink.ReconnectCount >= 1);
    }

    [Fact]
    public async Task Tcp_to_a_closed_port_fails_then_backs_off()
    {
        var options = Options("tcp", "cef");
        options.Port = FlowActors.Testing.FreePorts.Tcp();
        await using var sink = new SyslogSink(options);
        await Assert.ThrowsAsync<IOException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        var e = await Assert.ThrowsAsync<SinkRetryException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.True(e.RetryAfter > TimeSpan.Zero);
        Assert.Equal(1, sink.ConnectFailureCount);
    }

    private async Task<string> WaitForLineAsync(string contains)
    {
        string? found = null;
        await Eventually.TrueAsync(() => (found = _rsyslog.ReceivedLines().FirstOrDefault(l => l.Contains(contains, StringComparison.Ordinal))) is not null, Wait, () => contains);
        return found!;
    }

    /// <summary>What the forwarder does: retry a failed batch after the sink's backoff.</summary>
    internal static async Task DeliverWithRetriesAsync(IAlertSink sink, IReadOnlyList<Alert> alerts)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await sink.DeliverAsync(alerts, CancellationToken.None);
                return;
            }
            catch (Exception e) when (e is IOException or SinkRetryException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(e is SinkRetryException { RetryAfter: { } wait } ? wait : TimeSpan.FromMilliseconds(200));
            }
        }
    }
}
