namespace FlowActors.Detection.Tests;

using static Traffic;

public class SnapshotTests
{
    [Fact]
    public void Restored_state_writes_identical_bytes_and_raises_the_same_alerts()
    {
        var settings = Settings(TimeSpan.FromHours(1));
        var traffic = BenignTraffic.Workstation(Host, seed: 7, hours: 6).ToList();
        int half = traffic.Count / 2;

        var straight = new HostBehavior(Host, settings);
        var expected = Run(straight, traffic);

        var first = new HostBehavior(Host, settings);
        var alerts = new List<Alert>();
        foreach (var o in traffic.Take(half)) first.Observe(in o, alerts);
        byte[] snapshot = first.ToSnapshot();
        Assert.Equal(first.SnapshotSize, snapshot.Length);

        var restored = HostBehavior.Restore(snapshot, Host, settings);
        Assert.Equal(snapshot, restored.ToSnapshot());
        alerts.AddRange(Run(restored, traffic.Skip(half)));

        Assert.Equal(expected.Select(a => a.ToJsonLine()), alerts.Select(a => a.ToJsonLine()));
        Assert.Equal(straight.ToSnapshot(), restored.ToSnapshot());
    }

    [Fact]
    public void Truncated_snapshot_is_rejected()
    {
        var h = new HostBehavior(Host, Settings());
        Run(h, [Out(Ip("8.8.8.8"), 53, proto: 17, flags: 0)]);
        byte[] snapshot = h.ToSnapshot();
        Assert.Throws<InvalidDataException>(() => HostBehavior.Restore(snapshot.AsSpan(0, snapshot.Length - 3), Host, Settings()));
    }
}

public class SnapshotMidAttackTests
{
    [Fact]
    public void Snapshot_in_the_middle_of_a_large_scan_restores_sketches_exactly()
    {
        // 2000 probes: the port sketch has switched to HyperLogLog when the snapshot is taken.
        var probes = Enumerable.Range(1, 2_000)
            .Select(p => Traffic.Out(Traffic.Ip("10.0.0.9"), (ushort)p, flags: Traffic.Syn, packets: 1, bytes: 44, startMs: Traffic.T0 + p, durationMs: 0))
            .ToList();
        var settings = Traffic.Settings();
        var expected = Traffic.Run(new HostBehavior(Traffic.Host, settings), probes);

        var first = new HostBehavior(Traffic.Host, settings);
        var alerts = new List<Alert>();
        foreach (var o in probes.Take(1_000)) first.Observe(in o, alerts);
        var restored = HostBehavior.Restore(first.ToSnapshot(), Traffic.Host, settings);
        Assert.Equal(first.ToSnapshot(), restored.ToSnapshot());
        alerts.AddRange(Traffic.Run(restored, probes.Skip(1_000)));

        Assert.Equal("port-scan", Assert.Single(expected).Detector);
        Assert.Equal(expected.Select(a => a.ToJsonLine()), alerts.Select(a => a.ToJsonLine()));
    }
}

public class SnapshotOpenWindowTests
{
    [Fact]
    public void Restored_open_window_keeps_the_same_table_caps_as_the_original()
    {
        // Ten external peers in one window: the top-talker table (4 entries) must keep the same ones after restore.
        var settings = Traffic.Settings();
        var obs = Enumerable.Range(0, 10)
            .Select(i => Traffic.Out(Protocols.FlowAddress.FromV4(0xC633_6400u + (uint)i), 443, (ushort)(40_000 + i), bytes: (ulong)(1_000 * (i + 1)), startMs: Traffic.T0 + (i * 1_000)))
            .ToList();
        var straight = new HostBehavior(Traffic.Host, settings);
        var alerts = new List<Alert>();
        foreach (var o in obs) straight.Observe(in o, alerts);

        var first = new HostBehavior(Traffic.Host, settings);
        foreach (var o in obs.Take(3)) first.Observe(in o, alerts);
        var restored = HostBehavior.Restore(first.ToSnapshot(), Traffic.Host, settings);
        foreach (var o in obs.Skip(3)) restored.Observe(in o, alerts);

        Assert.Equal(straight.ToSnapshot(), restored.ToSnapshot());
    }
}
