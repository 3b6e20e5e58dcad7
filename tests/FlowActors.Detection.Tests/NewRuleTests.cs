namespace FlowActors.Detection.Tests;

using static Traffic;

/// <summary>Jitter-tolerant beaconing, prevalence and well-known service destinations (issue 9).</summary>
public class JitteredBeaconTests
{
    private static readonly FlowAddress C2 = Ip("198.51.100.7");

    /// <summary>Connections every <paramref name="period"/> ms with uniform jitter of +-<paramref name="jitter"/> (fraction), small similar requests.</summary>
    private static IEnumerable<FlowObservation> Calls(int count, long period, double jitter, int seed, FlowAddress? peer = null, ushort port = 443, uint peerAs = 0, FlowAddress? host = null)
    {
        var r = new Random(seed);
        long t = T0;
        for (int i = 0; i < count; i++)
        {
            yield return new FlowObservation(host ?? Host, peer ?? C2, (ushort)(45_000 + i), port, 6, Completed, true, false, 6, (ulong)(900 + r.Next(0, 40)), t, t + 300, peerAs);
            t += (long)(period * (1 + (jitter * ((2 * r.NextDouble()) - 1))));
        }
    }

    [Fact]
    public void Sixty_second_beacon_with_twenty_second_jitter_raises_T1071_and_reports_the_jitter()
    {
        // Cobalt Strike style: 60 s +- 20 s (33 %) for 25 minutes.
        var alerts = Run(new HostBehavior(Host, Settings()), Calls(25, 60_000, 1 / 3.0, seed: 1));
        var a = alerts.First(x => x.Detector == "beaconing");
        Assert.Equal("T1071", a.Technique);
        Assert.Equal(["198.51.100.7"], a.Peers);
        Assert.InRange(a.Evidence["jitter"], 0.08, 0.3);
        Assert.InRange(a.Evidence["interval_median_ms"], 50_000, 70_000);
        Assert.True(a.Severity >= Alert.DefaultForwardingSeverity);
        Assert.Contains("jitter", a.Summary);
    }

    [Fact]
    public void Fifty_percent_jitter_is_still_a_beacon()
    {
        Assert.Contains(Run(new HostBehavior(Host, Settings()), Calls(25, 60_000, 0.5, seed: 2)), a => a.Detector == "beaconing");
    }

    [Fact]
    public void Visits_at_random_moments_are_not_beaconing()
    {
        // Exponential gaps (mean 60 s): the trimmed range of intervals is far wider than any jitter.
        var r = new Random(4);
        long t = T0;
        var visits = Enumerable.Range(0, 30).Select(i =>
        {
            t += 5_000 + (long)(-60_000 * Math.Log(1 - r.NextDouble()));
            return Out(C2, 443, (ushort)(40_000 + i), bytes: 900, startMs: t);
        }).ToList();
        Assert.DoesNotContain(Run(new HostBehavior(Host, Settings()), visits), a => a.Detector == "beaconing");
    }

    [Fact]
    public void Beacon_to_a_well_known_service_prefix_is_not_reported()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Calls(30, 300_000, 0.01, seed: 3, peer: Ip("13.107.4.50"))));
    }

    [Fact]
    public void Beacon_to_an_address_announced_by_a_well_known_AS_is_not_reported()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Calls(30, 300_000, 0.01, seed: 3, peer: Ip("40.76.4.15"), peerAs: 8075)));
        Assert.Contains(Run(new HostBehavior(Host, Settings()), Calls(30, 300_000, 0.01, seed: 3, peer: Ip("40.76.4.15"), peerAs: 64_500)), a => a.Detector == "beaconing");
    }

    [Fact]
    public void A_user_added_service_prefix_silences_its_beacons()
    {
        var s = Settings();
        s.WellKnownServices.Cidrs.Add("198.51.100.0/24");
        Assert.Empty(Run(new HostBehavior(Host, s), Calls(25, 60_000, 0.2, seed: 1)));
    }

    [Fact]
    public void A_channel_many_monitored_hosts_keep_stays_below_the_forwarding_severity_and_is_reported_once()
    {
        var prevalence = new PrevalenceSketch();
        foreach (string other in (string[])["10.0.0.6", "10.0.0.7", "10.0.0.8"]) prevalence.Record(Ip(other), C2, T0);
        var alerts = Run(new HostBehavior(Host, Settings(), null, prevalence), Calls(60, 60_000, 0.2, seed: 1));
        var a = Assert.Single(alerts);
        Assert.Equal("beaconing", a.Detector);
        Assert.True(a.Severity < Alert.DefaultForwardingSeverity);
        Assert.True(a.Evidence["prevalence_hosts"] >= 3);
    }

    [Fact]
    public void A_channel_two_other_hosts_keep_is_still_forwarded()
    {
        var prevalence = new PrevalenceSketch();
        prevalence.Record(Ip("10.0.0.6"), C2, T0);
        var alerts = Run(new HostBehavior(Host, Settings(), null, prevalence), Calls(25, 60_000, 0.2, seed: 1));
        Assert.True(alerts.First(x => x.Detector == "beaconing").Severity >= Alert.DefaultForwardingSeverity);
    }
}

public class PrevalenceSketchTests
{
    [Fact]
    public void Counts_distinct_hosts_per_destination()
    {
        var p = new PrevalenceSketch();
        var d = Ip("198.51.100.9");
        for (int i = 1; i <= 5; i++)
        {
            p.Record(Ip($"10.0.0.{i}"), d, T0);
            p.Record(Ip($"10.0.0.{i}"), d, T0 + 1);
        }

        Assert.InRange(p.HostsContacting(d), 4, 6);
        Assert.Equal(0, p.HostsContacting(Ip("198.51.100.10")));
    }

    [Fact]
    public void Holds_at_most_its_capacity_and_keeps_popular_destinations()
    {
        var p = new PrevalenceSketch(capacity: 16);
        var popular = Ip("198.51.100.1");
        for (int i = 1; i <= 5; i++) p.Record(Ip($"10.0.0.{i}"), popular, T0);
        for (int i = 0; i < 1_000; i++) p.Record(Ip("10.0.0.9"), FlowAddress.FromV4(0x0B00_0000u + (uint)i), T0 + i);
        Assert.Equal(16, p.Count);
        Assert.True(p.HostsContacting(popular) >= 4);
    }

    [Fact]
    public void Merging_an_export_is_a_union_and_idempotent()
    {
        var a = new PrevalenceSketch();
        var b = new PrevalenceSketch();
        var d = Ip("198.51.100.9");
        a.Record(Ip("10.0.0.1"), d, T0);
        b.Record(Ip("10.0.0.2"), d, T0);
        b.Record(Ip("10.0.0.3"), d, T0);
        a.Merge(b.Export());
        int once = a.HostsContacting(d);
        a.Merge(b.Export());
        Assert.Equal(once, a.HostsContacting(d));
        Assert.InRange(once, 2, 4);
        Assert.Throws<InvalidDataException>(() => a.Merge([9, 0, 0, 0, 0]));
    }
}

/// <summary>Connection loops to one external address and port (failing C2, T1071 / T1571).</summary>
public class ConnectionLoopTests
{
    private static IEnumerable<FlowObservation> Retries(int count, long gapMs, ushort port = 4444, string peer = "198.51.100.66") =>
        Enumerable.Range(0, count).Select(i => Out(Ip(peer), port, (ushort)(40_000 + i), flags: Syn, packets: 2, bytes: 120, startMs: T0 + (i * gapMs), durationMs: 1_000));

    [Fact]
    public void Forty_failed_connections_to_one_port_over_six_minutes_raise_T1571()
    {
        var loops = Run(new HostBehavior(Host, Settings()), Retries(40, 9_000)).Where(x => x.Detector == "connection-loop").ToList();
        Assert.Single(loops.Select(x => x.Id).Distinct()); // later windows update the same alert
        var a = loops[^1];
        Assert.Equal("actor", a.Role);
        Assert.Equal("T1571", a.Technique);
        Assert.Equal(["198.51.100.66"], a.Peers);
        Assert.Equal([4444], a.Ports);
        Assert.Equal(40, a.Evidence["failed_attempts"]);
    }

    [Fact]
    public void A_loop_on_a_web_port_is_T1071()
    {
        Assert.Equal("T1071", Run(new HostBehavior(Host, Settings()), Retries(40, 9_000, port: 443)).First(x => x.Detector == "connection-loop").Technique);
    }

    [Fact]
    public void Twenty_nine_failed_connections_raise_nothing()
    {
        Assert.DoesNotContain(Run(new HostBehavior(Host, Settings()), Retries(29, 9_000)), a => a.Detector == "connection-loop");
    }

    [Fact]
    public void A_retry_burst_shorter_than_two_minutes_raises_nothing()
    {
        Assert.DoesNotContain(Run(new HostBehavior(Host, Settings()), Retries(60, 1_000)), a => a.Detector == "connection-loop");
    }

    [Fact]
    public void A_slow_loop_adds_up_across_windows()
    {
        // One attempt a minute for 40 minutes: never more than 5 in a window.
        Assert.Contains(Run(new HostBehavior(Host, Settings()), Retries(40, 60_000)), a => a.Detector == "connection-loop");
    }

    [Fact]
    public void Failed_connections_to_a_well_known_service_are_not_a_loop()
    {
        Assert.DoesNotContain(Run(new HostBehavior(Host, Settings()), Retries(40, 9_000, port: 443, peer: "13.107.4.50")), a => a.Detector == "connection-loop");
    }
}

/// <summary>The exfiltration floor that works from a host's first hour.</summary>
public class ExfiltrationFloorTests
{
    private static FlowObservation Upload(ulong bytes, long start, ushort port = 9999, string peer = "198.51.100.7") =>
        Out(Ip(peer), port, 45_000, packets: bytes / 1_400, bytes: bytes, startMs: start, durationMs: 60_000);

    [Fact]
    public void Twenty_five_megabytes_to_one_peer_on_a_non_standard_port_in_the_first_hour_raise_T1048()
    {
        // Default settings: a one-day learning period, no baseline yet.
        var a = Assert.Single(Run(new HostBehavior(Host, new DetectionSettings()), [Upload(25_000_000, T0)]));
        Assert.Equal("exfiltration", a.Detector);
        Assert.Equal("T1048", a.Technique);
        Assert.Equal(["198.51.100.7"], a.Peers);
        Assert.Equal([9999], a.Ports);
        Assert.True(a.Severity >= 7); // no history and a non-standard port raise it
    }

    [Fact]
    public void Nineteen_megabytes_raise_nothing()
    {
        Assert.Empty(Run(new HostBehavior(Host, new DetectionSettings()), [Upload(19_000_000, T0)]));
    }

    [Fact]
    public void An_upload_spread_over_three_windows_adds_up()
    {
        Assert.Single(Run(new HostBehavior(Host, new DetectionSettings()), [Upload(8_000_000, T0), Upload(8_000_000, T0 + (5 * Minute)), Upload(8_000_000, T0 + (10 * Minute))]));
    }

    [Fact]
    public void The_same_bytes_spread_over_an_hour_raise_nothing()
    {
        Assert.Empty(Run(new HostBehavior(Host, new DetectionSettings()), Enumerable.Range(0, 4).Select(i => Upload(6_000_000, T0 + (i * 20 * Minute)))));
    }

    [Fact]
    public void Uploads_over_https_are_exempt()
    {
        Assert.Empty(Run(new HostBehavior(Host, new DetectionSettings()), [Upload(25_000_000, T0, port: 443)]));
    }

    [Fact]
    public void A_server_answering_an_external_client_is_not_uploading()
    {
        // The host serves 25 MB from its port 8081 to a client's ephemeral port: the client initiated.
        var reply = Out(Ip("198.51.100.7"), 51_000, 8081, packets: 18_000, bytes: 25_000_000, startMs: T0, durationMs: 60_000);
        var request = In(Ip("198.51.100.7"), 8081, 51_000, bytes: 2_000, startMs: T0, durationMs: 60_000);
        Assert.Empty(Run(new HostBehavior(Host, new DetectionSettings()), [request, reply]));
    }
}

/// <summary>Inbound scans of public hosts: UDP, slow scans, one alert per scanner, the victim never an actor.</summary>
public class InboundScanHorizonTests
{
    private static readonly FlowAddress Scanner = Ip("198.51.100.50");

    private static IEnumerable<FlowObservation> UdpProbes(int ports, bool answered)
    {
        for (int p = 1; p <= ports; p++)
        {
            yield return In(Scanner, (ushort)(100 + p), 52_000, proto: 17, flags: 0, packets: 1, bytes: 40, startMs: T0 + (p * 100));
            if (answered) yield return Out(Scanner, (3 << 8) | 3, 0, proto: 1, flags: 0, packets: 1, bytes: 68, startMs: T0 + (p * 100) + 1);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Udp_probes_of_fifteen_ports_raise_inbound_scan_whether_answered_or_not(bool answered)
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), UdpProbes(15, answered)));
        Assert.Equal("inbound-scan", a.Detector);
        Assert.Equal("target", a.Role);
        Assert.Equal("T1595", a.Technique);
        Assert.Equal(15, a.Evidence["udp_ports"]);
    }

    [Fact]
    public void Udp_probes_of_fourteen_ports_raise_nothing()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), UdpProbes(14, answered: true)));
    }

    private static IEnumerable<FlowObservation> SlowScan(int ports, long gapMs, FlowAddress? source = null) =>
        Enumerable.Range(0, ports).SelectMany(p => new[]
        {
            In(source ?? Scanner, (ushort)(1_000 + p), 52_000, flags: Syn, packets: 1, bytes: 44, startMs: T0 + (p * gapMs)),
            Out(source ?? Scanner, 52_000, (ushort)(1_000 + p), flags: Rst | Ack, packets: 1, bytes: 40, startMs: T0 + (p * gapMs) + 1),
        });

    [Fact]
    public void A_slow_scan_of_sixteen_ports_one_every_four_minutes_raises_one_inbound_scan()
    {
        var alerts = Run(new HostBehavior(Host, Settings()), SlowScan(16, 4 * Minute));
        var a = Assert.Single(alerts);
        Assert.Equal("inbound-scan", a.Detector);
        Assert.Equal(15, a.Evidence["distinct_ports"]); // reported once, when it crossed the threshold
        Assert.True(a.Evidence["span_ms"] >= 14 * 4 * Minute);
    }

    [Fact]
    public void Fifteen_ports_spread_wider_than_the_horizon_raise_nothing()
    {
        // One probe every 10 minutes with a 30-minute horizon: never more than 4 ports within one horizon.
        var s = Settings();
        s.InboundScan.LongHorizon = TimeSpan.FromMinutes(30);
        Assert.Empty(Run(new HostBehavior(Host, s), SlowScan(15, 10 * Minute)));
    }

    [Fact]
    public void A_scanner_probing_for_hours_is_reported_once()
    {
        var alerts = Run(new HostBehavior(Host, Settings()), SlowScan(200, Minute));
        Assert.Single(alerts.Select(a => a.Id).Distinct());
        Assert.Single(alerts);
    }

    [Fact]
    public void The_victims_answers_never_make_it_an_actor()
    {
        // Probes from a scanner whose source port is a service port (80): the victim's SYN-ACKs and RSTs answer.
        var answers = Enumerable.Range(0, 40).SelectMany(p => new[]
        {
            In(Scanner, (ushort)(2_000 + p), 80, flags: Syn | Rst, packets: 2, bytes: 84, startMs: T0 + (p * 10_000)),
            Out(Scanner, 80, (ushort)(2_000 + p), flags: p % 2 == 0 ? (ushort)(Syn | Ack) : (ushort)(Rst | Ack), packets: 1, bytes: 44, startMs: T0 + (p * 10_000) + 1),
            Out(Scanner, (3 << 8) | 3, 0, proto: 1, flags: 0, packets: 1, bytes: 68, startMs: T0 + (p * 10_000) + 2),
        });
        var alerts = Run(new HostBehavior(Host, Settings()), answers);
        Assert.DoesNotContain(alerts, a => a.Role == "actor");
        Assert.Equal("inbound-scan", Assert.Single(alerts).Detector);
    }

    [Fact]
    public void Symmetric_ntp_replies_are_not_probes()
    {
        var ntp = Enumerable.Range(0, 40).Select(i => In(FlowAddress.FromV4(0xA29F_C800u + (uint)i), 123, 123, proto: 17, flags: 0, packets: 1, bytes: 76, startMs: T0 + (i * 1_000)));
        var h = new HostBehavior(Host, Settings());
        Assert.Empty(Run(h, ntp));
        Assert.DoesNotContain("scans 1", h.DescribeMemory().Replace("scans 0", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}

/// <summary>Horizontal bursts to the Internet (T1046).</summary>
public class InternetSweepTests
{
    private static IEnumerable<FlowObservation> Burst(int targets, ushort port, bool failed, Func<int, ulong>? size = null, long spreadMs = 5_000) =>
        Enumerable.Range(0, targets).Select(i => Out(FlowAddress.FromV4(0xC633_6400u + (uint)i), port, (ushort)(40_000 + i),
            flags: failed ? Syn : Completed, packets: failed ? 1UL : 8UL, bytes: failed ? 44UL : size!(i), startMs: T0 + (i * spreadMs / targets)));

    [Fact]
    public void Failed_syns_to_twenty_internet_hosts_on_445_within_seconds_raise_T1046()
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()), Burst(20, 445, failed: true)));
        Assert.Equal("internet-sweep", a.Detector);
        Assert.Equal("actor", a.Role);
        Assert.Equal("T1046", a.Technique);
        Assert.Equal([445], a.Ports);
        Assert.Equal(20, a.Evidence["distinct_targets"]);
    }

    [Fact]
    public void Nineteen_hosts_raise_nothing()
    {
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Burst(19, 445, failed: true)));
    }

    [Fact]
    public void Uniform_completed_sessions_on_a_non_web_port_raise_T1046()
    {
        Assert.Equal("internet-sweep", Assert.Single(Run(new HostBehavior(Host, Settings()), Burst(25, 6379, failed: false, size: i => (ulong)(300 + (i % 5))))).Detector);
    }

    [Fact]
    public void A_browser_page_load_of_thirty_five_hosts_stays_silent()
    {
        var r = new Random(5);
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Burst(35, 443, failed: false, size: _ => (ulong)r.Next(500, 200_000), spreadMs: 2_000)));
    }

    [Fact]
    public void Uniform_sessions_on_a_web_port_stay_silent()
    {
        // Tracking pixels are small and alike: on web ports only failures count.
        Assert.Empty(Run(new HostBehavior(Host, Settings()), Burst(30, 443, failed: false, size: _ => 1_200)));
    }

    [Fact]
    public void Twenty_hosts_over_a_whole_window_are_too_slow_for_a_burst()
    {
        var s = Settings();
        s.InternetSweep.MinTargetsPerMinute = 20;
        s.HostSweep.MinTargets = 100;
        Assert.Empty(Run(new HostBehavior(Host, s), Burst(20, 445, failed: true, spreadMs: 4 * Minute + 50_000)));
    }
}

/// <summary>Snapshots written before issue 9 still restore.</summary>
public class SnapshotVersionTests
{
    [Fact]
    public void A_version_one_snapshot_restores_and_behaves_like_a_host_that_never_stopped()
    {
        // Written by the previous release (Data/snapshot-v1-workstation.hex): the first half of a 6-hour workstation day.
        byte[] v1 = Convert.FromHexString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "snapshot-v1-workstation.hex")).Trim());
        Assert.Equal(1, v1[2]);
        var settings = Settings(TimeSpan.FromHours(1));
        var traffic = BenignTraffic.Workstation(Host, seed: 7, hours: 6).ToList();
        var restored = HostBehavior.Restore(v1, Host, settings);
        var straight = new HostBehavior(Host, settings);
        var ignored = new List<Alert>();
        foreach (var o in traffic.Take(traffic.Count / 2)) straight.Observe(in o, ignored);
        Assert.Equal(straight.BaselineWindows, restored.BaselineWindows);
        Assert.Equal(straight.EventTimeMs, restored.EventTimeMs);
        Assert.Equal(Run(straight, traffic.Skip(traffic.Count / 2)).Select(a => a.Detector), Run(restored, traffic.Skip(traffic.Count / 2)).Select(a => a.Detector));
        // The restored state writes the current (tagged) version.
        Assert.Equal(3, restored.ToSnapshot()[2]);
    }

    [Fact]
    public void New_state_round_trips_through_a_snapshot()
    {
        // A loop, a scan being accumulated, an upload and a burst all in flight.
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        var obs = new List<FlowObservation>();
        for (int i = 0; i < 10; i++) obs.Add(Out(Ip("198.51.100.66"), 4444, (ushort)(40_000 + i), flags: Syn, packets: 1, bytes: 60, startMs: T0 + (i * 10_000)));
        for (int p = 0; p < 5; p++) obs.Add(In(Ip("198.51.100.50"), (ushort)(100 + p), 52_000, proto: 17, flags: 0, packets: 1, bytes: 40, startMs: T0 + p));
        obs.Add(Out(Ip("198.51.100.7"), 9999, 45_000, packets: 5_000, bytes: 8_000_000, startMs: T0, durationMs: 60_000));
        for (int i = 0; i < 6; i++) obs.Add(Out(FlowAddress.FromV4(0xC633_6400u + (uint)i), 445, (ushort)(41_000 + i), flags: Syn, packets: 1, bytes: 44, startMs: T0 + (6 * Minute) + i));
        foreach (var o in obs) h.Observe(in o, alerts);
        byte[] snapshot = h.ToSnapshot();
        var restored = HostBehavior.Restore(snapshot, Host, Settings());
        Assert.Equal(snapshot, restored.ToSnapshot());
        Assert.DoesNotContain("loops 0", h.DescribeMemory());
        Assert.DoesNotContain("scans 0", h.DescribeMemory());
        Assert.DoesNotContain("uploads 0", restored.DescribeMemory());
        var more = Enumerable.Range(10, 40).Select(i => Out(Ip("198.51.100.66"), 4444, (ushort)(40_000 + i), flags: Syn, packets: 1, bytes: 60, startMs: T0 + (i * 10_000))).ToList();
        Assert.Equal(Run(h, more).Select(a => a.ToJsonLine()), Run(restored, more).Select(a => a.ToJsonLine()));
    }
}
