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
