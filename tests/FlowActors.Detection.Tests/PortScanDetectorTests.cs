namespace FlowActors.Detection.Tests;

using static Traffic;

public class PortScanDetectorTests
{
    private static readonly Protocols.FlowAddress Target = Ip("10.0.0.9");

    private static IEnumerable<FlowObservation> SynProbes(int ports, ushort flags = Syn) =>
        Enumerable.Range(1, ports).Select(p => Out(Target, (ushort)(1000 + p), localPort: 40_000, flags: flags, packets: 1, bytes: 44, startMs: T0 + (p * 1000)));

    [Fact]
    public void Fifteen_failed_ports_in_five_minutes_raise_T1046()
    {
        var alerts = Run(new HostBehavior(Host, Settings()), SynProbes(15));

        var a = Assert.Single(alerts);
        Assert.Equal("port-scan", a.Detector);
        Assert.Equal("actor", a.Role);
        Assert.Equal("10.0.0.5", a.Host);
        Assert.Equal("TA0007", a.Tactic);
        Assert.Equal("T1046", a.Technique);
        Assert.Equal("Network Service Discovery", a.TechniqueName);
        Assert.Equal(["10.0.0.9"], a.Peers);
        Assert.Equal(Enumerable.Range(1001, 15), a.Ports);
        Assert.Equal(15, a.Evidence["distinct_ports"]);
        Assert.Equal(15, a.Evidence["failed_attempts"]);
        Assert.Equal(5, a.Severity);
        Assert.Equal(1, a.Count);
        Assert.Equal(new DateTime(2027, 1, 15, 8, 0, 0, DateTimeKind.Utc), a.WindowStart);
        Assert.Equal(new DateTime(2027, 1, 15, 8, 5, 0, DateTimeKind.Utc), a.WindowEnd);
        Assert.Equal(a.WindowEnd, a.Time);
        Assert.Contains("15 ports on 10.0.0.9", a.Summary);
    }

    [Fact]
    public void Fourteen_failed_ports_do_not_raise_a_scan()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), SynProbes(14)));
    }

    [Fact]
    public void Fifteen_completed_connections_are_not_a_scan()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), SynProbes(15, flags: Completed)));
    }

    [Fact]
    public void Refusals_seen_from_the_target_side_count_as_failed_ports()
    {
        // Only the target's RST/ACK replies are exported (asymmetric routing): still 15 refused ports.
        var refusals = Enumerable.Range(1, 15).Select(p => In(Target, localPort: 40_000, peerPort: (ushort)(2000 + p), flags: Rst | Ack, packets: 1, bytes: 40, startMs: T0 + p));
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), refusals));
        Assert.Equal("port-scan", a.Detector);
        Assert.Equal(15, a.Evidence["distinct_ports"]);
    }

    [Fact]
    public void Ports_spread_over_two_windows_do_not_add_up()
    {
        // 10 ports at 08:04, 10 more at 08:06: two 5-minute windows with 10 each.
        var probes = Enumerable.Range(1, 20).Select(p =>
            Out(Target, (ushort)(1000 + p), flags: Syn, packets: 1, bytes: 44, startMs: T0 + (p <= 10 ? 4 * Minute : 6 * Minute)));
        Assert.Empty(Run(new HostBehavior(Host, Settings()), probes));
    }

    [Fact]
    public void Allowlisted_scanner_raises_nothing()
    {
        var s = Settings();
        s.Allowlist.Addresses.Add("10.0.0.9/32");
        Assert.Empty(Run(new HostBehavior(Host, s), SynProbes(100)));
    }
}
