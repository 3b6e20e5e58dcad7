using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Receiving;
using FlowActors.Cluster.Sharding;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

/// <summary>
/// The receive loop's per-shard batcher against a probe standing in for the shard region: batches of a shard whose home
/// member is unreachable are held, in order and within the in-flight budget, and go out when it is released.
/// </summary>
public sealed class ShardBatcherTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Shards = 10, BatchSize = 4;
    private static readonly FlowAddress Peer = FlowAddress.Parse("192.0.2.1");
    private readonly HostMessageExtractor _extractor = new(Shards);

    /// <summary>A host of <paramref name="shard"/>, the <paramref name="index"/>-th found.</summary>
    private FlowAddress HostOf(int shard, int index = 0)
    {
        for (uint i = 0, found = 0; ; i++)
        {
            var host = FlowAddress.FromV4(0x0A_00_00_00u + i);
            if (_extractor.ShardNumberOf(host) == shard && found++ == index) return host;
        }
    }

    private static FlowObservation Observation(FlowAddress host, long t) => new(host, Peer, 50000, 443, 6, 0x1B, true, false, 1, 100, t, t);

    private static bool[] Held(params int[] shards)
    {
        var held = new bool[Shards];
        foreach (int s in shards) held[s] = true;
        return held;
    }

    [Fact]
    public void Observations_gathered_in_recent_blocks_reach_their_shard_complete_and_in_order_in_full_batches()
    {
        // 40 is not a multiple of the recent block (16): buffers fill by blocks of 16, 16, then 8.
        const int batch = 40;
        var region = CreateTestProbe();
        var budget = new InFlightBudget(10_000);
        var batcher = new ShardBatcher(region.Ref, _extractor, budget, batch, TimeSpan.Zero, () => false);
        int[] shards = [1, 4, 7];
        var hosts = shards.Select(s => (Shard: s, A: HostOf(s), B: HostOf(s, 1))).ToArray();
        var small = HostOf(9); // fewer observations than one block: only the flush sends them
        for (int t = 0; t < 100; t++)
        {
            foreach (var (_, a, b) in hosts) batcher.Add(Observation(t % 3 == 0 ? b : a, t));
            if (t < 5) batcher.Add(Observation(small, t));
        }
        Assert.Equal(0, batcher.HeldPendingObservations()); // no homes: nothing held
        batcher.Flush();

        var received = new Dictionary<int, List<ShardObservations>>();
        for (int i = 0; i < (3 * 3) + 1; i++)
        {
            var m = region.ExpectMsg<ShardObservations>();
            if (!received.TryGetValue(m.Shard, out var list)) received[m.Shard] = list = [];
            list.Add(m);
        }
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new HashSet<int>([1, 4, 7, 9]), received.Keys.ToHashSet());
        foreach (int s in shards)
        {
            Assert.Equal([batch, batch, 20], received[s].Select(m => m.Count));
            var times = received[s].SelectMany(m => m.Observations.Take(m.Count).Select(o => o.StartMs)).ToList();
            Assert.Equal(Enumerable.Range(0, 100).Select(t => (long)t), times);
            var (_, a, b) = hosts.Single(h => h.Shard == s);
            var seen = received[s].SelectMany(m => m.Observations.Take(m.Count)).ToList();
            Assert.All(seen, o => Assert.Equal(o.StartMs % 3 == 0 ? b : a, o.Host));
        }
        Assert.Equal([0L, 1, 2, 3, 4], received[9].Single().Observations.Take(5).Select(o => o.StartMs));
        Assert.Equal(5, received[9].Single().Count);
        Assert.Equal(305, batcher.ObservationsSent);
        Assert.Equal(305, budget.InFlight);
    }

    [Fact]
    public void A_held_shard_counts_its_recent_block_as_pending()
    {
        var region = CreateTestProbe();
        var homes = new ShardHomes(Shards);
        var batcher = new ShardBatcher(region.Ref, _extractor, new InFlightBudget(1_000), 64, TimeSpan.Zero, () => false, homes);
        homes.Publish(Held(2));
        var host = HostOf(2);
        for (int t = 0; t < 20; t++) batcher.Add(Observation(host, t)); // one block moved to the buffer, 4 recent
        Assert.Equal(20, batcher.HeldPendingObservations());
        batcher.Flush();
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        homes.Publish(Held());
        batcher.Flush();
        var sent = region.ExpectMsg<ShardObservations>();
        Assert.Equal(20, sent.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(t => (long)t), sent.Observations.Take(20).Select(o => o.StartMs));
    }

    [Fact]
    public void A_held_shard_keeps_its_batches_in_order_and_sends_them_first_when_released()
    {
        var region = CreateTestProbe();
        var homes = new ShardHomes(Shards);
        var budget = new InFlightBudget(1_000);
        var batcher = new ShardBatcher(region.Ref, _extractor, budget, BatchSize, TimeSpan.Zero, () => false, homes);
        var held = HostOf(3);
        var free = HostOf(5);
        homes.Publish(Held(3));

        for (int t = 0; t < 10; t++) batcher.Add(Observation(held, t)); // two full buffers held, two pending
        batcher.Add(Observation(free, 0));
        batcher.Flush();

        var sent = region.ExpectMsg<ShardObservations>();
        Assert.Equal(5, sent.Shard);
        Assert.Equal(8, batcher.HeldObservations);
        Assert.Equal(2, batcher.HeldPendingObservations());
        Assert.Equal(9, budget.InFlight); // the held ones count against the budget from the start
        batcher.Flush();
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        homes.Publish(Held());
        for (int t = 10; t < 12; t++) batcher.Add(Observation(held, t)); // fills the pending buffer: goes after the held ones
        batcher.Flush();
        var times = new List<long>();
        for (int i = 0; i < 3; i++)
        {
            var batch = region.ExpectMsg<ShardObservations>();
            Assert.Equal(3, batch.Shard);
            for (int k = 0; k < batch.Count; k++) times.Add(batch.Observations[k].StartMs);
        }
        Assert.Equal(Enumerable.Range(0, 12).Select(t => (long)t), times);
        Assert.Equal(0, batcher.HeldObservations);
        Assert.Equal(8, batcher.ReleasedHeld);
        Assert.Equal(0, batcher.DroppedOverload);
    }

    [Fact]
    public void Holding_beyond_the_in_flight_budget_drops_and_counts_without_waiting_and_stopping_sends_everything()
    {
        var region = CreateTestProbe();
        var homes = new ShardHomes(Shards);
        var budget = new InFlightBudget(BatchSize * 2);
        var batcher = new ShardBatcher(region.Ref, _extractor, budget, BatchSize, TimeSpan.FromSeconds(30), () => false, homes);
        var held = HostOf(2);
        homes.Publish(Held(2));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int t = 0; t < BatchSize * 3; t++) batcher.Add(Observation(held, t));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "holding must not wait for budget");
        Assert.Equal(BatchSize * 2, batcher.HeldObservations);
        Assert.Equal(BatchSize, batcher.DroppedHeld);
        Assert.Equal(BatchSize, batcher.DroppedOverload);

        budget.Release(BatchSize * 2); // room again, as if earlier batches had been applied
        batcher.Add(Observation(held, 100));
        batcher.FlushAll(); // the loop ends: nothing may keep budget, held or not
        Assert.Equal(3, new[] { region.ExpectMsg<ShardObservations>(), region.ExpectMsg<ShardObservations>(), region.ExpectMsg<ShardObservations>() }.Count(b => b.Shard == 2));
        Assert.Equal(0, batcher.HeldObservations);
    }
}
