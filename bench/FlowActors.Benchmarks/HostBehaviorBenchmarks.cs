using BenchmarkDotNet.Attributes;
using FlowActors.Detection;
using FlowActors.Protocols;

namespace FlowActors.Benchmarks;

/// <summary>
/// Observations per second through <see cref="HostBehavior"/> (one core, windows closing as event time moves)
/// and the size of a host's state. The traffic is a seeded mix like a busy workstation/server: mostly completed
/// TCP and UDP conversations to a pool of internal and external peers, some DNS, a few failed attempts.
/// </summary>
[MemoryDiagnoser]
public class HostBehaviorBenchmarks
{
    private const int Observations = 1_000_000;
    private const long T0 = 1_800_000_000_000;

    private FlowObservation[] _single = [];
    private FlowObservation[] _multi = [];
    private FlowAddress[] _hosts = [];
    private readonly List<Alert> _alerts = new();
    private readonly DetectionSettings _settings = new();
    private HostBehavior _host = null!;
    private Dictionary<FlowAddress, HostBehavior> _map = new();

    /// <summary>Hosts in the many-hosts case.</summary>
    [Params(1_000)]
    public int Hosts { get; set; }

    /// <summary>Builds the observation arrays.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var host = FlowAddress.Parse("10.0.0.5");
        _single = Generate(new Random(1), _ => host, Observations);
        _hosts = Enumerable.Range(0, Hosts).Select(i => FlowAddress.FromV4(0x0A01_0000u + (uint)i)).ToArray();
        _multi = Generate(new Random(2), rnd => _hosts[rnd.Next(_hosts.Length)], Observations);

        // Bytes per host state after an hour of this traffic (printed into the benchmark log).
        var probe = new HostBehavior(host, _settings);
        probe.Observe(_single.AsSpan(0, 100_000), _alerts);
        Console.WriteLine($"// host state after 100k observations: {probe.ApproximateBytes} bytes (estimate), snapshot {probe.SnapshotSize} bytes");
        var map = new Dictionary<FlowAddress, HostBehavior>();
        foreach (ref readonly var o in _multi.AsSpan())
        {
            if (!map.TryGetValue(o.Host, out var h)) map[o.Host] = h = new HostBehavior(o.Host, _settings);
            h.Observe(in o, _alerts);
        }

        Console.WriteLine($"// {Hosts} hosts after {Observations} observations: mean {map.Values.Average(h => h.ApproximateBytes):0} bytes (estimate), mean snapshot {map.Values.Average(h => h.SnapshotSize):0} bytes");
        Console.WriteLine($"// GC heap per host (measured): {MeasureHeapPerHost()} bytes");
    }

    private long MeasureHeapPerHost()
    {
        const int n = 2_000;
        var rnd = new Random(3);
        var hosts = new HostBehavior[n];
        var batch = new FlowObservation[200];
        long before = GC.GetTotalMemory(true);
        for (int i = 0; i < n; i++)
        {
            var a = FlowAddress.FromV4(0x0A02_0000u + (uint)i);
            hosts[i] = new HostBehavior(a, _settings);
            for (int k = 0; k < batch.Length; k++) batch[k] = Make(rnd, a, T0 + (k * 15_000L));
            hosts[i].Observe(batch, _alerts);
            hosts[i].AdvanceTo(T0 + (60 * 60_000L), _alerts);
        }

        long after = GC.GetTotalMemory(true);
        GC.KeepAlive(hosts);
        return (after - before) / n;
    }

    /// <summary>A fresh host (or host map) per iteration so event time starts over.</summary>
    [IterationSetup]
    public void Fresh()
    {
        _host = new HostBehavior(FlowAddress.Parse("10.0.0.5"), _settings);
        _map = new Dictionary<FlowAddress, HostBehavior>(Hosts);
        foreach (var h in _hosts) _map[h] = new HostBehavior(h, _settings);
        _alerts.Clear();
    }

    /// <summary>One host, one million observations over about three hours of event time.</summary>
    [Benchmark(OperationsPerInvoke = Observations)]
    public void OneHost() => _host.Observe(_single, _alerts);

    /// <summary>Many hosts (dictionary lookup per observation, as the offline analyzer does; states spread over memory).</summary>
    [Benchmark(OperationsPerInvoke = Observations)]
    public void ManyHosts()
    {
        foreach (ref readonly var o in _multi.AsSpan())
        {
            _map[o.Host].Observe(in o, _alerts);
        }
    }

    private static FlowObservation[] Generate(Random rnd, Func<Random, FlowAddress> host, int count)
    {
        var list = new FlowObservation[count];
        for (int i = 0; i < count; i++)
        {
            list[i] = Make(rnd, host(rnd), T0 + (i * 10L)); // 100 observations per second of event time
        }

        return list;
    }

    private static FlowObservation Make(Random rnd, FlowAddress host, long t)
    {
        int kind = rnd.Next(100);
        bool outbound = rnd.Next(2) == 0;
        bool external = rnd.Next(3) == 0;
        var peer = external ? FlowAddress.FromV4(0x5DB8_0000u + (uint)rnd.Next(2_000)) : FlowAddress.FromV4(0x0A00_0000u + (uint)rnd.Next(500));
        ushort eph = (ushort)rnd.Next(32_768, 61_000);
        return kind switch
        {
            < 15 => new FlowObservation(host, peer, eph, 53, 17, 0, true, !external, 1, 70, t, t + 5),
            < 18 => new FlowObservation(host, peer, eph, (ushort)rnd.Next(1, 1024), 6, 0x02, true, !external, 1, 60, t, t),
            < 60 => new FlowObservation(host, peer, outbound ? eph : (ushort)443, outbound ? (ushort)443 : eph, 6, 0x1B, outbound, !external, 12, (ulong)rnd.Next(500, 50_000), t - 2_000, t),
            < 80 => new FlowObservation(host, peer, outbound ? (ushort)22 : eph, outbound ? eph : (ushort)22, 6, 0x1B, outbound, !external, 30, 4_000, t - 3_000, t),
            _ => new FlowObservation(host, peer, eph, 8_080, 17, 0, outbound, !external, 3, 900, t - 100, t),
        };
    }
}
