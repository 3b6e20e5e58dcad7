namespace FlowActors.Detection.Tests;

using static Traffic;

public class DeterminismTests
{
    /// <summary>A day of a workstation with a port scan, a beacon and an exfiltration burst mixed in.</summary>
    private static List<FlowObservation> Mixed()
    {
        var list = BenignTraffic.Workstation(Host, seed: 11, hours: 30).ToList();
        long attack = T0 + (26 * 60 * Minute);
        for (int p = 1; p <= 40; p++) list.Add(Out(Ip("10.0.0.9"), (ushort)p, 40_000, flags: Syn, packets: 1, bytes: 44, startMs: attack + p));
        for (int i = 0; i < 30; i++) list.Add(Out(Ip("198.51.100.7"), 443, (ushort)(45_000 + i), packets: 6, bytes: 310, startMs: attack + (i * 30_000)));
        list.Add(Out(Ip("203.0.113.50"), 443, 51_000, packets: 200_000, bytes: 400_000_000, startMs: attack + (20 * Minute), durationMs: 3 * Minute));
        return list.OrderBy(o => o.EndMs).ToList();
    }

    private static List<string> Feed(IReadOnlyList<FlowObservation> all, Func<int, int> batchSize)
    {
        var h = new HostBehavior(Host, new DetectionSettings());
        var alerts = new List<Alert>();
        int i = 0, b = 0;
        while (i < all.Count)
        {
            int n = Math.Min(batchSize(b++), all.Count - i);
            h.Observe(all.Skip(i).Take(n).ToArray(), alerts);
            i += n;
        }

        h.AdvanceTo(all[^1].EndMs + (30 * Minute), alerts);
        return alerts.Select(a => a.ToJsonLine()).ToList();
    }

    [Fact]
    public void Same_observations_in_different_batchings_give_identical_alerts()
    {
        var all = Mixed();
        var one = Feed(all, _ => 1);
        var rnd = new Random(5);
        var random = Feed(all, _ => rnd.Next(1, 500));
        var whole = Feed(all, _ => all.Count);

        Assert.True(one.Any(l => l.Contains("\"port-scan\"")), string.Join("\n", one));
        Assert.True(one.Any(l => l.Contains("\"beaconing\"")), string.Join("\n", one));
        Assert.True(one.Any(l => l.Contains("\"exfiltration\"")), string.Join("\n", one));
        Assert.Equal(one, random);
        Assert.Equal(one, whole);
    }

    [Fact]
    public void Alert_ids_depend_on_host_detector_role_and_episode_only()
    {
        string a = HostBehavior.AlertId("10.0.0.5", "port-scan", "actor", T0);
        Assert.Equal(a, HostBehavior.AlertId("10.0.0.5", "port-scan", "actor", T0));
        Assert.NotEqual(a, HostBehavior.AlertId("10.0.0.6", "port-scan", "actor", T0));
        Assert.NotEqual(a, HostBehavior.AlertId("10.0.0.5", "host-sweep", "actor", T0));
        Assert.NotEqual(a, HostBehavior.AlertId("10.0.0.5", "port-scan", "target", T0));
        Assert.NotEqual(a, HostBehavior.AlertId("10.0.0.5", "port-scan", "actor", T0 + (5 * Minute)));
        Assert.Equal(32, a.Length);
    }
}
