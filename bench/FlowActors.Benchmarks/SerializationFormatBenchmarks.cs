using Akka.Actor;
using BenchmarkDotNet.Attributes;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Serialization;
using FlowActors.Detection;
using FlowActors.Protocols;

namespace FlowActors.Benchmarks;

/// <summary>
/// The tagged (Protocol Buffers) format of alert-bearing and persisted messages against the positional one it
/// replaced, on the committed golden bytes (tests/FlowActors.Cluster.Tests/Golden: positional written by main @
/// 1a47256, which only the read-only readers still decode), and the packed shard batch that stays positional.
/// </summary>
[MemoryDiagnoser]
public class SerializationFormatBenchmarks
{
    private ActorSystem _system = null!;
    private FlowActorsSerializer _serializer = null!;
    private byte[] _positionalAlert = [], _taggedAlert = [], _positionalSnapshot = [], _taggedSnapshot = [];
    private byte[] _positionalHostState = [], _taggedHostState = [], _batchBytes = [];
    private ForwardAlert _alert = null!;
    private ForwarderSnapshot _snapshot = null!;
    private HostSnapshot _hostState = null!;
    private ShardObservations _batch = null!;

    private static string GoldenDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string golden = Path.Combine(dir.FullName, "tests", "FlowActors.Cluster.Tests", "Golden");
            if (Directory.Exists(golden)) return golden;
        }
        throw new DirectoryNotFoundException("tests/FlowActors.Cluster.Tests/Golden not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Loads the golden bytes and decodes the values to encode.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench-format");
        _serializer = new FlowActorsSerializer((ExtendedActorSystem)_system);
        string dir = GoldenDir();
        byte[] Read(string file) => File.ReadAllBytes(Path.Combine(dir, file));
        _positionalAlert = Read("forward-alert.fa.bin");
        _taggedAlert = Read("forward-alert.pfa.bin");
        _positionalSnapshot = Read("forwarder-snapshot.fx.bin");
        _taggedSnapshot = Read("forwarder-snapshot.pfx.bin");
        _positionalHostState = Read("host-state.blob1.bin");
        _taggedHostState = Read("host-state.blob2.bin");
        _alert = (ForwardAlert)_serializer.FromBinary(_taggedAlert, "pfa");
        _snapshot = (ForwarderSnapshot)_serializer.FromBinary(_taggedSnapshot, "pfx");
        _hostState = FlowActorsSerializer.DecodeHostState(_taggedHostState);
        var peer = FlowAddress.Parse("198.51.100.7");
        var observations = new FlowObservation[512];
        for (int i = 0; i < observations.Length; i++)
        {
            var host = FlowAddress.FromV4(0x0A00_0000u + (uint)i);
            observations[i] = new FlowObservation(host, peer, 50000, 443, 6, 0x1B, true, false, 10, 4000, 1_800_000_000_000 + i, 1_800_000_000_020 + i);
        }
        _batch = new ShardObservations(3, observations, observations.Length);
        _batchBytes = _serializer.ToBinary(_batch);
    }

    /// <summary>Stops the actor system.</summary>
    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>Reads a positional <c>fa</c> alert (the read-only reader).</summary>
    [Benchmark]
    public object DecodeAlertPositional() => _serializer.FromBinary(_positionalAlert, "fa");

    /// <summary>Reads a tagged <c>pfa</c> alert.</summary>
    [Benchmark]
    public object DecodeAlertTagged() => _serializer.FromBinary(_taggedAlert, "pfa");

    /// <summary>Writes a tagged <c>pfa</c> alert.</summary>
    [Benchmark]
    public byte[] EncodeAlertTagged() => _serializer.ToBinary(_alert);

    /// <summary>Reads a positional forwarder snapshot (two alerts).</summary>
    [Benchmark]
    public object DecodeForwarderSnapshotPositional() => _serializer.FromBinary(_positionalSnapshot, "fx");

    /// <summary>Reads a tagged forwarder snapshot.</summary>
    [Benchmark]
    public object DecodeForwarderSnapshotTagged() => _serializer.FromBinary(_taggedSnapshot, "pfx");

    /// <summary>Writes a tagged forwarder snapshot.</summary>
    [Benchmark]
    public byte[] EncodeForwarderSnapshotTagged() => _serializer.ToBinary(_snapshot);

    /// <summary>Reads a positional host-state blob.</summary>
    [Benchmark]
    public HostSnapshot DecodeHostStatePositional() => FlowActorsSerializer.DecodeHostState(_positionalHostState);

    /// <summary>Reads a tagged host-state blob.</summary>
    [Benchmark]
    public HostSnapshot DecodeHostStateTagged() => FlowActorsSerializer.DecodeHostState(_taggedHostState);

    /// <summary>Writes a tagged host-state blob.</summary>
    [Benchmark]
    public byte[] EncodeHostStateTagged() => FlowActorsSerializer.EncodeHostState(_hostState);

    /// <summary>Writes a packed 512-observation shard batch (unchanged, positional).</summary>
    [Benchmark]
    public byte[] EncodeShardBatchPacked() => _serializer.ToBinary(_batch);

    /// <summary>Reads it back (the array is pooled: returned here as the shard would).</summary>
    [Benchmark]
    public int DecodeShardBatchPacked()
    {
        var m = (ShardObservations)_serializer.FromBinary(_batchBytes, "so");
        ObservationPool.Return(m.Observations);
        return m.Count;
    }
}
