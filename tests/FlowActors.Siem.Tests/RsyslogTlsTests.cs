using System.Diagnostics.Metrics;
using System.Security.Authentication;
using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

/// <summary>The syslog sink over TLS (RFC 5425) against rsyslog's gtls driver, with certificates made by the test.</summary>
public sealed class RsyslogTlsTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TestCertificates _certs = new();
    private RsyslogServer _rsyslog = null!;

    public async Task InitializeAsync() => _rsyslog = await RsyslogServer.StartAsync(RsyslogListener.Tls, _certs.Files);

    public async Task DisposeAsync()
    {
        await _rsyslog.DisposeAsync();
        _certs.Dispose();
    }

    private SyslogSinkOptions Options(string name) => new()
    {
        Name = name, Transport = "tls", Host = "127.0.0.1", Port = _rsyslog.TcpPort, Format = "cef", CaFile = _certs.Files.CaFile,
    };

    [Fact]
    public async Task Tls_every_alert_arrives_and_parses()
    {
        var alerts = TestAlerts.Many(300, "tls-ok");
        await using var sink = new SyslogSink(Options("tls-ok"));
        foreach (var chunk in alerts.Chunk(100)) await sink.DeliverAsync(chunk, CancellationToken.None);
        Dictionary<string, SyslogMessage> got = [];
        await Eventually.TrueAsync(() => (got = Received.Syslog(_rsyslog.ReceivedLines(), "tls-ok")).Count >= alerts.Count, Wait,
            () => $"{got.Count} of {alerts.Count}; rsyslog: {_rsyslog.DaemonErrors}");
        foreach (var a in alerts)
        {
            var cef = CefParser.Parse(got[a.Id].Msg);
            Assert.Equal(a.Host, cef.Extension["src"]);
            Assert.Equal(a.Id, cef.Extension["externalId"]);
        }

        Assert.Equal(0, sink.TlsFailureCount);
    }

    [Fact]
    public async Task Tls_by_host_name_with_a_client_certificate_delivers()
    {
        var options = Options("tls-client");
        options.Host = "localhost";
        options.ClientCertificateFile = _certs.Files.ClientCertificateFile;
        options.ClientKeyFile = _certs.Files.ClientKeyFile;
        Assert.Empty(options.Validate("sink"));
        await using var sink = new SyslogSink(options);
        await sink.DeliverAsync(TestAlerts.Many(5, "tls-client"), CancellationToken.None);
        await Eventually.TrueAsync(() => Received.Syslog(_rsyslog.ReceivedLines(), "tls-client").Count == 5, Wait, () => _rsyslog.DaemonErrors);
    }

    [Fact]
    public async Task A_server_certificate_from_another_ca_is_refused_counted_and_nothing_is_delivered()
    {
        var options = Options("tls-wrong-ca");
        options.CaFile = _certs.OtherCaFile;
        await using var sink = new SyslogSink(options);
        using var metric = new CounterWatch("flowactors.siem.tls_failures", "tls-wrong-ca");
        var e = await Assert.ThrowsAsync<AuthenticationException>(() => sink.DeliverAsync(TestAlerts.Many(3, "tls-wrong-ca"), CancellationToken.None).AsTask());
        Assert.Contains("configured CA", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, sink.TlsFailureCount);
        Assert.Equal(1, metric.Total);
        await AssertNothingArrivesAsync("tls-wrong-ca");
    }

    [Fact]
    public async Task A_server_certificate_for_another_name_is_refused_counted_and_nothing_is_delivered()
    {
        var options = Options("tls-wrong-name");
        options.ServerName = "siem.example.org";
        await using var sink = new SyslogSink(options);
        var e = await Assert.ThrowsAsync<AuthenticationException>(() => sink.DeliverAsync(TestAlerts.Many(3, "tls-wrong-name"), CancellationToken.None).AsTask());
        Assert.Contains("does not name", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, sink.TlsFailureCount);
        await AssertNothingArrivesAsync("tls-wrong-name");
    }

    private async Task AssertNothingArrivesAsync(string prefix)
    {
        // A marker sent by a correctly configured sink after the refused one: once it is in the file, anything
        // the refused sink had got through would be there too.
        await using var good = new SyslogSink(Options("tls-marker"));
        await good.DeliverAsync([TestAlerts.PortScan(prefix + "-marker-ok")], CancellationToken.None);
        await Eventually.TrueAsync(() => _rsyslog.ReceivedLines().Any(l => l.Contains(prefix + "-marker-ok", StringComparison.Ordinal)), Wait, () => "marker");
        var leaked = Received.Syslog(_rsyslog.ReceivedLines(), prefix).Keys.Where(k => !k.Contains("marker", StringComparison.Ordinal));
        Assert.Empty(leaked);
    }
}

/// <summary>Sums a SiemMetrics counter for one sink while it lives.</summary>
internal sealed class CounterWatch : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public CounterWatch(string instrument, string sink)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == SiemMetrics.MeterName && i.Name == instrument) l.EnableMeasurementEvents(i);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == "sink" && (string?)t.Value == sink) Interlocked.Add(ref _total, value);
            }
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
