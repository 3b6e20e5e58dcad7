using System.Diagnostics;
using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;
using Xunit.Abstractions;

namespace FlowActors.Siem.Tests;

/// <summary>
/// Delivered alerts per second per transport, from the first send until the receiver holds the last alert.
/// The figures are printed, not asserted (they depend on the machine); what is asserted is that all arrived.
/// </summary>
public sealed class ThroughputMeasurements
{
    private const int Batch = 100;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);
    private readonly ITestOutputHelper _output;

    public ThroughputMeasurements(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Tcp_and_tls_to_rsyslog()
    {
        using var certs = new TestCertificates();
        await using var plain = await RsyslogServer.StartAsync(RsyslogListener.UdpAndTcp);
        await using var tls = await RsyslogServer.StartAsync(RsyslogListener.Tls, certs.Files);
        await MeasureSyslogAsync("tcp", plain, new SyslogSinkOptions { Transport = "tcp", Host = "127.0.0.1", Port = plain.TcpPort });
        await MeasureSyslogAsync("tls", tls, new SyslogSinkOptions { Transport = "tls", Host = "127.0.0.1", Port = tls.TcpPort, CaFile = certs.Files.CaFile });
    }

    [Fact]
    public async Task Hec_with_acknowledgement()
    {
        const string token = "tok";
        await using var server = new HecTestServer(token, requireAck: true);
        await using var sink = new HecSink(new HecSinkOptions { Url = server.BaseUrl, Token = token, Acknowledgement = true });
        var alerts = TestAlerts.Many(10_000, "tput-hec");
        await sink.DeliverAsync(TestAlerts.Many(Batch, "warm-hec"), CancellationToken.None);
        int before = server.Events.Count;
        var watch = Stopwatch.StartNew();
        foreach (var chunk in alerts.Chunk(Batch)) await sink.DeliverAsync(chunk, CancellationToken.None);
        watch.Stop();
        Assert.Equal(alerts.Count, server.Events.Count - before);
        Report("hec+ack", alerts.Count, watch.Elapsed);
    }

    private async Task MeasureSyslogAsync(string name, RsyslogServer server, SyslogSinkOptions options)
    {
        var alerts = TestAlerts.Many(30_000, "tput-" + name);
        await using var sink = new SyslogSink(options);
        // Warm up (JIT, connection, handshake) so the figure is the steady rate.
        await sink.DeliverAsync(TestAlerts.Many(Batch, "warm-" + name), CancellationToken.None);
        await server.WaitForLinesAsync(Batch, Wait);
        var watch = Stopwatch.StartNew();
        foreach (var chunk in alerts.Chunk(Batch)) await sink.DeliverAsync(chunk, CancellationToken.None);
        await server.WaitForLinesAsync(alerts.Count + Batch, Wait);
        watch.Stop();
        Assert.Equal(alerts.Count, Received.Syslog(server.ReceivedLines(), "tput-" + name).Count);
        Report(name, alerts.Count, watch.Elapsed);
    }

    private void Report(string name, int count, TimeSpan elapsed)
    {
        string line = $"throughput (machine loaded) {name}: {count} alerts in {elapsed.TotalSeconds:0.00} s = {count / elapsed.TotalSeconds:0} alerts/s delivered, batches of {Batch}";
        _output.WriteLine(line);
        Console.WriteLine(line);
    }
}
