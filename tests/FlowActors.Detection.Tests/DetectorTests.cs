namespace FlowActors.Detection.Tests;

using static Traffic;

public class HostSweepDetectorTests
{
    private static IEnumerable<FlowObservation> Sweep(int targets, byte proto = 6, ushort port = 445, ushort flags = Syn) =>
        Enumerable.Range(1, targets).Select(i => Out(Ip($"10.0.3.{i}"), port, 40_000, proto, flags, 1, 60, T0 + (i * 500)));

    [Fact]
    public void Twenty_five_targets_with_failed_connections_on_one_port_raise_a_sweep()
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), Sweep(25)));
        Assert.Equal("host-sweep", a.Detector);
        Assert.Equal("actor", a.Role);
        Assert.Equal("T1046", a.Technique);
        Assert.Equal([445], a.Ports);
        Assert.Equal(25, a.Evidence["distinct_targets"]);
        Assert.Contains("port 445/tcp to 25 distinct hosts", a.Summary);
    }

    [Fact]
    public void Twenty_four_targets_do_not_raise_a_sweep()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Sweep(24)));
    }

    [Fact]
    public void Twenty_five_successful_connections_are_not_a_sweep()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Sweep(25, port: 80, flags: Completed)));
    }

    [Fact]
    public void Ping_sweep_of_twenty_five_hosts_raises_T1018()
    {
        // ICMP echo request: type 8 code 0, carried as 8 * 256 in the destination port (NetFlow v5 convention).
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), Sweep(25, proto: 1, port: 0x0800, flags: 0)));
        Assert.Equal("host-sweep", a.Detector);
        Assert.Equal("T1018", a.Technique);
        Assert.Equal("Remote System Discovery", a.TechniqueName);
        Assert.Empty(a.Ports);
    }
}

public class InboundScanDetectorTests
{
    private static IEnumerable<FlowObservation> Probes(string source, int ports) =>
        Enumerable.Range(1, ports).Select(p => In(Ip(source), (ushort)(20 + p), 51_000, flags: Syn, packets: 1, bytes: 44, startMs: T0 + p));

    [Fact]
    public void External_source_probing_fifteen_ports_raises_T1595_for_the_target()
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), Probes("203.0.113.5", 15)));
        Assert.Equal("inbound-scan", a.Detector);
        Assert.Equal("target", a.Role);
        Assert.Equal("TA0043", a.Tactic);
        Assert.Equal("T1595", a.Technique);
        Assert.Equal(["203.0.113.5"], a.Peers);
        Assert.Equal(Enumerable.Range(21, 15), a.Ports);
        Assert.Equal(15, a.Evidence["failed_attempts"]);
    }

    [Fact]
    public void Internal_source_probing_fifteen_ports_raises_port_scan_for_the_target()
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), Probes("10.0.0.77", 15)));
        Assert.Equal("port-scan", a.Detector);
        Assert.Equal("target", a.Role);
        Assert.Equal("T1046", a.Technique);
    }

    [Fact]
    public void Fourteen_probed_ports_raise_nothing()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Probes("203.0.113.5", 14)));
    }
}

public class SynFloodDetectorTests
{
    private static IEnumerable<FlowObservation> Flood(int attempts, int sources = 1, int ports = 1) =>
        Enumerable.Range(0, attempts).Select(i =>
            In(FlowAddress.FromV4(0xCB00_7100u + (uint)(i % sources)), (ushort)(80 + (i % ports)), (ushort)(1024 + i), flags: Syn | Rst, packets: 2, bytes: 80, startMs: T0 + (i * 50)));

    [Fact]
    public void Two_thousand_half_open_attempts_on_one_port_raise_a_syn_flood_without_a_baseline()
    {
        var alerts = Run(new HostBehavior(Host, Settings(TimeSpan.FromDays(1))), Flood(2000));
        var a = Assert.Single(alerts);
        Assert.Equal("syn-flood", a.Detector);
        Assert.Equal("target", a.Role);
        Assert.Equal("TA0040", a.Tactic);
        Assert.Equal("T1499.001", a.Technique);
        Assert.Equal(["203.0.113.0"], a.Peers);
        Assert.Equal([80], a.Ports);
        Assert.Equal(2000, a.Evidence["half_open_attempts"]);
        Assert.Equal(1, a.Evidence["distinct_sources"]);
        Assert.Equal(8, a.Severity);
    }

    [Fact]
    public void Flood_from_many_sources_is_reported_as_network_denial_of_service()
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), Flood(2000, sources: 200)));
        Assert.Equal("T1498", a.Technique);
        Assert.InRange(a.Evidence["distinct_sources"], 180, 220); // beyond 64 values the count is a HyperLogLog estimate
        Assert.Equal(5, a.Peers.Count);
    }

    [Fact]
    public void One_thousand_nine_hundred_ninety_nine_attempts_on_an_unlearnt_host_raise_nothing()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings(TimeSpan.FromDays(1))), Flood(1999)));
    }

    [Fact]
    public void Many_half_open_attempts_spread_over_many_ports_are_a_scan_not_a_flood()
    {
        var alerts = Run(new HostBehavior(Host, Settings()), Flood(3000, ports: 3000));
        Assert.DoesNotContain(alerts, a => a.Detector == "syn-flood");
        Assert.Contains(alerts, a => a.Detector == "inbound-scan");
    }

    [Fact]
    public void Six_hundred_attempts_far_above_a_learnt_baseline_raise_a_flood()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        var alerts = Learning.Then(h, Flood(600).Select(o => In(o.Peer, o.LocalPort, o.PeerPort, flags: Syn, packets: 1, bytes: 60, startMs: t + (o.StartMs - T0) / 10)));
        var a = Assert.Single(alerts);
        Assert.Equal("syn-flood", a.Detector);
        Assert.True(a.Evidence["score"] >= 6);
    }
}

public class BruteForceDetectorTests
{
    private static IEnumerable<FlowObservation> Sessions(int count, Func<int, ulong>? size = null) =>
        Enumerable.Range(0, count).Select(i =>
            In(Ip("203.0.113.9"), 22, (ushort)(40_000 + i), packets: 22, bytes: size?.Invoke(i) ?? (ulong)(3_000 + (i % 5 * 20)), startMs: T0 + (i * 5_000), durationMs: 2_000));

    [Fact]
    public void Twenty_short_similar_ssh_sessions_from_one_source_raise_T1110_for_the_target()
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), Sessions(20)));
        Assert.Equal("brute-force", a.Detector);
        Assert.Equal("target", a.Role);
        Assert.Equal("TA0006", a.Tactic);
        Assert.Equal("T1110", a.Technique);
        Assert.Equal(["203.0.113.9"], a.Peers);
        Assert.Equal([22], a.Ports);
        Assert.Equal(20, a.Evidence["sessions"]);
        Assert.Equal(3_040, a.Evidence["mean_session_bytes"]);
    }

    [Fact]
    public void Host_attacking_another_hosts_rdp_is_reported_as_actor()
    {
        var attempts = Enumerable.Range(0, 30).Select(i => Out(Ip("10.0.0.20"), 3389, (ushort)(50_000 + i), packets: 30, bytes: 4_000, startMs: T0 + (i * 3_000)));
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), attempts));
        Assert.Equal("brute-force", a.Detector);
        Assert.Equal("actor", a.Role);
        Assert.Equal([3389], a.Ports);
        Assert.Equal(["10.0.0.20"], a.Peers);
    }

    [Fact]
    public void Nineteen_sessions_raise_nothing()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Sessions(19)));
    }

    [Fact]
    public void Sessions_of_very_different_sizes_are_not_brute_force()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Sessions(40, i => (ulong)(1_000 * (1 + (i * i))))));
    }
}

public class ExfiltrationDetectorTests
{
    private static FlowObservation Upload(long t, ulong bytes) =>
        Out(Ip("203.0.113.50"), 443, 51_000, packets: bytes / 1400, bytes: bytes, startMs: t + Minute, durationMs: 2 * Minute);

    [Fact]
    public void One_hundred_fifty_megabytes_to_an_external_host_after_learning_raise_T1048()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        var a = Assert.Single(Learning.Then(h, [Upload(t, 150_000_000)]));
        Assert.Equal("exfiltration", a.Detector);
        Assert.Equal("actor", a.Role);
        Assert.Equal("TA0010", a.Tactic);
        Assert.Equal("T1048", a.Technique);
        Assert.Equal("203.0.113.50", a.Peers[0]);
        Assert.Equal(443, a.Ports[0]);
        Assert.True(a.Evidence["bytes_window"] >= 150_000_000);
        Assert.True(a.Evidence["score"] >= 4);
        Assert.InRange(a.Evidence["baseline_bytes"], 10_000, 200_000);
    }

    [Fact]
    public void Ninety_megabytes_in_an_hour_stay_below_the_floor()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        Assert.Empty(Learning.Then(h, [Upload(t, 90_000_000)]));
    }

    [Fact]
    public void Big_upload_during_the_learning_period_raises_nothing()
    {
        var h = new HostBehavior(Host, new DetectionSettings { LearningPeriod = TimeSpan.FromDays(1) });
        long t = Learning.Learn(h);
        Assert.Empty(Learning.Then(h, [Upload(t, 500_000_000)]));
    }
}

public class DnsTunnelDetectorTests
{
    private static IEnumerable<FlowObservation> Queries(long t, int count, ulong bytes) =>
        Enumerable.Range(0, count).Select(i => Out(Ip("10.0.0.53"), 53, (ushort)(30_000 + i), proto: 17, flags: 0, packets: 1, bytes: bytes, startMs: t + 1_000 + (i * 100)));

    [Fact]
    public void One_point_two_megabytes_of_dns_after_learning_raise_T1071_004()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        var a = Assert.Single(Learning.Then(h, Queries(t, 2_000, 600)));
        Assert.Equal("dns-tunnel", a.Detector);
        Assert.Equal("T1071.004", a.Technique);
        Assert.Equal("TA0011", a.Tactic);
        Assert.Equal(["10.0.0.53"], a.Peers);
        Assert.Equal([53], a.Ports);
        Assert.True(a.Evidence["dns_bytes"] >= 1_200_000);
    }

    [Fact]
    public void Nine_hundred_kilobytes_of_dns_stay_below_the_floor()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        Assert.Empty(Learning.Then(h, Queries(t, 1_500, 600)));
    }
}

public class BeaconingDetectorTests
{
    private static IEnumerable<FlowObservation> Beacons(int count, Func<int, long> offset, ushort port = 443, byte proto = 6) =>
        Enumerable.Range(0, count).Select(i =>
            Out(Ip("198.51.100.7"), port, (ushort)(45_000 + i), proto, proto == 6 ? Completed : (ushort)0, 6, (ulong)(300 + (i % 3)), T0 + offset(i), 400));

    [Fact]
    public void Connections_every_minute_with_similar_sizes_raise_T1071()
    {
        // 60 s +- 0.4 s: 14 connections give 13 intervals, more than the 11 needed.
        var alerts = Run(new HostBehavior(Host, Settings()), Beacons(14, i => (i * 60_000L) + (i % 2 == 0 ? 400 : -400)));
        var a = Assert.Single(alerts);
        Assert.Equal("beaconing", a.Detector);
        Assert.Equal("actor", a.Role);
        Assert.Equal("T1071", a.Technique);
        Assert.Equal(["198.51.100.7"], a.Peers);
        Assert.Equal([443], a.Ports);
        Assert.InRange(a.Evidence["interval_median_ms"], 59_000, 61_000);
        Assert.True(a.Evidence["interval_dispersion"] <= 0.1);
    }

    [Fact]
    public void Repeated_beacon_findings_within_the_hour_fold_into_one_alert_id()
    {
        var alerts = Run(new HostBehavior(Host, Settings()), Beacons(40, i => i * 60_000L));
        Assert.True(alerts.Count >= 3);
        Assert.Single(alerts.Select(a => a.Id).Distinct());
        Assert.Equal(Enumerable.Range(1, alerts.Count), alerts.Select(a => a.Count));
        Assert.Equal(alerts[0].WindowStart, alerts[^1].WindowStart);
    }

    [Fact]
    public void Irregular_connections_are_not_beaconing()
    {
        var rnd = new Random(3);
        long t = 0;
        var offsets = Enumerable.Range(0, 30).Select(_ => t += rnd.Next(10_000, 200_000)).ToArray();
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Beacons(30, i => offsets[i])));
    }

    [Fact]
    public void Periodic_ntp_is_not_beaconing()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Beacons(30, i => i * 64_000L, port: 123, proto: 17)));
    }

    [Fact]
    public void Eleven_connections_are_not_enough()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Beacons(11, i => i * 60_000L)));
    }
}

public class LateralMovementDetectorTests
{
    private static IEnumerable<FlowObservation> AdminSessions(long t, int peers, ushort port = 445, int firstPeer = 1) =>
        Enumerable.Range(firstPeer, peers).Select(i => Out(Ip($"10.0.2.{i}"), port, (ushort)(50_000 + i), bytes: 30_000, startMs: t + (i * 1_000)));

    [Fact]
    public void Three_new_internal_smb_peers_after_learning_raise_T1021_002()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        var a = Assert.Single(Learning.Then(h, AdminSessions(t, 3)));
        Assert.Equal("lateral-movement", a.Detector);
        Assert.Equal("TA0008", a.Tactic);
        Assert.Equal("T1021.002", a.Technique);
        Assert.Equal(["10.0.2.1", "10.0.2.2", "10.0.2.3"], a.Peers);
        Assert.Equal([445], a.Ports);
        Assert.Equal(3, a.Evidence["new_admin_peers"]);
    }

    [Fact]
    public void Rdp_to_new_peers_is_T1021_001()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        Assert.Equal("T1021.001", Assert.Single(Learning.Then(h, AdminSessions(t, 4, port: 3389))).Technique);
    }

    [Fact]
    public void Two_new_admin_peers_raise_nothing()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        Assert.Empty(Learning.Then(h, AdminSessions(t, 2)));
    }

    [Fact]
    public void Admin_peers_seen_while_learning_are_not_new()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        var early = new List<Alert>();
        foreach (var o in AdminSessions(T0 - Minute, 5)) h.Observe(in o, early);
        long t = Learning.Learn(h);
        Assert.Empty(early);
        Assert.Empty(Learning.Then(h, AdminSessions(t, 5)));
    }
}

public class RarePortDetectorTests
{
    [Fact]
    public void Heavy_session_on_a_never_used_high_port_after_learning_raises_T1571()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        var alerts = Learning.Then(h, [Out(Ip("198.51.100.20"), 4444, 51_000, packets: 20_000, bytes: 20_000_000, startMs: t + Minute, durationMs: 3 * Minute)]);
        // 20 MB to one external peer on a non-standard port also crosses the exfiltration floor (tested there).
        Assert.Equal(["exfiltration", "rare-port"], alerts.Select(x => x.Detector).Order());
        var a = Assert.Single(alerts, x => x.Detector == "rare-port");
        Assert.Equal("T1571", a.Technique);
        Assert.Equal("Non-Standard Port", a.TechniqueName);
        Assert.Equal(["198.51.100.20"], a.Peers);
        Assert.Equal([4444], a.Ports);
        Assert.Equal(20_000_000, a.Evidence["bytes"]);
    }

    [Fact]
    public void Long_session_on_a_never_used_port_raises_T1571()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        Assert.Equal("rare-port", Assert.Single(Learning.Then(h, [Out(Ip("198.51.100.20"), 7777, 51_000, bytes: 50_000, startMs: t, durationMs: 12 * Minute)])).Detector);
    }

    [Fact]
    public void Light_session_on_a_new_port_raises_nothing()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        Assert.Empty(Learning.Then(h, [Out(Ip("198.51.100.20"), 4444, 51_000, bytes: 5_000_000, startMs: t + Minute, durationMs: Minute)]));
    }

    [Fact]
    public void Heavy_session_on_a_well_known_port_raises_nothing()
    {
        var h = new HostBehavior(Host, Learning.LearnedSettings());
        long t = Learning.Learn(h);
        Assert.Empty(Learning.Then(h, [Out(Ip("10.0.0.99"), 8443, 51_000, bytes: 50_000_000, startMs: t + Minute, durationMs: Minute)]));
    }
}

public class ThreatIntelDetectorTests
{
    [Fact]
    public void Connection_to_a_block_listed_prefix_raises_a_command_and_control_alert_at_once()
    {
        var intel = new ThreatIntelSet(["# feed", "198.51.100.0/24", "2001:db8:bad::/48"]);
        var h = new HostBehavior(Host, Settings(TimeSpan.FromDays(1)), intel);
        var a = Assert.Single(Run(h, [Out(Ip("198.51.100.66"), 8080, 51_000, startMs: T0 + 5_000)]));
        Assert.Equal("threat-intel", a.Detector);
        Assert.Equal("actor", a.Role);
        Assert.Equal("TA0011", a.Tactic);
        Assert.Equal(["198.51.100.66"], a.Peers);
        Assert.Equal([8080], a.Ports);
        Assert.Equal(8, a.Severity);
    }

    [Fact]
    public void Block_listed_source_reaching_our_host_is_reported_for_the_target()
    {
        var intel = new ThreatIntelSet(["198.51.100.66"]);
        var a = Assert.Single(Run(new HostBehavior(Host, Settings(), intel), [In(Ip("198.51.100.66"), 443, 51_000, startMs: T0)]));
        Assert.Equal("target", a.Role);
        Assert.Equal([443], a.Ports);
        Assert.Equal(5, a.Severity);
    }

    [Fact]
    public void Unlisted_peer_raises_nothing()
    {
        var intel = new ThreatIntelSet(["198.51.100.0/24"]);
        Assert.Empty(Run(new HostBehavior(Host, Settings(), intel), [Out(Ip("198.51.101.1"), 8080)]));
    }

    [Fact]
    public void Reload_swaps_in_the_new_file_contents()
    {
        using var dir = new TempDirectory("flowactors-intel");
        string file = dir.File("block.txt");
        File.WriteAllText(file, "198.51.100.1\n");
        var intel = ThreatIntelSet.FromFiles([file]);
        Assert.True(intel.Contains(Ip("198.51.100.1")));
        File.WriteAllText(file, "# replaced\n203.0.113.0/24 ; comment\n");
        intel.Reload();
        Assert.False(intel.Contains(Ip("198.51.100.1")));
        Assert.True(intel.Contains(Ip("203.0.113.77")));
        Assert.Equal(1, intel.Count);
    }

    [Fact]
    public void Bad_line_in_a_block_list_names_file_and_line()
    {
        using var dir = new TempDirectory("flowactors-intel");
        string file = dir.File("block.txt");
        File.WriteAllText(file, "198.51.100.1\nnot-an-address\n");
        var e = Assert.Throws<ArgumentException>(() => ThreatIntelSet.FromFiles([file]));
        Assert.Contains("line 2", e.Message);
        Assert.Contains("block.txt", e.Message);
    }
}

public class BeaconingAmidBrowsingTests
{
    [Fact]
    public void Beacon_is_found_while_the_host_browses_twenty_new_sites_a_minute()
    {
        // The tracked-peer cap (6) is far below the sites visited; one-off peers stay in the candidate ring and
        // irregular ones are evicted first, so the minute-by-minute beacon keeps its slot.
        var rnd = new Random(9);
        var list = new List<FlowObservation>();
        for (int m = 0; m < 20; m++)
        {
            long t = T0 + (m * Minute);
            list.Add(Out(Ip("198.51.100.7"), 443, (ushort)(45_000 + m), packets: 6, bytes: 310, startMs: t + 30_000, durationMs: 300));
            for (int k = 0; k < 20; k++)
            {
                var site = FlowAddress.FromV4(0x5DB8_0000u + (uint)rnd.Next(0, 400));
                list.Add(Out(site, 443, (ushort)rnd.Next(32_768, 60_000), bytes: (ulong)rnd.Next(500, 9_000), startMs: t + rnd.Next(0, 59_000), durationMs: 200));
            }
        }

        var alerts = Run(new HostBehavior(Host, Settings()), list.OrderBy(o => o.EndMs));
        Assert.Contains(alerts, a => a.Detector == "beaconing" && a.Peers[0] == "198.51.100.7");
        Assert.All(alerts, a => Assert.Equal("beaconing", a.Detector));
    }
}
