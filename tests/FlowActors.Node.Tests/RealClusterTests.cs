using System.Diagnostics;
using FlowActors.Node.Tests.Harness;
using Xunit.Abstractions;

namespace FlowActors.Node.Tests;

/// <summary>
/// The cluster's promises with real node processes: three nodes on loopback, configured as the StatefulSet configures
/// its pods, on one PostgreSQL, the SIEM a shared JSON-lines file. Alerts are compared as sets, by id and by
/// (host, role); every wait is a poll with a deadline.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class RealClusterTests(ITestOutputHelper output)
{
    private const int ScansPerExporter = 8;
    private const int ShardCount = RealCluster.ShardCount;

    /// <summary>A fifth of the shards: a node of three holding fewer has not got its share yet.</summary>
    private const int MinShardsPerNodeOfThree = ShardCount / 5;
    private static readonly TimeSpan AlertTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Scan indexes exporter <paramref name="exporter"/> sends in a wave.</summary>
    private static IEnumerable<int> ScansOf(int exporter) => Enumerable.Range(exporter * ScansPerExporter, ScansPerExporter);

    private static HashSet<(string Host, string Role)> Expected(int wave, int exporters) =>
        Enumerable.Range(0, exporters).SelectMany(ScansOf).SelectMany(i => ScanExporter.ExpectedAlerts(wave, i)).ToHashSet();

    /// <summary>One exporter per receiving member (127.0.0.11, .12, ...), each sending its own scans of <paramref name="wave"/>.</summary>
    private static async Task SendWaveAsync(int wave, IReadOnlyList<RealCluster.Member> receivers)
    {
        for (int e = 0; e < receivers.Count; e++)
        {
            using var exporter = new ScanExporter((byte)(11 + e));
            await exporter.SendScansAsync(wave, ScansOf(e), receivers[e].NetFlowPort);
        }
    }

    /// <summary>Waits until the forwarder accepted and the SIEM file holds every (host, role) of <paramref name="expected"/>.</summary>
    private static async Task WaitAcceptedAndDeliveredAsync(RealCluster cluster, NodeProcess via, HashSet<(string Host, string Role)> expected, string what)
    {
        HashSet<(string Host, string Role)> accepted = [];
        HashSet<(string Host, string Role)> delivered = [];
        try
        {
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    accepted = (await RealCluster.AcceptedAsync(via)).Values.ToHashSet();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false; // the singleton is moving
                }

                delivered = cluster.Delivered().Keys;
                return expected.IsSubsetOf(accepted) && expected.IsSubsetOf(delivered);
            }, AlertTimeout, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; missing from accepted: {string.Join(" ", expected.Except(accepted))}; missing from the sink: {string.Join(" ", expected.Except(delivered))}", e);
        }
    }

    private static RealCluster.Member ByAddress(RealCluster cluster, string address) =>
        cluster.Members.Single(m => m.Address == address);

    [Fact]
    public async Task Traffic_from_several_exporters_over_every_receiver_puts_host_shards_on_every_node_and_every_alert_in_the_sink()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await RealCluster.StartAsync(3);
        output.WriteLine($"3 nodes up, shards spread, after {clock.Elapsed.TotalSeconds:0.0} s");
        var node0 = cluster.Members[0].Process;

        await SendWaveAsync(0, cluster.Members);
        var expected = Expected(0, 3);
        await WaitAcceptedAndDeliveredAsync(cluster, node0, expected, "every scan's alerts accepted and delivered");

        // Every (host, role) exactly once in the pull API: one alert id each.
        var accepted = await RealCluster.AcceptedAsync(node0);
        Assert.Equal(expected, accepted.Values.ToHashSet());
        Assert.Equal(expected.Count, accepted.Count);

        // Host shards spread evenly over the three nodes, whichever node asks. The seed starts every shard while it is
        // alone; rebalancing moves up to a fifth of them every 2 s until each node holds about a third.
        Dictionary<string, int> shards = [];
        await Poll.UntilAsync(async () =>
        {
            shards = await RealCluster.ShardsPerNodeAsync(cluster.Members[2].Process);
            return cluster.Members.All(m => shards.GetValueOrDefault(m.Address) >= MinShardsPerNodeOfThree);
        }, TimeSpan.FromSeconds(60), $"at least {MinShardsPerNodeOfThree} of {ShardCount} host shards on every node");
        output.WriteLine($"shards spread ({string.Join(", ", shards.Values)}) {clock.Elapsed.TotalSeconds:0.0} s after start");

        // Each exporter was seen by the receiver it sent to, under its own source address.
        for (int e = 0; e < 3; e++)
        {
            var exporters = await RealCluster.GetAsync(cluster.Members[e].Process, "api/exporters/list");
            Assert.Contains($"127.0.0.{11 + e}", exporters.GetRawText());
        }

        var (lines, _) = cluster.Delivered();
        output.WriteLine($"alerts: expected {expected.Count}, accepted {accepted.Count}, delivered {lines.Count} ids in {lines.Values.Sum()} lines; shards per node: {string.Join(", ", shards.Select(kv => $"{kv.Key}={kv.Value}"))}; {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Flowctl_cluster_leave_on_the_singleton_node_moves_its_shards_and_the_forwarder_and_loses_no_alert()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await RealCluster.StartAsync(3);
        var node0 = cluster.Members[0].Process;
        await SendWaveAsync(0, cluster.Members);
        await WaitAcceptedAndDeliveredAsync(cluster, node0, Expected(0, 3), "wave 0 accepted and delivered");
        var before = await RealCluster.AcceptedAsync(node0);

        var holder = ByAddress(cluster, await RealCluster.ForwarderNodeAsync(node0));
        var survivors = cluster.Members.Where(m => m != holder).ToList();
        var leaveClock = Stopwatch.StartNew();
        var (code, text) = await holder.Process.FlowctlAsync("cluster", "leave");
        Assert.True(code == 0, text);
        int exit = await holder.Process.WaitForExitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"{holder.Address} (held the forwarder) left and exited with {exit} after {leaveClock.Elapsed.TotalSeconds:0.0} s");
        // A leave that was asked for is a clean stop (Akka.Hosting would make it -1, i.e. 255).
        Assert.True(exit == 0, $"exit code {exit}; last output lines:\n" + string.Join('\n', holder.Process.Output.Split('\n').TakeLast(15)));

        await cluster.WaitMembersUpAsync(survivors, TimeSpan.FromSeconds(60));
        var via = survivors[0].Process;
        string newHolder = await WaitForForwarderOnAsync(via, survivors, "the forwarder singleton on a survivor");

        // Traffic after the leave: the leaver's shards are allocated on the survivors.
        await SendWaveAsync(1, survivors);
        var expectedAfter = Expected(1, survivors.Count);
        await WaitAcceptedAndDeliveredAsync(cluster, via, expectedAfter, "wave 1 accepted and delivered on the survivors");
        var shards = await RealCluster.ShardsPerNodeAsync(via);
        Assert.DoesNotContain(holder.Address, shards.Keys);
        Assert.All(survivors, s => Assert.True(shards.GetValueOrDefault(s.Address) > 0, $"no shards on {s.Address}"));

        var after = await RealCluster.AcceptedAsync(via);
        Assert.Empty(before.Keys.Except(after.Keys));
        var (lines, _) = cluster.Delivered();
        Assert.Empty(after.Keys.Except(lines.Keys));
        output.WriteLine($"forwarder {holder.Address} -> {newHolder}; accepted before leave {before.Count}, after {after.Count} (none lost), delivered {lines.Count} ids in {lines.Values.Sum()} lines; {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Kill_9_of_the_forwarder_node_while_alerts_flow_downs_it_moves_the_singleton_and_delivers_every_acknowledged_alert()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await RealCluster.StartAsync(3);
        var node0 = cluster.Members[0].Process;
        var holder = ByAddress(cluster, await RealCluster.ForwarderNodeAsync(node0));
        var survivors = cluster.Members.Where(m => m != holder).ToList();
        var via = survivors[0].Process;

        // Alerts flowing: wave 0 to every receiver, then a small wave a second to the survivors' receivers until the
        // singleton is back, so alerts are in flight to the forwarder when it dies and while it is away.
        await SendWaveAsync(0, cluster.Members);
        Dictionary<string, (string Host, string Role)> acknowledged = [];
        await Poll.UntilAsync(async () =>
        {
            acknowledged = await RealCluster.AcceptedAsync(via);
            return acknowledged.Count >= 4;
        }, AlertTimeout, "the first alerts acknowledged");
        using var stopFlow = new CancellationTokenSource();
        var flowingWaves = new List<int>();
        var flow = Task.Run(async () =>
        {
            using var exporter = new ScanExporter(31);
            for (int wave = 10; wave < 50 && !stopFlow.IsCancellationRequested; wave++)
            {
                await exporter.SendScansAsync(wave, Enumerable.Range(0, 4), survivors[wave % 2].NetFlowPort);
                lock (flowingWaves) flowingWaves.Add(wave);
                try
                {
                    await Task.Delay(1000, stopFlow.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
        // Let the first flowing waves reach the forwarder, then kill it with whatever it is processing.
        await Poll.UntilAsync(async () => (await RealCluster.AcceptedAsync(via)).Count > acknowledged.Count, AlertTimeout, "flowing alerts acknowledged");
        acknowledged = await RealCluster.AcceptedAsync(via);
        await holder.Process.KillAsync();
        var downClock = Stopwatch.StartNew();

        // The survivors' split brain resolver (keep-majority, stable-after 7 s by default) downs and removes it.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                foreach (var s in survivors)
                {
                    if ((await RealCluster.MembersSeenByAsync(s.Process)).ContainsKey(holder.Address)) return false;
                }

                return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), $"{holder.Address} downed and removed by the survivors");
        double downSeconds = downClock.Elapsed.TotalSeconds;

        string newHolder = await WaitForForwarderOnAsync(via, survivors, "the forwarder singleton restarted on a survivor");
        double singletonSeconds = downClock.Elapsed.TotalSeconds;

        await stopFlow.CancelAsync();
        await flow;
        await SendWaveAsync(1, survivors);
        await WaitAcceptedAndDeliveredAsync(cluster, via, Expected(1, survivors.Count), "wave 1 accepted and delivered after the kill");
        // The flowing waves went to the survivors' receivers and their hosts live on: none of their alerts is lost.
        var flowed = flowingWaves.SelectMany(w => Enumerable.Range(0, 4).SelectMany(i => ScanExporter.ExpectedAlerts(w, i))).ToHashSet();

        // Everything the dead forwarder acknowledged is still journalled, and everything journalled reached the sink.
        var accepted = await RealCluster.AcceptedAsync(via);
        Assert.Empty(acknowledged.Keys.Except(accepted.Keys));
        Dictionary<string, int> lines = [];
        await Poll.UntilAsync(() =>
        {
            lines = cluster.Delivered().Lines;
            return accepted.Keys.All(lines.ContainsKey);
        }, AlertTimeout, "every accepted alert in the sink");
        int duplicated = lines.Values.Sum() - lines.Count;
        var flowedAccepted = accepted.Values.Where(flowed.Contains).ToHashSet();
        // Lost: scans whose flows went to the dead member's shards before it was seen unreachable (receivers hold them only
        // from then on), and host state written less than SnapshotInterval before the kill.
        output.WriteLine($"flowing waves {flowingWaves.Count}: {flowed.Count} (host, role) expected, {flowedAccepted.Count} accepted, " +
            $"{flowed.Count - flowedAccepted.Count} lost ({100.0 * (flowed.Count - flowedAccepted.Count) / Math.Max(1, flowed.Count):0.0} %)");
        var wave0 = Expected(0, 3);
        output.WriteLine(
            $"killed {holder.Address}; removed after {downSeconds:0.0} s, forwarder on {newHolder} after {singletonSeconds:0.0} s; " +
            $"acknowledged before the kill {acknowledged.Count}, accepted at the end {accepted.Count} (wave 0: {accepted.Values.Count(wave0.Contains)} of {wave0.Count}), " +
            $"delivered {lines.Count} ids, duplicated lines {duplicated}; {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_node_stopped_past_the_failure_detector_is_downed_by_the_majority_exits_and_rejoins_when_started_again()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await RealCluster.StartAsync(3);
        var node0 = cluster.Members[0].Process;
        // The minority is a node that does not hold the forwarder, so the alert path stays up throughout.
        string holderAddress = await RealCluster.ForwarderNodeAsync(node0);
        var minority = cluster.Members.Last(m => m.Address != holderAddress);
        var majority = cluster.Members.Where(m => m != minority).ToList();

        await RealCluster.SignalAsync(minority, "STOP");
        var stopClock = Stopwatch.StartNew();
        await Poll.UntilAsync(async () =>
        {
            foreach (var m in majority)
            {
                if ((await RealCluster.MembersSeenByAsync(m.Process)).ContainsKey(minority.Address)) return false;
            }

            return true;
        }, TimeSpan.FromSeconds(90), $"{minority.Address} downed and removed by the majority");
        double downSeconds = stopClock.Elapsed.TotalSeconds;

        await RealCluster.SignalAsync(minority, "CONT");
        int exit = await minority.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        double exitSeconds = stopClock.Elapsed.TotalSeconds;
        // Downed is not a clean stop: a supervisor sees it (Akka.Hosting's -1).
        Assert.NotEqual(0, exit);

        await cluster.RestartAsync(minority);
        await minority.Process.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await cluster.WaitMembersUpAsync(cluster.Members, TimeSpan.FromSeconds(90));

        // The rejoined node receives, and its exporter's alerts arrive.
        using (var exporter = new ScanExporter(21))
        {
            await exporter.SendScansAsync(2, ScansOf(0), minority.NetFlowPort);
        }

        await WaitAcceptedAndDeliveredAsync(cluster, minority.Process, Expected(2, 1), "alerts through the rejoined node");
        output.WriteLine($"stopped {minority.Address}; removed by the majority after {downSeconds:0.0} s; after SIGCONT it exited with {exit} at {exitSeconds:0.0} s; restarted and rejoined; {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_node_added_under_load_takes_shards_over_and_no_alert_is_lost()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await RealCluster.StartAsync(2);
        var node0 = cluster.Members[0].Process;

        // Load: a wave of 4 scans a second, spread over the receivers there are.
        using var stopFlow = new CancellationTokenSource();
        var flowingWaves = new List<int>();
        var receivers = new List<RealCluster.Member>(cluster.Members);
        var flow = Task.Run(async () =>
        {
            using var exporter = new ScanExporter(41);
            for (int wave = 10; wave < 50 && !stopFlow.IsCancellationRequested; wave++)
            {
                RealCluster.Member receiver;
                lock (receivers) receiver = receivers[wave % receivers.Count];
                await exporter.SendScansAsync(wave, Enumerable.Range(0, 4), receiver.NetFlowPort);
                lock (flowingWaves) flowingWaves.Add(wave);
                try
                {
                    await Task.Delay(1000, stopFlow.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });

        await Poll.UntilAsync(async () => (await RealCluster.AcceptedAsync(node0)).Count > 0, AlertTimeout, "alerts flowing");
        var newcomer = cluster.Add();
        await newcomer.Process.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await cluster.WaitMembersUpAsync(cluster.Members, TimeSpan.FromSeconds(90));
        lock (receivers) receivers.Add(newcomer);
        double joinedSeconds = clock.Elapsed.TotalSeconds;

        // The coordinator rebalances shards onto the newcomer while the load goes on.
        Dictionary<string, int> shards = [];
        await Poll.UntilAsync(async () =>
        {
            shards = await RealCluster.ShardsPerNodeAsync(node0);
            return shards.GetValueOrDefault(newcomer.Address) >= MinShardsPerNodeOfThree;
        }, TimeSpan.FromSeconds(60), $"at least {MinShardsPerNodeOfThree} of {ShardCount} shards rebalanced onto the new node");
        double rebalancedSeconds = clock.Elapsed.TotalSeconds;
        // A few more seconds of load across the hand-offs, then stop and check that every flowing wave's alerts arrived.
        int wavesAtRebalance;
        lock (flowingWaves) wavesAtRebalance = flowingWaves.Count;
        await Poll.UntilAsync(() => { lock (flowingWaves) return flowingWaves.Count >= wavesAtRebalance + 3; }, TimeSpan.FromSeconds(30), "load after the rebalance");
        await stopFlow.CancelAsync();
        await flow;

        HashSet<(string Host, string Role)> expected;
        lock (flowingWaves) expected = flowingWaves.SelectMany(w => Enumerable.Range(0, 4).SelectMany(i => ScanExporter.ExpectedAlerts(w, i))).ToHashSet();
        await WaitAcceptedAndDeliveredAsync(cluster, newcomer.Process, expected, "every flowing wave's alerts accepted and delivered");
        var accepted = await RealCluster.AcceptedAsync(node0);
        var (lines, _) = cluster.Delivered();
        output.WriteLine(
            $"newcomer Up at {joinedSeconds:0.0} s, first shards on it at {rebalancedSeconds:0.0} s; shards then: {string.Join(", ", shards.Select(kv => $"{kv.Key}={kv.Value}"))}; " +
            $"{flowingWaves.Count} waves, {expected.Count} (host, role) expected, accepted {accepted.Count}, delivered {lines.Count} ids, duplicated lines {lines.Values.Sum() - lines.Count}; {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Waits until the forwarder singleton runs on one of <paramref name="members"/>; returns its address.</summary>
    private static async Task<string> WaitForForwarderOnAsync(NodeProcess via, IReadOnlyCollection<RealCluster.Member> members, string what)
    {
        string holder = "";
        await Poll.UntilAsync(async () =>
        {
            try
            {
                holder = await RealCluster.ForwarderNodeAsync(via);
                return members.Any(m => m.Address == holder);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), what);
        return holder;
    }
}
