using BenchmarkDotNet.Attributes;
using FlowActors.Detection;
using FlowActors.Protocols;

namespace FlowActors.Benchmarks;

/// <summary>
/// What applying observations grouped by host saves at a realistic population (bench/README.md, round 7): 50,000
/// hosts with Zipf(1.1) popularity, observations in arrival order as receivers send them, applied either one by one
/// (<see cref="ArrivalOrder"/>) or as a host shard does since round 7 (<see cref="GroupedPerShardStage"/>): split over
/// 100 shards, gathered per shard into a stage of <see cref="StageSize"/>, then applied grouped by host with a counting
/// sort, each host's observations in arrival order.
/// </summary>
public class HostGroupingBenchmarks
{
    private const int HostCount = 50_000;
    private const int Shards = 100;
    private const int Warm = 1_000_000;
    private const int Timed = 1_000_000;
    private const long T0 = 1_800_000_000_000;

    private readonly DetectionSettings _settings = new();
    private readonly List<Alert> _alerts = new();
    private FlowObservation[] _all = [];
    private Dictionary<FlowAddress, HostBehavior> _map = new();
    private FlowObservation[][] _stage = [];
    private int[] _staged = [];
    private HostBehavior[] _stageHost = [];
    private int[] _slotOf = [];
    private int[] _order = [];
    private int[] _slotStart = [];
    private readonly Dictionary<HostBehavior, int> _slots = new(ReferenceEqualityComparer.Instance);
    private readonly List<HostBehavior> _slotHosts = new();

    /// <summary>Observations a shard gathers before it applies them: 1,800 is about 100 ms of one shard's share of 1.8 M flows/s.</summary>
    [Params(1_800, 8_192)]
    public int StageSize { get; set; }

    /// <summary>Builds the stream: Zipf(1.1) hosts, 200,000 peers, event time advancing at 1.8 M observations per second.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(7);
        double[] hostCdf = ZipfCdf(HostCount);
        double[] peerCdf = ZipfCdf(200_000);
        _all = new FlowObservation[Warm + Timed];
        for (int i = 0; i < _all.Length; i++)
        {
            var host = FlowAddress.FromV4(0x0A00_0000u + (uint)(Draw(rnd, hostCdf) * 97 % 16_000_000) + 1);
            var peer = FlowAddress.FromV4(0xC600_0000u + ((uint)Draw(rnd, peerCdf) * 13));
            int service = rnd.Next(100);
            ushort port = service < 58 ? (ushort)443 : service < 72 ? (ushort)80 : service < 88 ? (ushort)53 : (ushort)(1024 + rnd.Next(20_000));
            byte proto = service is >= 72 and < 88 ? (byte)17 : (byte)6;
            long end = T0 + (long)(i / 1_800.0);
            ulong packets = (ulong)(1 + rnd.Next(20));
            _all[i] = new FlowObservation(host, peer, (ushort)(32_768 + rnd.Next(28_000)), port, proto, proto == 6 ? (ushort)0x1B : (ushort)0,
                rnd.Next(2) == 0, false, packets, packets * 500, end - rnd.Next(2_000), end);
        }
    }

    /// <summary>Fresh host states, learnt from the first million observations, so every iteration times the same work.</summary>
    [IterationSetup]
    public void Fresh()
    {
        _map = new Dictionary<FlowAddress, HostBehavior>(HostCount);
        foreach (ref readonly var o in _all.AsSpan(0, Warm)) HostOf(in o).Observe(in o, _alerts);
        _stage = new FlowObservation[Shards][];
        for (int s = 0; s < Shards; s++) _stage[s] = new FlowObservation[StageSize];
        _staged = new int[Shards];
        _stageHost = new HostBehavior[StageSize];
        _slotOf = new int[StageSize];
        _order = new int[StageSize];
        _slotStart = new int[StageSize + 1];
        _alerts.Clear();
    }

    /// <summary>Each observation applied as it arrives (how host shards applied them before round 7).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Timed)]
    public void ArrivalOrder()
    {
        foreach (ref readonly var o in _all.AsSpan(Warm, Timed)) HostOf(in o).Observe(in o, _alerts);
    }

    /// <summary>Observations gathered per shard and applied grouped by host (how host shards apply them since round 7).</summary>
    [Benchmark(OperationsPerInvoke = Timed)]
    public void GroupedPerShardStage()
    {
        foreach (ref readonly var o in _all.AsSpan(Warm, Timed))
        {
            int s = (int)((uint)o.Host.GetStableHashCode() % Shards);
            _stage[s][_staged[s]++] = o;
            if (_staged[s] == StageSize) ApplyStage(s);
        }

        for (int s = 0; s < Shards; s++) ApplyStage(s);
    }

    private void ApplyStage(int shard)
    {
        var stage = _stage[shard];
        int n = _staged[shard];
        _staged[shard] = 0;
        _slots.Clear();
        _slotHosts.Clear();
        for (int i = 0; i < n; i++)
        {
            var host = HostOf(in stage[i]);
            if (!_slots.TryGetValue(host, out int slot))
            {
                slot = _slotHosts.Count;
                _slots[host] = slot;
                _slotHosts.Add(host);
                _slotStart[slot] = 0;
            }
            _slotOf[i] = slot;
            _slotStart[slot]++;
        }

        int start = 0;
        for (int h = 0; h < _slotHosts.Count; h++)
        {
            int c = _slotStart[h];
            _slotStart[h] = start;
            start += c;
        }

        for (int i = 0; i < n; i++) _order[_slotStart[_slotOf[i]]++] = i;
        int from = 0;
        for (int h = 0; h < _slotHosts.Count; h++)
        {
            var behavior = _slotHosts[h];
            for (int k = from; k < _slotStart[h]; k++) behavior.Observe(in stage[_order[k]], _alerts);
            from = _slotStart[h];
        }
    }

    private HostBehavior HostOf(in FlowObservation o)
    {
        if (!_map.TryGetValue(o.Host, out var h)) _map[o.Host] = h = new HostBehavior(o.Host, _settings);
        return h;
    }

    private static double[] ZipfCdf(int n)
    {
        var cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            sum += Math.Pow(k + 1, -1.1);
            cdf[k] = sum;
        }

        return cdf;
    }

    private static int Draw(Random rnd, double[] cdf)
    {
        int i = Array.BinarySearch(cdf, rnd.NextDouble() * cdf[^1]);
        return i < 0 ? Math.Min(~i, cdf.Length - 1) : i;
    }
}
