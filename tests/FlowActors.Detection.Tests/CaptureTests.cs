using FlowActors.Protocols.Capture;

namespace FlowActors.Detection.Tests;

/// <summary>
/// End to end on the shared captures (tests/testdata/README.md): real softflowd/pmacct exports decoded by
/// <see cref="FlowDecoder"/> and analysed the way <c>flowctl analyze</c> does.
/// </summary>
public class CaptureTests
{
    private static List<Alert> Analyze(string name)
    {
        var analyzer = new FlowAnalyzer(new DetectionSettings());
        var alerts = new List<Alert>();
        var decoder = new FlowDecoder();
        using var buffer = new FlowRecordBuffer(1024);
        using var reader = PcapReader.Open(Path.Combine(AppContext.BaseDirectory, "testdata", name + ".pcap"));
        while (reader.TryReadNext(out var d))
        {
            buffer.Clear();
            decoder.Decode(d.Payload.Span, d.Source, d.TimestampUs / 1000, buffer);
            foreach (ref readonly var r in buffer.Records) analyzer.Add(in r, alerts);
        }

        Assert.Null(reader.Error);
        analyzer.Finish(alerts);
        return alerts;
    }

    [Theory]
    [InlineData("portscan-v9")]
    [InlineData("portscan-ipfix")]
    public void Nmap_syn_scan_raises_port_scan_on_the_scanner_and_the_target(string capture)
    {
        // nmap -sS -p 1-2000 10.99.0.10 from 10.99.1.30: 1999 closed ports answer RST/ACK, one open port SYN/ACK.
        var alerts = Analyze(capture);

        var actor = Assert.Single(alerts, a => a.Host == "10.99.1.30");
        Assert.Equal("port-scan", actor.Detector);
        Assert.Equal("actor", actor.Role);
        Assert.Equal("T1046", actor.Technique);
        Assert.Equal(["10.99.0.10"], actor.Peers);
        Assert.InRange(actor.Evidence["distinct_ports"], 1_800, 2_200); // 1999 exact; HyperLogLog estimate beyond 64
        Assert.Equal(2_000, actor.Evidence["failed_attempts"]); // 1999 SYN-only probes + the open port's SYN then RST (half-open)

        var target = Assert.Single(alerts, a => a.Host == "10.99.0.10");
        Assert.Equal("port-scan", target.Detector);
        Assert.Equal("target", target.Role);
        Assert.Equal(["10.99.1.30"], target.Peers);
        Assert.Equal(2, alerts.Count);
    }

    [Theory]
    [InlineData("synflood-v9")]
    [InlineData("synflood-ipfix")]
    public void Hping_syn_flood_raises_syn_flood_on_the_victim(string capture)
    {
        // hping3 -S -p 80 -c 3000 10.99.0.10 from 10.99.1.22: each SYN is answered, the kernel resets (SYN|RST, no ACK).
        var alerts = Analyze(capture);

        var a = Assert.Single(alerts);
        Assert.Equal("10.99.0.10", a.Host);
        Assert.Equal("syn-flood", a.Detector);
        Assert.Equal("target", a.Role);
        Assert.Equal("T1499.001", a.Technique);
        Assert.Equal(["10.99.1.22"], a.Peers);
        Assert.Equal([80], a.Ports);
        Assert.Equal(3_000, a.Evidence["half_open_attempts"]);
    }

    [Theory]
    [InlineData("normal-v5")]
    [InlineData("normal-v9")]
    [InlineData("normal-v9-uptimewrap")]
    [InlineData("normal-ipfix")]
    [InlineData("normal-pmacct-v9")]
    [InlineData("normal-pmacct-ipfix")]
    public void Normal_traffic_raises_nothing(string capture)
    {
        Assert.Empty(Analyze(capture));
    }
}
