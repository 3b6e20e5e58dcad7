using Akka.Actor;
using BenchmarkDotNet.Attributes;
using FlowActors.Cluster;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Persistence;
using FlowActors.Cluster.Receiving;
using FlowActors.Cluster.Serialization;
using FlowActors.Cluster.Sharding;
using FlowActors.Detection;
using FlowActors.Protocols;

namespace FlowActors.Benchmarks;

/// <summary>
/// The per-host path after decoding, at a realistic host population: routing observations into per-shard batches
/// (receive loop side), the wire format of a shard batch (only when the shard is remote), and host-state save/load
/// in bulk on the default SQLite database (activation and persistence side).
/// </summary>
[MemoryDiagnoser]
public class ShardPathBenchmarks
{
    private const int Observations = 100_000;
    private FlowObservation[] _observations = [];
    private ShardBatcher _batcher = null!;
    private ShardBatcher _batcherToShard = null!;
    private BatchReader _reader = null!;
    private ActorSystem _system = null!;
    private FlowActorsSerializer _serializer = null!;
    private ShardObservations _batch = null!;
    private byte[] _batchBytes = [];
    private string _dir = "";
    private HostStateStore _store = null!;
    private List<HostStateRow> _rows = new();
    private List<FlowAddress> _keys = new();

    /// <summary>Monitored hosts the observations are spread over.</summary>
    [Params(50_000)]
    public int Hosts { get; set; }

    /// <summary>Builds observations, a batcher over 100 shards, a serializer and a SQLite store.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(7);
        var peer = FlowAddress.Parse("198.51.100.7");
        _observations = new FlowObservation[Observations];
        for (int i = 0; i < Observations; i++)
        {
            var host = FlowAddress.FromV4(0x0A00_0000u + (uint)rnd.Next(Hosts));
            long t = 1_800_000_000_000 + i;
            _observations[i] = new FlowObservation(host, peer, 50000, 443, 6, 0x1B, true, false, 10, 4000, t, t + 20);
        }
        // Nobody drops the batches, so this measures routing and buffer handling only.
        _batcher = new ShardBatcher(ActorRefs.Nobody, new HostMessageExtractor(100), new InFlightBudget(long.MaxValue), 512, TimeSpan.Zero, () => false);

        _system = ActorSystem.Create("bench");
        _reader = new BatchReader();
        var shard = _system.ActorOf(Props.Create(() => new BatchReaderActor(_reader)));
        _batcherToShard = new ShardBatcher(shard, new HostMessageExtractor(100), new InFlightBudget(long.MaxValue), 256, TimeSpan.Zero, () => false);
        _serializer = new FlowActorsSerializer((ExtendedActorSystem)_system);
        _batch = new ShardObservations(3, _observations[..512], 512);
        _batchBytes = _serializer.ToBinary(_batch);

        _dir = Path.Combine(Path.GetTempPath(), "flowactors-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _store = HostStateStore.Create(new FlowActorsClusterOptions { ConnectionString = "Data Source=" + Path.Combine(_dir, "bench.db"), HostStateWritesPerSecond = int.MaxValue / 10 });
        var settings = new DetectionSettings();
        for (int i = 0; i < 1_000; i++)
        {
            var host = FlowAddress.FromV4(0x0A00_0000u + (uint)i);
            var behavior = new HostBehavior(host, settings);
            var alerts = new List<Alert>();
            for (int k = 0; k < 50; k++) behavior.Observe(new FlowObservation(host, peer, (ushort)(50000 + k), 443, 6, 0x1B, true, false, 10, 4000, 1_800_000_000_000 + k * 1000, 1_800_000_000_000 + k * 1000 + 20), alerts);
            _rows.Add(new HostStateRow(host, FlowActorsSerializer.EncodeHostState(new HostSnapshot(host, 50, behavior.ToSnapshot(), [])), 1));
            _keys.Add(host);
        }
        _store.UpsertAsync(1, _rows).GetAwaiter().GetResult();
    }

    /// <summary>Releases the actor system and the database.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _system.Terminate().Wait();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>100,000 observations routed into per-shard batches (one message per 512 per shard).</summary>
    [Benchmark(OperationsPerInvoke = Observations)]
    public void Route_per_shard()
    {
        foreach (ref readonly var o in _observations.AsSpan()) _batcher.Add(in o);
        _batcher.Flush();
    }

    /// <summary>
    /// The same routing (batches of 256, the node's default) with the batches read by an actor on the thread pool, which
    /// gives each array back to the pool as a host shard does: the receive loop then writes into arrays last read on
    /// another core, the case the batcher's recent blocks are for (bench/README.md, round 8). Waits until every
    /// observation was read.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Observations)]
    public void Route_per_shard_read_by_an_actor()
    {
        long target = _reader.Read + Observations;
        foreach (ref readonly var o in _observations.AsSpan()) _batcherToShard.Add(in o);
        _batcherToShard.Flush();
        SpinWait.SpinUntil(() => Volatile.Read(ref _reader.Read) >= target);
    }

    /// <summary>A 512-observation shard batch to bytes (per observation).</summary>
    [Benchmark(OperationsPerInvoke = 512)]
    public byte[] Serialize_shard_batch() => _serializer.ToBinary(_batch);

    /// <summary>A 512-observation shard batch from bytes (per observation).</summary>
    [Benchmark(OperationsPerInvoke = 512)]
    public object Deserialize_shard_batch()
    {
        var back = (ShardObservations)_serializer.FromBinary(_batchBytes, "so");
        ObservationPool.Return(back.Observations);
        return back;
    }

    /// <summary>1,000 host states written in one transaction (per host).</summary>
    [Benchmark(OperationsPerInvoke = 1_000)]
    public void Save_1000_hosts_in_one_transaction() => _store.UpsertAsync(1, _rows).GetAwaiter().GetResult();

    /// <summary>1,000 stored hosts loaded and restored in bulk (per host): what activating known hosts costs.</summary>
    [Benchmark(OperationsPerInvoke = 1_000)]
    public int Load_and_restore_1000_hosts()
    {
        var rows = _store.LoadAsync(1, _keys).GetAwaiter().GetResult();
        var settings = new DetectionSettings();
        int n = 0;
        foreach (var row in rows)
        {
            var snap = FlowActorsSerializer.DecodeHostState(row.State);
            n += HostBehavior.Restore(snap.Behavior, row.Host, settings).BaselineWindows + 1;
        }
        return n;
    }
}

/// <summary>What <see cref="BatchReaderActor"/> has read.</summary>
internal sealed class BatchReader
{
    /// <summary>Observations read so far.</summary>
    public long Read;

    /// <summary>A sum over what was read, so the reads are not optimised away.</summary>
    public ulong Bytes;
}

/// <summary>Reads each batch as a host shard's stage does (every observation copied out), then returns its array to the pool.</summary>
internal sealed class BatchReaderActor : UntypedActor
{
    private readonly BatchReader _reader;
    private readonly FlowObservation[] _stage = new FlowObservation[256];

    public BatchReaderActor(BatchReader reader) => _reader = reader;

    protected override void OnReceive(object message)
    {
        if (message is not ShardObservations batch) return;
        var items = batch.Observations.AsSpan(0, batch.Count);
        items.CopyTo(_stage);
        ulong bytes = 0;
        for (int i = 0; i < items.Length; i++) bytes += _stage[i].Bytes;
        _reader.Bytes += bytes;
        ObservationPool.Return(batch.Observations);
        Interlocked.Add(ref _reader.Read, items.Length);
    }
}

