using Akka.Actor;
using Akka.Configuration;
using FlowActors.Cluster.Actors;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Persistence;
using FlowActors.Cluster.Serialization;
using FlowActors.Protocols;
using Xunit.Abstractions;

namespace FlowActors.Cluster.Tests;

/// <summary>One host shard actor on a real SQLite host-state store in a temp dir; every message really serialized.</summary>
public sealed class HostShardActorTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Shard = 7;
    private static readonly FlowAddress Host = FlowAddress.Parse("10.0.0.5");
    private readonly TempDirectory _dir;
    private readonly List<HostStateStore> _stores = new();

    public HostShardActorTests(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(TestConfig.Serialization + "\n" + InProcessReferenceSerializer.Hocon), output: output)
    {
        _dir = SqliteTempDirectory.Create();
    }

    private FlowActorsClusterOptions Options() => new()
    {
        AlertRetryInterval = TimeSpan.FromMilliseconds(300),
        SnapshotInterval = TimeSpan.FromMinutes(5),
        IdleAdvanceInterval = TimeSpan.FromMinutes(5),
        DataDirectory = _dir.Path,
        ConnectionString = "Data Source=" + _dir.File("hosts.db"),
    };

    private HostStateStore Store(FlowActorsClusterOptions options)
    {
        var store = HostStateStore.Create(options);
        _stores.Add(store);
        return store;
    }

    private IActorRef StartShard(IActorRef forwarder, FlowActorsClusterOptions? options = null, HostPopulation? population = null, HostStateStore? store = null)
    {
        options ??= Options();
        return Sys.ActorOf(HostShardActor.GetProps(Shard.ToString(System.Globalization.CultureInfo.InvariantCulture), options, () => forwarder,
            store ?? Store(options), population ?? new HostPopulation(options.MaxActiveHosts)));
    }

    private static HostStateReport StateOf(IActorRef shard, FlowAddress? host = null) =>
        shard.Ask<HostStateReport>(new GetHostState(host ?? Host), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

    private static ShardHosts HostsOf(IActorRef shard) =>
        shard.Ask<ShardHosts>(new GetShardHosts(Shard, 100), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

    private void Stop(IActorRef shard)
    {
        Watch(shard);
        shard.Tell(StopHost.Instance); // what sharding sends on hand-off and shutdown
        ExpectTerminated(shard, TimeSpan.FromSeconds(15));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        foreach (var s in _stores) s.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Batch_is_applied_and_reported_by_GetHostState()
    {
        var shard = StartShard(CreateTestProbe().Ref);
        shard.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 40, TestData.T0)));
        var report = StateOf(shard);
        Assert.Equal(40, report.FlowsObserved);
        Assert.Equal(1, report.BatchesApplied);
        Assert.Equal(0, report.AlertsRaised);
        Assert.False(report.RestoredFromSnapshot);
        Assert.Equal(TestData.Ms(TestData.T0) + 39 * 10 + 500, report.EventTimeMs);
    }

    [Fact]
    public void A_shard_batch_is_split_to_its_hosts_in_order()
    {
        var shard = StartShard(CreateTestProbe().Ref);
        // Two hosts interleaved in one message; each host's observations close one window after another, so any
        // reordering within a host would make an observation late.
        var a = FlowAddress.Parse("10.0.0.5");
        var b = FlowAddress.Parse("10.0.0.6");
        var items = new FlowObservation[20];
        for (int i = 0; i < 10; i++)
        {
            long t = TestData.Ms(TestData.T0) + i * 400_000L;
            items[2 * i] = new FlowObservation(a, FlowAddress.Parse("192.0.2.1"), 50000, 443, 6, 0x1B, true, false, 1, 100, t, t + 1);
            items[2 * i + 1] = new FlowObservation(b, FlowAddress.Parse("192.0.2.1"), 50000, 443, 6, 0x1B, true, false, 1, 100, t, t + 1);
        }
        shard.Tell(new ShardObservations(Shard, items, items.Length));
        foreach (var host in new[] { a, b })
        {
            var report = StateOf(shard, host);
            Assert.Equal(10, report.FlowsObserved);
            Assert.Equal(0, report.LateObservations);
            Assert.Equal(1, report.BatchesApplied); // one delivery per host per message
            Assert.Equal(TestData.Ms(TestData.T0) + 9 * 400_000L + 1, report.EventTimeMs);
        }
        Assert.Equal(2, HostsOf(shard).ActiveHosts);
    }

    // Three messages, each interleaving three hosts whose observations step across windows: reordering within a host
    // would count observations late.
    private static ShardObservations[] InterleavedBatches(FlowAddress[] hosts, int messages, int perHost)
    {
        var batches = new ShardObservations[messages];
        int step = 0;
        for (int m = 0; m < messages; m++)
        {
            var items = new FlowObservation[hosts.Length * perHost];
            for (int i = 0; i < perHost; i++, step++)
            {
                long t = TestData.Ms(TestData.T0) + step * 400_000L;
                for (int h = 0; h < hosts.Length; h++)
                    items[i * hosts.Length + h] = new FlowObservation(hosts[h], FlowAddress.Parse("192.0.2.1"), 50000, 443, 6, 0x1B, true, false, 1, 100, t, t + 1);
            }
            batches[m] = new ShardObservations(Shard, items, items.Length);
        }
        return batches;
    }

    // Every observation applied, none late (any reordering within a host would make some late), in this many deliveries;
    // event time at the host's last observation (InterleavedBatches steps 400 s per observation and host).
    private static void AssertEachHostAppliedInOrder(IActorRef shard, FlowAddress[] hosts, int observations, int deliveries)
    {
        foreach (var host in hosts)
        {
            var report = StateOf(shard, host);
            Assert.Equal(observations, report.FlowsObserved);
            Assert.Equal(0, report.LateObservations);
            Assert.Equal(deliveries, report.BatchesApplied);
            Assert.Equal(TestData.Ms(TestData.T0) + (observations - 1) * 400_000L + 1, report.EventTimeMs);
        }
    }

    [Fact]
    public void Batches_gathered_within_the_apply_delay_are_applied_once_per_host_in_arrival_order()
    {
        var options = Options();
        options.HostApplyDelay = TimeSpan.FromMinutes(10); // beyond what validation allows: only the ask can apply the stage
        var shard = StartShard(CreateTestProbe().Ref, options);
        FlowAddress[] hosts = [FlowAddress.Parse("10.0.0.5"), FlowAddress.Parse("10.0.0.6"), FlowAddress.Parse("10.0.0.7")];
        foreach (var batch in InterleavedBatches(hosts, messages: 3, perHost: 4)) shard.Tell(batch);

        // The shard applies what it gathered before it handles the ask. Three messages, one delivery per host: grouped.
        AssertEachHostAppliedInOrder(shard, hosts, observations: 12, deliveries: 1);
    }

    [Fact]
    public void With_no_apply_delay_each_batch_is_applied_on_arrival()
    {
        var options = Options();
        options.HostApplyDelay = TimeSpan.Zero;
        var shard = StartShard(CreateTestProbe().Ref, options);
        FlowAddress[] hosts = [FlowAddress.Parse("10.0.0.5"), FlowAddress.Parse("10.0.0.6")];
        foreach (var batch in InterleavedBatches(hosts, messages: 3, perHost: 4)) shard.Tell(batch);
        AssertEachHostAppliedInOrder(shard, hosts, observations: 12, deliveries: 3);
    }

    [Fact]
    public void Gathered_observations_are_applied_when_the_delay_ends_without_another_message()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.HostApplyDelay = TimeSpan.FromMilliseconds(200);
        var shard = StartShard(forwarder.Ref, options);
        var scan = TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0);
        shard.Tell(new ShardObservations(Shard, scan, scan.Length));
        // Nothing else is sent: only the shard's own apply timer can raise the alert.
        var alert = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(10));
        Assert.Equal("port-scan", alert.Alert.Detector);
    }

    [Fact]
    public void A_full_stage_is_applied_at_once_however_long_the_delay()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.HostApplyDelay = TimeSpan.FromMinutes(10); // beyond what validation allows: only the size can apply the stage
        options.AlertRetryInterval = TimeSpan.FromMinutes(5); // no retry tick may apply it either
        var shard = StartShard(forwarder.Ref, options);
        var scan = TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0);
        shard.Tell(new ShardObservations(Shard, scan, scan.Length));
        forwarder.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // gathered, not yet applied
        // Another host's traffic fills the stage: it is applied then.
        var filler = TestData.Sessions("10.0.0.6", HostShardActor.MaxStagedObservations, TestData.T0);
        shard.Tell(new ShardObservations(Shard, filler, filler.Length));
        var alert = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(10));
        Assert.Equal("port-scan", alert.Alert.Detector);
        Assert.Equal(HostShardActor.MaxStagedObservations, StateOf(shard, FlowAddress.Parse("10.0.0.6")).FlowsObserved);
    }

    [Fact]
    public void Port_scan_alert_is_sent_to_the_forwarder_and_resent_until_acknowledged()
    {
        var forwarder = CreateTestProbe();
        var shard = StartShard(forwarder.Ref);
        // 15 distinct ports with unanswered SYNs: the vertical scan threshold (Zeek scan.zeek).
        shard.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0)));

        var first = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(3));
        Assert.Equal("port-scan", first.Alert.Detector);
        Assert.Equal("10.0.0.5", first.Alert.Host);
        Assert.Equal("T1046", first.Alert.Technique);

        // Not acknowledged: the shard sends it again on its retry tick.
        var again = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(3));
        Assert.Equal(first.Alert.Id, again.Alert.Id);

        forwarder.LastSender.Tell(new AlertAccepted(first.Alert.Id, first.Alert.Count), forwarder.Ref);
        forwarder.ReceiveWhile(TimeSpan.FromMilliseconds(400), m => m as ForwardAlert); // a resend that raced the ack
        forwarder.ExpectNoMsg(TimeSpan.FromMilliseconds(1000)); // three retry intervals

        var report = StateOf(shard);
        Assert.Equal(0, report.UnacknowledgedAlerts);
        Assert.Equal(1, report.AlertsRaised);
    }

    [Fact]
    public async Task Handed_off_host_restores_its_baseline_exactly_and_redelivers_unacknowledged_alerts()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        var shard = StartShard(forwarder.Ref, options);
        shard.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 40, TestData.T0)));
        shard.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0.AddSeconds(10))));
        var alert = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(3)).Alert;
        var before = StateOf(shard);
        Stop(shard);

        // The stored row is the host's exact state: decoding and re-encoding it gives the same bytes.
        var store = Store(options);
        var row = Assert.Single(await store.LoadAsync(Shard, [Host]));
        var stored = FlowActorsSerializer.DecodeHostState(row.State);
        var behavior = FlowActors.Detection.HostBehavior.Restore(stored.Behavior, Host, options.Detection);
        Assert.Equal(stored.Behavior, behavior.ToSnapshot());

        var restarted = StartShard(forwarder.Ref, options, store: store);
        var report = StateOf(restarted);
        Assert.True(report.RestoredFromSnapshot);
        Assert.Equal(56, report.FlowsObserved);
        Assert.Equal(before.WindowsClosed, report.WindowsClosed);
        Assert.Equal(before.EventTimeMs, report.EventTimeMs);
        Assert.Equal(before.LateObservations, report.LateObservations);
        Assert.Equal(stored.Behavior.Length, report.SnapshotBytes);
        Assert.Equal(1, report.UnacknowledgedAlerts);
        // The restored host redelivers what was never acknowledged.
        forwarder.FishForMessage(m => m is ForwardAlert f && f.Alert.Id == alert.Id, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Unacknowledged_alerts_are_bounded_and_the_oldest_dropped()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.MaxUnacknowledgedAlertsPerHost = 2;
        var shard = StartShard(forwarder.Ref, options);
        // Three scans two hours apart (beyond the 1 h suppression window): three distinct alerts, room for two.
        shard.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0)));
        shard.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.10", TestData.T0.AddHours(2))));
        shard.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.11", TestData.T0.AddHours(4))));
        var report = StateOf(shard);
        Assert.Equal(3, report.AlertsRaised);
        Assert.Equal(2, report.UnacknowledgedAlerts);
        Assert.Equal(1, report.AlertsDropped);
    }

    [Fact]
    public void Periodic_flush_writes_only_dirty_hosts_in_one_transaction_and_a_later_write_replaces_it()
    {
        var options = Options();
        options.SnapshotInterval = TimeSpan.FromMilliseconds(300);
        var store = Store(options);
        var shard = StartShard(CreateTestProbe().Ref, options, store: store);
        shard.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 10, TestData.T0)));
        shard.Tell(new ObserveBatch(FlowAddress.Parse("10.0.0.6"), TestData.Sessions("10.0.0.6", 10, TestData.T0)));
        AwaitCondition(() => store.RowsWritten == 2, TimeSpan.FromSeconds(10));
        Assert.Equal(1, store.Transactions);

        // Several flush intervals with traffic for one host only: only it is rewritten.
        shard.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 5, TestData.T0.AddSeconds(30))));
        AwaitCondition(() => store.RowsWritten == 3, TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.True(store.Transactions >= 2), TimeSpan.FromSeconds(5));
        ExpectNoMsg(TimeSpan.FromMilliseconds(1000));
        Assert.Equal(3, store.RowsWritten);
        Stop(shard); // nothing dirty: nothing written
        Assert.Equal(3, store.RowsWritten);

        var restarted = StartShard(CreateTestProbe().Ref, options, store: store);
        Assert.Equal(15, StateOf(restarted).FlowsObserved);
        Assert.Equal(10, StateOf(restarted, FlowAddress.Parse("10.0.0.6")).FlowsObserved);
    }

    [Fact]
    public void Idle_ticks_do_not_rewrite_a_silent_host_whose_windows_did_not_close()
    {
        var options = Options();
        options.SnapshotInterval = TimeSpan.FromMilliseconds(100);
        options.IdleAdvanceInterval = TimeSpan.FromMilliseconds(100);
        var store = Store(options);
        var shard = StartShard(CreateTestProbe().Ref, options, store: store);
        // Live traffic, then silence: each tick moves the host's event time on with the clock, but its window stays
        // open for minutes, so there is nothing new to write. (Before: every tick marked it dirty, and an idle node
        // rewrote all its hosts at the write ceiling forever.)
        shard.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 10, DateTime.UtcNow.AddSeconds(-1))));
        AwaitCondition(() => store.RowsWritten >= 1, TimeSpan.FromSeconds(15));
        long first = store.RowsWritten;
        ExpectNoMsg(TimeSpan.FromSeconds(2)); // about 20 idle ticks and 20 flushes
        // One more write is allowed: the window may close inside these 2 s when the test runs at a 5-minute boundary.
        Assert.InRange(store.RowsWritten, first, first + 1);
        Assert.InRange(first, 1, 2);
        Assert.Equal(10, StateOf(shard).FlowsObserved);
    }

    [Fact]
    public void Traffic_to_a_block_listed_address_raises_a_threat_intel_alert()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.ThreatIntel = new FlowActors.Detection.ThreatIntelSet(["198.51.100.0/24"]);
        var shard = StartShard(forwarder.Ref, options);
        var bad = new FlowObservation(Host, FlowAddress.Parse("198.51.100.66"), 50123, 443, 6, 0x1B, true, false, 12, 4000,
            TestData.Ms(TestData.T0), TestData.Ms(TestData.T0) + 900);
        shard.Tell(new ObserveBatch(Host, [bad, .. TestData.Sessions("10.0.0.5", 1, TestData.T0.AddMinutes(6))]));
        var alert = forwarder.FishForMessage<ForwardAlert>(m => m.Alert.Detector == "threat-intel", TimeSpan.FromSeconds(5)).Alert;
        Assert.Contains("198.51.100.66", alert.Peers);
    }

    [Fact]
    public void Idle_host_closes_its_last_window_on_the_wall_clock_tick_so_a_replayed_scan_alerts()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.IdleAdvanceInterval = TimeSpan.FromMilliseconds(200);
        var shard = StartShard(forwarder.Ref, options);
        // Last month's scan and nothing after it: only the idle tick can close the window.
        shard.Tell(new ObserveBatch(Host, TestData.SynProbes("10.0.0.5", "10.0.0.9", 15, TestData.T0.AddDays(-30))));
        var alert = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(5)).Alert;
        Assert.Equal("port-scan", alert.Detector);
        Assert.Equal(TestData.T0.AddDays(-30), alert.WindowStart); // the scan's own 5-minute window, in event time
    }

    [Fact]
    public void Restored_host_whose_window_was_open_closes_it_on_the_idle_tick_without_new_traffic()
    {
        var forwarder = CreateTestProbe();
        var options = Options(); // idle tick every 5 min: the window stays open in this incarnation
        var store = Store(options);
        var shard = StartShard(forwarder.Ref, options, store: store);
        shard.Tell(new ObserveBatch(Host, TestData.SynProbes("10.0.0.5", "10.0.0.9", 15, TestData.T0.AddDays(-30))));
        Assert.Equal(15, StateOf(shard).FlowsObserved);
        Stop(shard);
        forwarder.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var fast = Options();
        fast.IdleAdvanceInterval = TimeSpan.FromMilliseconds(200);
        StartShard(forwarder.Ref, fast, store: store); // nobody asks for the host: the shard restores it because it was active
        var alert = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(10)).Alert;
        Assert.Equal("port-scan", alert.Detector);
        Assert.Equal(TestData.T0.AddDays(-30), alert.WindowStart);
    }

    [Fact]
    public void Idle_hosts_are_passivated_with_their_state_written_and_come_back_from_a_batched_load()
    {
        var options = Options();
        options.IdleAdvanceInterval = TimeSpan.FromMilliseconds(200);
        options.PassivationIdleTimeout = TimeSpan.FromSeconds(1);
        options.SnapshotInterval = TimeSpan.FromMilliseconds(300);
        var store = Store(options);
        var population = new HostPopulation(options.MaxActiveHosts);
        var shard = StartShard(CreateTestProbe().Ref, options, population, store);
        var hosts = Enumerable.Range(1, 50).Select(i => FlowAddress.Parse($"10.0.1.{i}")).ToArray();
        foreach (var h in hosts) shard.Tell(new ObserveBatch(h, TestData.Sessions(h.ToString(), 3, TestData.T0)));
        Assert.Equal(50, HostsOf(shard).ActiveHosts);

        AwaitAssert(() => Assert.Equal(0, HostsOf(shard).ActiveHosts), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));
        AwaitAssert(() => Assert.Equal(50, store.CountAsync(Shard).GetAwaiter().GetResult()), TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.Equal(0, population.Count), TimeSpan.FromSeconds(10)); // memory freed once the write committed

        long loadedBefore = store.RowsLoaded;
        // An hour on in event time: the idle ticks moved each host past its last window, so earlier times would be late.
        foreach (var h in hosts) shard.Tell(new ObserveBatch(h, TestData.Sessions(h.ToString(), 2, TestData.T0.AddHours(1))));
        foreach (var h in hosts)
        {
            var report = StateOf(shard, h);
            Assert.True(report.RestoredFromSnapshot);
            Assert.Equal(5, report.FlowsObserved); // 3 before passivation, 2 that waited for the load, in order
            Assert.Equal(0, report.LateObservations);
        }
        Assert.Equal(50, store.RowsLoaded - loadedBefore);
    }

    [Fact]
    public void Hosts_over_the_node_limit_are_dropped_and_counted_not_held()
    {
        var options = Options();
        options.MaxActiveHosts = 100;
        options.IdleAdvanceInterval = TimeSpan.FromMilliseconds(200);
        var population = new HostPopulation(options.MaxActiveHosts);
        using var dropped = new CounterProbe("flowactors.host.dropped_observations", "host_limit");
        var shard = StartShard(CreateTestProbe().Ref, options, population);
        // A cardinality storm: 5,000 distinct source addresses, two observations each.
        var items = new FlowObservation[10_000];
        for (int i = 0; i < 5_000; i++)
        {
            var h = FlowAddress.FromV4(0x0A_02_00_00u + (uint)i);
            long t = TestData.Ms(TestData.T0) + i;
            items[2 * i] = new FlowObservation(h, FlowAddress.Parse("192.0.2.1"), 50000, 443, 6, 0x1B, true, false, 1, 100, t, t + 1);
            items[2 * i + 1] = items[2 * i];
        }
        shard.Tell(new ShardObservations(Shard, items, items.Length));
        Assert.Equal(100, HostsOf(shard).ActiveHosts);
        Assert.Equal(100, population.Count);
        AwaitAssert(() => Assert.True(dropped.Total >= 9_800, $"dropped {dropped.Total}"), TimeSpan.FromSeconds(5));
        Stop(shard);
        Assert.Equal(0, population.Count);
    }

    [Fact]
    public async Task Stop_writes_every_dirty_host_in_one_go()
    {
        var options = Options();
        var store = Store(options);
        var shard = StartShard(CreateTestProbe().Ref, options, store: store);
        var items = new FlowObservation[2_000];
        for (int i = 0; i < items.Length; i++)
        {
            var h = FlowAddress.FromV4(0x0A_03_00_00u + (uint)i);
            long t = TestData.Ms(TestData.T0);
            items[i] = new FlowObservation(h, FlowAddress.Parse("192.0.2.1"), 50000, 443, 6, 0x1B, true, false, 1, 100, t, t + 1);
        }
        shard.Tell(new ShardObservations(Shard, items, items.Length));
        Assert.Equal(2_000, HostsOf(shard).ActiveHosts);
        Stop(shard);
        Assert.Equal(2_000, await store.CountAsync(Shard));
        Assert.Equal(1, store.Transactions);
    }
}

/// <summary>Sums one <see cref="ClusterMetrics"/> counter with a given <c>reason</c> tag while alive (process-wide: assert lower bounds).</summary>
internal sealed class CounterProbe : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private long _total;

    public CounterProbe(string instrument, string reason)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == ClusterMetrics.MeterName && i.Name == instrument) l.EnableMeasurementEvents(i);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == "reason" && (string?)t.Value == reason) Interlocked.Add(ref _total, value);
            }
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
