using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using FlowActors.Cluster.Actors;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Persistence;
using FlowActors.Cluster.Receiving;
using FlowActors.Cluster.Sharding;
using FlowActors.Protocols;
using Xunit.Abstractions;

namespace FlowActors.Cluster.Tests;

/// <summary>
/// The node-local delivery path at 50,000 active hosts (no serialization: a local shard gets the batch by reference, as in
/// a node): what it allocates per observation once every host is active (while hosts meet new ports, and after), what
/// writing a host's state allocates, and that hand-off writes every host's state well inside the 30 s shutdown budget.
/// </summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class HostShardScaleTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Shards = 20, Hosts = 50_000, Rounds = 20, NewKeyRounds = 6;
    private readonly ITestOutputHelper _output;

    public HostShardScaleTests(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), output: output) => _output = output;

    private sealed class ShardRouter : ReceiveActor
    {
        public ShardRouter(IActorRef[] shards) => Receive<ShardObservations>(m => shards[m.Shard].Forward(m));
    }

    [Fact]
    public async Task At_50000_active_hosts_applying_allocates_almost_nothing_per_observation_and_hand_off_writes_every_state_within_the_budget()
    {
        using var dir = SqliteTempDirectory.Create();
        var options = new FlowActorsClusterOptions
        {
            ShardCount = Shards,
            SnapshotInterval = TimeSpan.FromMinutes(5), // no periodic write inside the measurement
            IdleAdvanceInterval = TimeSpan.FromMinutes(5),
            DataDirectory = dir.Path,
            ConnectionString = "Data Source=" + dir.File("hosts.db"),
        };
        using var store = HostStateStore.Create(options);
        var population = new HostPopulation(options.MaxActiveHosts);
        var forwarder = CreateTestProbe();
        var shards = Enumerable.Range(0, Shards)
            .Select(s => Sys.ActorOf(HostShardActor.GetProps(s.ToString(System.Globalization.CultureInfo.InvariantCulture), options, () => forwarder.Ref, store, population)))
            .ToArray();
        var region = Sys.ActorOf(Props.Create(() => new ShardRouter(shards)));
        var budget = new InFlightBudget(options.MaxInFlightObservations);
        var batcher = new ShardBatcher(region, new HostMessageExtractor(Shards), budget, options.BatchSize, options.InFlightWait, () => false);
        var peer = FlowAddress.Parse("192.0.2.1");
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
        // All rounds inside one detection window: a window opening mid-measurement would be a host's new window state,
        // not steady-state applying.
        long windowMs = (long)options.Detection.Window.TotalMilliseconds;
        if (t0 % windowMs + (Rounds + 1) * 1000L >= windowMs) t0 -= t0 % windowMs;

        void Send(int round)
        {
            // Each host once per round, a second apart in event time (so windows advance as live traffic's do).
            for (int i = 0; i < Hosts; i++)
            {
                long t = t0 + round * 1000L;
                batcher.Add(new FlowObservation(FlowAddress.FromV4(0x0A_00_00_00u + (uint)i), peer, 50000, (ushort)(443 + (round & 3)), 6, 0x1B, true, false, 10, 4000, t, t + 5));
            }
            batcher.Flush();
        }

        async Task WaitApplied(long observations)
        {
            await AwaitAssertAsync(async () =>
            {
                long applied = 0;
                foreach (var s in shards) applied += (await s.Ask<ShardHosts>(new GetShardHosts(0, Hosts), TimeSpan.FromSeconds(30))).Hosts.Sum(h => h.FlowsObserved);
                Assert.Equal(observations, applied);
            }, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(500));
        }

        // Activation round, then the measured rounds on active hosts.
        Send(0);
        await WaitApplied(Hosts);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true), allocatedAfterNewKeys = 0;
        var clock = Stopwatch.StartNew();
        // Steady state: the shards keep up (each round applied before the next), as at a lossless rate.
        for (int r = 1; r <= Rounds; r++)
        {
            Send(r);
            await AwaitAssertAsync(() => Assert.Equal(0, budget.InFlight), TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(20));
            if (r == NewKeyRounds)
            {
                allocatedAfterNewKeys = GC.GetTotalAllocatedBytes(precise: true);
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        long allocatedEnd = GC.GetTotalAllocatedBytes(precise: true);
        await WaitApplied((Rounds + 1L) * Hosts);
        double perObservation = (allocatedEnd - allocatedBefore) / (double)(Rounds * Hosts);
        double perObservationNewKeys = (allocatedAfterNewKeys - allocatedBefore) / (double)(NewKeyRounds * Hosts);
        double perObservationSteady = (allocatedEnd - allocatedAfterNewKeys) / (double)((Rounds - NewKeyRounds) * Hosts);
        _output.WriteLine($"{Rounds * Hosts} observations to {Hosts} active hosts in {seconds:0.0} s (machine loaded): {perObservation:0.0} B allocated per observation, process-wide, batches included; " +
                          $"{perObservationNewKeys:0.0} B in the first {NewKeyRounds} rounds (each host meets 3 new service ports and one repeated peer: its tables grow), {perObservationSteady:0.0} B in the {Rounds - NewKeyRounds} rounds after");

        // Hand-off (what sharding sends on rebalance and shutdown): every dirty host written, then the shards stop.
        var stop = Stopwatch.StartNew();
        long allocatedBeforeStop = GC.GetTotalAllocatedBytes(precise: true);
        foreach (var s in shards)
        {
            Watch(s);
            s.Tell(StopHost.Instance);
        }
        var terminated = new HashSet<IActorRef>();
        for (int i = 0; i < Shards; i++) terminated.Add(ExpectMsg<Terminated>(TimeSpan.FromSeconds(60)).ActorRef);
        double stopSeconds = stop.Elapsed.TotalSeconds;
        double perHostWritten = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBeforeStop) / (double)Hosts;
        long written = 0;
        for (int s = 0; s < Shards; s++) written += await store.CountAsync(s);
        long stateBytes = 0;
        for (int s = 0; s < Shards; s++) stateBytes += (await store.LoadShardAsync(s, 0)).Active.Sum(r => (long)r.State.Length);
        double rowBytes = stateBytes / (double)Math.Max(1, written);
        _output.WriteLine($"hand-off of {Hosts} active hosts: {stopSeconds:0.0} s, {written} states written ({rowBytes:0} B each), {perHostWritten:0} B allocated per host written");

        Assert.Equal(shards.ToHashSet(), terminated);
        Assert.Equal(Hosts, written);
        Assert.True(stopSeconds < 15, $"hand-off took {stopSeconds:0.0} s; the shutdown budget is 30 s");
        // Rows are encoded into the shard's flush arena (large chunks, allocated on its first flush, as here, and reused by
        // every later one), and SQLite's binder takes one exact-length copy per row that dies at once; the rest is the
        // store's per-row cost (~360 B: parameter binders, the row list). What matters for the collector is that no row
        // outlives a young collection any more (before: each row was its own array, held for seconds until the commit,
        // and promoted). 2 rows + 640 B is a regression guard, not the figure (measured: 2,808 B for 1,156 B rows).
        Assert.True(perHostWritten < (2 * rowBytes) + 640, $"{perHostWritten:0} B allocated per host written for {rowBytes:0} B rows");
        // Once a host's tables hold its keys, applying allocates only the batch messages (one per ~256 observations):
        // 0.3 B per observation measured. The first rounds grow each host's per-window tables (peers/ports it had not
        // met: TopExternal, Bursts, the brute-force tally when 445 is met, the ports sketch), about 850 B per host, and at
        // round 5 (the beaconing minimum interval after the first contact) the repeated peer becomes a tracked channel,
        // whose entries and rings are allocated then, at the cap (about 800 B). That is state, not per-observation
        // garbage. Both guards are the measured figure plus margin for a loaded machine.
        Assert.True(perObservationSteady < 4, $"{perObservationSteady:0.0} B allocated per observation once the hosts' tables hold their keys");
        Assert.True(perObservationNewKeys < 400, $"{perObservationNewKeys:0.0} B allocated per observation while the hosts meet new ports");
        // Over all 20 rounds that growth is spread thin: (6 × 281 + 14 × 0.3) / 20 = 84 B per observation measured.
        Assert.True(perObservation < 100, $"{perObservation:0.0} B allocated per observation over all rounds");
    }
}
