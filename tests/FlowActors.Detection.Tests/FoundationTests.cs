using System.Runtime.CompilerServices;
using System.Text.Json;

namespace FlowActors.Detection.Tests;

using static Traffic;

public class NetworkClassifierTests
{
    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("fd00::1", true)] // RFC 4193 unique local fc00::/7
    [InlineData("fc00::1", true)]
    [InlineData("fe80::1", false)]
    [InlineData("2001:db8::1", false)]
    public void Default_networks_are_RFC_1918_and_RFC_4193(string address, bool monitored)
    {
        Assert.Equal(monitored, NetworkClassifier.Default.IsMonitored(Ip(address)));
    }

    [Fact]
    public void Custom_networks_replace_the_defaults()
    {
        var c = new NetworkClassifier(["198.51.100.0/24", "2001:db8:1::/48", "203.0.113.7"]);
        Assert.True(c.IsMonitored(Ip("198.51.100.200")));
        Assert.True(c.IsMonitored(Ip("2001:db8:1:ffff::1")));
        Assert.True(c.IsMonitored(Ip("203.0.113.7")));
        Assert.False(c.IsMonitored(Ip("203.0.113.8")));
        Assert.False(c.IsMonitored(Ip("10.0.0.1")));
    }

    [Theory]
    [InlineData("10.0.0.5", "93.184.216.34", MonitoredEnds.Source)]
    [InlineData("93.184.216.34", "10.0.0.5", MonitoredEnds.Destination)]
    [InlineData("10.0.0.5", "10.0.0.6", MonitoredEnds.Source | MonitoredEnds.Destination)]
    [InlineData("8.8.8.8", "93.184.216.34", MonitoredEnds.None)]
    public void Split_gives_one_observation_per_monitored_end_marking_a_monitored_peer(string src, string dst, MonitoredEnds expected)
    {
        var r = new FlowRecord { SrcAddr = Ip(src), DstAddr = Ip(dst), SrcPort = 51_000, DstPort = 443, Protocol = 6, Present = FlowFields.Ports };
        var ends = NetworkClassifier.Default.Split(in r, out var outbound, out var inbound);
        Assert.Equal(expected, ends);
        bool both = expected == (MonitoredEnds.Source | MonitoredEnds.Destination);
        if ((ends & MonitoredEnds.Source) != 0)
        {
            Assert.Equal(FlowObservation.FromOutbound(in r, both), outbound);
            Assert.Equal(Ip(src), outbound.Host);
        }
        if ((ends & MonitoredEnds.Destination) != 0)
        {
            Assert.Equal(FlowObservation.FromInbound(in r, both), inbound);
            Assert.Equal(Ip(dst), inbound.Host);
        }
    }

    [Fact]
    public void Bad_prefix_names_the_setting_and_the_entry()
    {
        var e = Assert.Throws<ArgumentException>(() => new NetworkClassifier(["10.0.0.0/33"]));
        Assert.Contains("Detection:Networks", e.Message);
        Assert.Contains("10.0.0.0/33", e.Message);
    }
}

public class DetectionSettingsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var s = new DetectionSettings().Validate();
        Assert.Equal(TimeSpan.FromMinutes(5), s.Window);
        Assert.Equal(TimeSpan.FromHours(1), s.SuppressionWindow);
        Assert.Equal(15, s.PortScan.MinPorts);
        Assert.Equal(25, s.HostSweep.MinTargets);
        Assert.Equal(100_000_000, s.Exfiltration.MinBytesPerHour);
    }

    [Fact]
    public void Port_scan_threshold_below_two_is_rejected_with_the_setting_name()
    {
        var e = Assert.Throws<ArgumentException>(() => new DetectionSettings { PortScan = { MinPorts = 1 } }.Validate());
        Assert.StartsWith("Detection:PortScan:MinPorts must be >= 2", e.Message);
    }

    [Fact]
    public void Lateness_longer_than_a_window_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new DetectionSettings { AllowedLateness = TimeSpan.FromMinutes(6) }.Validate());
        Assert.StartsWith("Detection:AllowedLateness", e.Message);
    }

    [Fact]
    public void Missing_threat_intel_file_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new DetectionSettings { ThreatIntel = { Files = ["/nonexistent/block.txt"] } }.Validate());
        Assert.StartsWith("Detection:ThreatIntel:Files", e.Message);
    }

    [Fact]
    public void Bad_allowlist_port_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new DetectionSettings { Allowlist = { Ports = [70_000] } }.Validate());
        Assert.StartsWith("Detection:Allowlist:Ports", e.Message);
    }

    [Fact]
    public void Host_behavior_refuses_invalid_settings()
    {
        Assert.Throws<ArgumentException>(() => new HostBehavior(Host, new DetectionSettings { Window = TimeSpan.FromSeconds(1) }));
    }
}

public class DistinctSketchTests
{
    [Fact]
    public void Counts_are_exact_up_to_sixty_four_values()
    {
        var s = new DistinctSketch();
        for (uint i = 0; i < 64; i++)
        {
            s.Add(i);
            s.Add(i); // duplicates never count
        }

        Assert.True(s.IsExact);
        Assert.Equal(64, s.Count);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public void Large_counts_are_estimated_within_fifteen_percent(int n)
    {
        // HyperLogLog with 256 registers: standard error 1.04 / sqrt(256) = 6.5 %.
        var s = new DistinctSketch();
        for (int i = 0; i < n; i++) s.Add((uint)(i * 2_654_435_761u));
        Assert.False(s.IsExact);
        Assert.InRange(s.Count, n * 0.85, n * 1.15);
        Assert.True(s.HeapBytes <= 600);
    }

    [Fact]
    public void The_cached_estimate_follows_every_register_change()
    {
        // Count is cached between changes (eviction asks it often); asked between adds, it must equal the estimate of
        // a sketch that saw the same values without being asked.
        var asked = new DistinctSketch();
        var fresh = new DistinctSketch();
        for (int i = 0; i < 5_000; i++)
        {
            uint v = (uint)(i * 2_654_435_761u);
            asked.Add(v);
            fresh.Add(v);
            if (i % 1_000 == 0) _ = asked.Count; // last asked at 4,000: a stale cache would answer that estimate
        }

        var reference = new DistinctSketch();
        for (int i = 0; i < 5_000; i++) reference.Add((uint)(i * 2_654_435_761u));
        Assert.Equal(reference.Count, asked.Count);
        Assert.Equal(fresh.Count, asked.Count);
        asked.Clear();
        Assert.Equal(0, asked.Count);
    }

    [Fact]
    public void A_cleared_sketch_reuses_its_registers_and_estimates_the_next_window_as_a_fresh_one_would()
    {
        var reused = new DistinctSketch();
        for (uint i = 0; i < 5_000; i++) reused.Add(i * 2_654_435_761u); // estimating: registers full of the last window
        var registers = reused.Hll;
        reused.Clear();
        Assert.Equal(0, reused.Count);
        Assert.True(reused.IsExact);

        var fresh = new DistinctSketch();
        for (uint i = 0; i < 300; i++)
        {
            reused.Add(i + 7_000_000u);
            fresh.Add(i + 7_000_000u);
        }

        Assert.Same(registers, reused.Hll); // no new array for the second window
        Assert.Equal(fresh.Hll, reused.Hll); // zeroed before reuse: nothing of the first window is counted
        Assert.Equal(fresh.Count, reused.Count);
    }

    [Fact]
    public void Reset_forgets_everything_and_releases_memory()
    {
        var s = new DistinctSketch();
        for (uint i = 0; i < 500; i++) s.Add(i);
        s.Clear(); // keeps the arrays for a pooled window...
        Assert.True(s.HeapBytes > 0);
        s.Reset(); // ...but a reset releases them all, the spare registers included
        Assert.Equal(0, s.Count);
        Assert.Equal(0, s.HeapBytes);
    }
}

public class WindowPoolTests
{
    [Fact]
    public void Closed_windows_are_reused_with_their_arrays_and_the_pool_stops_at_its_byte_bound()
    {
        // Thread-static: run on a thread of its own so other tests' windows do not share this pool.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var w = WindowPool.Rent(1);
                for (uint i = 0; i < 40; i++) w.PortsOut.Add(i);
                WindowPool.Return(w);
                Assert.Equal(1, WindowPool.Count);
                Assert.True(WindowPool.PooledBytes > 0);
                var again = WindowPool.Rent(2);
                Assert.Same(w, again);
                Assert.Equal(2, again.Index);
                Assert.Equal(0, again.PortsOut.Count);
                Assert.Equal(0, WindowPool.PooledBytes);

                // Far more windows close than the bound holds (as at a boundary of a big population): the pool keeps
                // what fits in MaxPooledBytes and lets the GC have the rest.
                var many = new List<WindowState>();
                for (int k = 0; k < 200_000; k++)
                {
                    var x = WindowPool.Rent(k);
                    for (uint i = 0; i < 40; i++) x.PortsOut.Add(i);
                    many.Add(x);
                }

                foreach (var x in many) WindowPool.Return(x);
                Assert.InRange(WindowPool.PooledBytes, WindowPool.MaxPooledBytes - 4_096, WindowPool.MaxPooledBytes);
                Assert.True(WindowPool.Count < many.Count);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException(failure.ToString());
    }
}

public class FlowRulesTests
{
    [Theory]
    [InlineData(Syn, 1, AttemptKind.FailedAttempt)] // unanswered SYN (Zeek S0)
    [InlineData(Syn | Rst, 2, AttemptKind.FailedAttempt)] // half-open: SYN, then RST after the SYN-ACK (nmap -sS, hping3)
    [InlineData(Rst | Ack, 1, AttemptKind.Refusal)] // closed port answers RST/ACK (Zeek REJ)
    [InlineData(Syn | Ack, 1, AttemptKind.Answer)] // server side of a handshake: the SYN-ACK answers, it does not connect
    [InlineData(Syn | Ack, 2, AttemptKind.Ordinary)] // a client's handshake without data (SYN, then ACK)
    [InlineData(Completed, 10, AttemptKind.Ordinary)]
    [InlineData(Rst | Ack, 5, AttemptKind.Ordinary)] // too many packets for a refusal
    [InlineData(0, 1, AttemptKind.Ordinary)] // flags not exported
    public void Tcp_records_are_classified_by_their_cumulative_flags(ushort flags, int packets, AttemptKind expected)
    {
        Assert.Equal(expected, FlowRules.Classify(6, flags, (ulong)packets));
    }

    [Theory]
    [InlineData(6, 51_000, 443, true)]
    [InlineData(6, 443, 51_000, false)]
    [InlineData(17, 40_000, 53, true)]
    [InlineData(6, 50_000, 3389, true)] // registered service port
    [InlineData(6, 40_000, 45_000, false)] // two ephemeral ports: the higher is the client
    [InlineData(1, 0, 0x0800, true)] // ICMP echo request
    [InlineData(1, 0, 0x0000, false)] // ICMP echo reply
    [InlineData(58, 0, 128 << 8, true)] // ICMPv6 echo request
    public void Initiator_is_inferred_from_service_ports_and_icmp_types(byte proto, int src, int dst, bool sourceInitiates)
    {
        Assert.Equal(sourceInitiates, FlowRules.SourceIsInitiator(proto, (ushort)src, (ushort)dst));
    }
}

public class FlowObservationTests
{
    [Fact]
    public void Observation_is_a_compact_reference_free_struct()
    {
        Assert.Equal(88, Unsafe.SizeOf<FlowObservation>());
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<FlowObservation>());
    }

    [Fact]
    public void Both_ends_of_a_record_are_observed_with_swapped_roles()
    {
        var r = new FlowRecord
        {
            SrcAddr = Ip("10.0.0.5"), DstAddr = Ip("93.184.216.34"), SrcPort = 51_000, DstPort = 443, Protocol = 6, TcpFlags = Completed,
            Packets = 10, Bytes = 2_000, SamplingRate = 100, StartMs = T0, EndMs = T0 + 1_500, Present = FlowFields.Ports | FlowFields.Times,
        };
        var o = FlowObservation.FromOutbound(in r, peerInternal: false);
        Assert.Equal(Ip("10.0.0.5"), o.Host);
        Assert.Equal(Ip("93.184.216.34"), o.Peer);
        Assert.Equal(51_000, o.LocalPort);
        Assert.Equal(443, o.PeerPort);
        Assert.True(o.Outbound);
        Assert.False(o.PeerIsInternal);
        Assert.Equal(1_000UL, o.Packets); // upscaled by 1-in-100 sampling
        Assert.Equal(200_000UL, o.Bytes);
        Assert.Equal(T0 + 1_500, o.EndMs);

        var i = FlowObservation.FromInbound(in r, peerInternal: true);
        Assert.Equal(Ip("93.184.216.34"), i.Host);
        Assert.Equal(Ip("10.0.0.5"), i.Peer);
        Assert.Equal(443, i.LocalPort);
        Assert.Equal(51_000, i.PeerPort);
        Assert.False(i.Outbound);
        Assert.True(i.PeerIsInternal);
    }

    [Fact]
    public void Icmp_type_and_code_travel_in_the_destination_port()
    {
        var r = new FlowRecord { SrcAddr = Ip("10.0.0.5"), DstAddr = Ip("10.0.0.6"), Protocol = 1, IcmpType = 8, IcmpCode = 0, Present = FlowFields.Icmp };
        Assert.Equal(0x0800, FlowObservation.FromOutbound(in r, true).PeerPort);
        Assert.Equal(0x0800, FlowObservation.FromInbound(in r, true).LocalPort);
    }
}

public class EventTimeWindowTests
{
    private static FlowObservation Probe(int port, long end) => Out(Ip("10.0.0.9"), (ushort)port, flags: Syn, packets: 1, bytes: 44, startMs: end, durationMs: 0);

    [Fact]
    public void Late_observation_within_the_allowed_lateness_joins_its_window()
    {
        // 14 probes in 08:00-08:05, then event time reaches 08:05:20 and the 15th probe of 08:04:59 arrives late
        // (allowed lateness 30 s): the window is still open and the scan is found.
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        for (int p = 1; p <= 14; p++) h.Observe(Probe(p, T0 + (p * 1_000)), alerts);
        h.Observe(Out(Ip("10.0.0.7"), 80, startMs: T0 + (5 * Minute) + 20_000), alerts);
        h.Observe(Probe(15, T0 + (5 * Minute) - 1_000), alerts);
        h.AdvanceTo(T0 + (20 * Minute), alerts);
        Assert.Equal("port-scan", Assert.Single(alerts).Detector);
        Assert.Equal(0, h.LateObservations);
    }

    [Fact]
    public void Observation_later_than_the_allowed_lateness_is_dropped_and_counted()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        for (int p = 1; p <= 14; p++) h.Observe(Probe(p, T0 + (p * 1_000)), alerts);
        h.Observe(Out(Ip("10.0.0.7"), 80, startMs: T0 + (5 * Minute) + 31_000), alerts);
        h.Observe(Probe(15, T0 + (5 * Minute) - 1_000), alerts);
        h.AdvanceTo(T0 + (20 * Minute), alerts);
        Assert.Empty(alerts);
        Assert.Equal(1, h.LateObservations);
    }

    [Fact]
    public void Idle_tick_closes_the_window_once_event_time_passes_its_end_plus_lateness()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        for (int p = 1; p <= 15; p++) h.Observe(Probe(p, T0 + p), alerts);
        // Event time moving inside the open window changes nothing worth writing; the close does.
        h.AdvanceTo(T0 + (5 * Minute) + 29_000, alerts); // may close the empty window before T0's
        Assert.False(h.AdvanceTo(T0 + (5 * Minute) + 29_999, alerts));
        Assert.Empty(alerts);
        Assert.True(h.AdvanceTo(T0 + (5 * Minute) + 30_000, alerts));
        Assert.Single(alerts);
        Assert.False(h.AdvanceTo(T0, alerts)); // backwards: nothing happens
        Assert.Equal(T0 + (5 * Minute) + 30_000, h.EventTimeMs);
    }
}

public class SuppressionTests
{
    private static IEnumerable<FlowObservation> Scan(long at) =>
        Enumerable.Range(1, 20).Select(p => Out(Ip("10.0.0.9"), (ushort)p, flags: Syn, packets: 1, bytes: 44, startMs: at + p, durationMs: 0));

    [Fact]
    public void Repeat_within_the_hour_updates_the_same_alert_and_later_ones_start_a_new_one()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = Run(h, Scan(T0).Concat(Scan(T0 + (30 * Minute))).Concat(Scan(T0 + (70 * Minute))));
        Assert.Equal(3, alerts.Count);
        Assert.Equal(alerts[0].Id, alerts[1].Id);
        Assert.Equal([1, 2, 1], alerts.Select(a => a.Count));
        Assert.Equal(alerts[0].WindowStart, alerts[1].WindowStart);
        Assert.Equal(new DateTime(2027, 1, 15, 8, 35, 0, DateTimeKind.Utc), alerts[1].WindowEnd);
        Assert.NotEqual(alerts[0].Id, alerts[2].Id);
    }

    [Fact]
    public void Zero_suppression_window_raises_every_finding_separately()
    {
        var s = Settings();
        s.SuppressionWindow = TimeSpan.Zero;
        var alerts = Run(new HostBehavior(Host, s), Scan(T0).Concat(Scan(T0 + (10 * Minute))));
        Assert.Equal(2, alerts.Select(a => a.Id).Distinct().Count());
        Assert.All(alerts, a => Assert.Equal(1, a.Count));
    }
}

public class AlertJsonTests
{
    [Fact]
    public void Json_line_uses_the_design_field_names_and_round_trips()
    {
        var a = Assert.Single(Run(new HostBehavior(Host, Settings()),
            Enumerable.Range(1, 15).Select(p => Out(Ip("10.0.0.9"), (ushort)p, flags: Syn, packets: 1, bytes: 44, startMs: T0 + p))));
        string line = a.ToJsonLine();
        Assert.DoesNotContain('\n', line);
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(
            ["id", "time", "host", "role", "peers", "ports", "detector", "tactic", "technique", "severity", "summary", "evidence", "window_start", "window_end", "count"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("2027-01-15T08:05:00.000Z", doc.RootElement.GetProperty("time").GetString());
        Assert.Equal("T1046", doc.RootElement.GetProperty("technique").GetProperty("id").GetString());
        Assert.True(a.ContentEquals(Alert.FromJsonLine(line)));
    }

    [Fact]
    public void Non_json_text_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => Alert.FromJsonLine("{\"id\": 1"));
    }
}

public class HostStateSizeTests
{
    [Fact]
    public void Typical_workstation_state_at_rest_stays_within_two_kilobytes()
    {
        // A day of office browsing, DNS, NTP, SMB and a nightly backup; measured between windows.
        var h = new HostBehavior(Host, new DetectionSettings());
        Run(h, BenignTraffic.Workstation(Host, seed: 21, hours: 24));
        Assert.InRange(h.ApproximateBytes, 200, 2_048);
        Assert.InRange(h.SnapshotSize, 100, 1_024);
    }

    [Fact]
    public void Per_peer_structures_are_capped_however_many_peers_there_are()
    {
        var h = new HostBehavior(Host, new DetectionSettings { LearningPeriod = TimeSpan.Zero });
        var alerts = new List<Alert>();
        for (int i = 0; i < 200_000; i++)
        {
            var peer = FlowAddress.FromV4(0x5000_0000u + (uint)i);
            var o = Out(peer, (ushort)(1024 + (i % 60_000)), 50_000, startMs: T0 + (i * 20L), bytes: 20_000_000);
            h.Observe(in o, alerts);
        }

        Assert.InRange(h.ApproximateBytes, 200, 8_000);
        Assert.InRange(h.SnapshotSize, 100, 8_000);
    }
}

public class SnapshotCompatibilityTests
{
    [Fact]
    public void Snapshot_taken_with_another_window_length_is_refused()
    {
        var h = new HostBehavior(Host, Settings());
        Run(h, [Out(Ip("8.8.8.8"), 53, proto: 17, flags: 0)]);
        var e = Assert.Throws<InvalidDataException>(() => HostBehavior.Restore(h.ToSnapshot(), Host, new DetectionSettings { Window = TimeSpan.FromMinutes(1) }));
        Assert.Contains("Detection:Window", e.Message);
    }
}
