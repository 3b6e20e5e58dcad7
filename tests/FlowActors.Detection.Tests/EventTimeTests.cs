using FlowActors.Protocols;
using FlowActors.Protocols.Capture;

namespace FlowActors.Detection.Tests;

using static Traffic;

/// <summary>
/// Event-time poisoning (issue 10, finding 2): one record with a start 20 days ahead and an end in the past must not
/// move a host's clock, so a real scan right after it is still detected.
/// </summary>
public class EventTimeTests
{
    private const long Day = 24 * 60 * Minute;

    private static FlowRecord Record(string src, string dst, ushort dport, long startMs, long endMs, ushort flags = Syn)
    {
        var r = new FlowRecord
        {
            SrcAddr = FlowAddress.Parse(src),
            DstAddr = FlowAddress.Parse(dst),
            SrcPort = 40_000,
            DstPort = dport,
            Protocol = 6,
            TcpFlags = flags,
            Packets = 1,
            Bytes = 44,
            StartMs = startMs,
            EndMs = endMs,
            Present = FlowFields.Ports | FlowFields.TcpFlags | FlowFields.Times,
        };
        return r;
    }

    [Fact]
    public void Guard_repairs_a_start_after_the_end_to_the_end()
    {
        var guard = new EventTimeGuard();
        var records = new[] { Record("10.0.0.5", "10.0.0.9", 80, T0 + 20 * Day, T0 - Minute) };

        Assert.Equal(1, guard.Check(records, T0));

        Assert.Equal(T0 - Minute, records[0].StartMs);
        Assert.Equal(T0 - Minute, records[0].EndMs);
        Assert.Equal(1, guard.StartAfterEnd);
        Assert.Equal(0, guard.Future);
    }

    [Fact]
    public void Guard_restamps_a_record_ending_beyond_the_tolerance_and_keeps_its_duration()
    {
        var guard = new EventTimeGuard(5 * Minute);
        var records = new[]
        {
            Record("10.0.0.5", "10.0.0.9", 80, T0 + 20 * Day, T0 + 20 * Day + 2_000),
            Record("10.0.0.5", "10.0.0.9", 81, T0 + 4 * Minute, T0 + 5 * Minute), // within the tolerance
            Record("10.0.0.5", "10.0.0.9", 82, T0 - 30 * Day, T0 - 30 * Day + 10), // a replay of an old capture
        };

        Assert.Equal(1, guard.Check(records, T0));

        Assert.Equal((T0 - 2_000, T0), (records[0].StartMs, records[0].EndMs));
        Assert.Equal((T0 + 4 * Minute, T0 + 5 * Minute), (records[1].StartMs, records[1].EndMs));
        Assert.Equal((T0 - 30 * Day, T0 - 30 * Day + 10), (records[2].StartMs, records[2].EndMs));
        Assert.Equal(1, guard.Future);
    }

    [Fact]
    public void Guard_without_a_live_clock_only_checks_start_against_end()
    {
        var guard = new EventTimeGuard();
        var records = new[] { Record("10.0.0.5", "10.0.0.9", 80, T0 + 20 * Day, T0 + 20 * Day + 1) };

        Assert.Equal(0, guard.Check(records, long.MaxValue));
        Assert.Equal(T0 + 20 * Day + 1, records[0].EndMs);
    }

    [Fact]
    public void One_observation_far_ahead_does_not_move_a_hosts_clock_and_a_scan_after_it_is_detected()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0 - Minute), alerts);
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0 + 20 * Day), alerts); // the poison, seen by the host directly

        Assert.Equal(T0 - Minute + 100, h.EventTimeMs);
        Assert.Equal(1, h.HeldClockJumps);

        var scan = Enumerable.Range(1, 15).Select(p => Out(Ip("10.0.0.9"), (ushort)(1000 + p), localPort: 40_000, flags: Syn, packets: 1, bytes: 44, startMs: T0 + p * 1000));
        alerts.AddRange(Run(h, scan));

        var a = Assert.Single(alerts);
        Assert.Equal("port-scan", a.Detector);
        Assert.Equal(0, h.LateObservations);
    }

    [Fact]
    public void A_jump_beyond_the_step_moves_the_clock_once_a_second_record_confirms_it()
    {
        // A host back after a weekend: its first record is held, the second confirms the jump and moves the clock.
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0), alerts);
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0 + 2 * Day), alerts);
        Assert.Equal(T0 + 100, h.EventTimeMs);

        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0 + 2 * Day + 5_000), alerts);

        Assert.Equal(T0 + 2 * Day + 5_100, h.EventTimeMs);
        Assert.Equal(1, h.HeldClockJumps);
    }

    [Fact]
    public void A_scan_after_hours_of_silence_is_detected_with_every_probe_in_its_own_window()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0), alerts);
        var scan = Enumerable.Range(1, 15).Select(p => Out(Ip("10.0.0.10"), (ushort)(1000 + p), localPort: 40_000, flags: Syn, packets: 1, bytes: 44, startMs: T0 + 3 * 60 * Minute + p * 1000));

        alerts.AddRange(Run(h, scan));

        var a = Assert.Single(alerts);
        Assert.Equal(15, a.Evidence["distinct_ports"]);
        Assert.Equal(1, h.HeldClockJumps);
    }

    [Fact]
    public void A_held_record_is_counted_at_its_own_time_when_the_clock_reaches_it()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0), alerts);
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0 + 2 * Day), alerts); // the last record of a capture

        h.AdvanceTo(T0 + 2 * Day + 10 * Minute, alerts);

        Assert.Equal(T0 + 2 * Day + 10 * Minute, h.EventTimeMs);
        Assert.Equal(0, h.LateObservations);
    }

    [Fact]
    public void Steps_within_the_bound_move_the_clock_at_once()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0), alerts);
        h.Observe(Out(Ip("10.0.0.9"), 443, startMs: T0 + 59 * Minute), alerts);

        Assert.Equal(T0 + 59 * Minute + 100, h.EventTimeMs);
        Assert.Equal(0, h.HeldClockJumps);
    }

    [Fact]
    public void Max_clock_step_shorter_than_the_window_is_refused_naming_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new DetectionSettings { MaxClockStep = TimeSpan.FromMinutes(1) }.Validate());
        Assert.Contains("Detection:MaxClockStep", e.Message);
    }

    [Theory]
    [InlineData("portscan-ipfix")]
    [InlineData("portscan-v9")]
    public void Analyzer_after_the_poison_record_still_detects_the_real_scan(string capture)
    {
        // The finding: start 20 days ahead, end in the past, from the scanner to its target; then the real nmap scan.
        var analyzer = new FlowAnalyzer(new DetectionSettings());
        var alerts = new List<Alert>();
        var decoder = new FlowDecoder();
        using var buffer = new FlowRecordBuffer(1024);
        using var reader = PcapReader.Open(Path.Combine(AppContext.BaseDirectory, "testdata", capture + ".pcap"));
        bool poisoned = false;
        while (reader.TryReadNext(out var d))
        {
            buffer.Clear();
            decoder.Decode(d.Payload.Span, d.Source, d.TimestampUs / 1000, buffer);
            long captureNow = d.TimestampUs / 1000;
            if (!poisoned)
            {
                var poison = Record("10.99.1.30", "10.99.0.10", 22, captureNow + 20 * Day, captureNow - 10 * Minute, Syn | Ack);
                analyzer.Add(in poison, alerts);
                poisoned = true;
            }

            foreach (ref readonly var r in buffer.Records) analyzer.Add(in r, alerts);
        }

        analyzer.Finish(alerts);

        Assert.Equal(1, analyzer.RepairedTimes);
        var actor = Assert.Single(alerts, a => a.Host == "10.99.1.30");
        Assert.Equal("port-scan", actor.Detector);
        Assert.Single(alerts, a => a.Host == "10.99.0.10" && a.Detector == "port-scan");
        Assert.Equal(0, analyzer.GetHost(FlowAddress.Parse("10.99.1.30"))!.LateObservations);
    }
}
