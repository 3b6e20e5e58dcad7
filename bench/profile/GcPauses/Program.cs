using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Analysis;
using Microsoft.Diagnostics.Tracing.Analysis.GC;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// usage: dotnet run --project bench/profile/GcPauses -- TRACE.nettrace [alloc|stacks]
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: FlowActors.GcPauses TRACE.nettrace [alloc]");
    return 2;
}

if (args.Length > 1 && args[1] == "stacks")
{
    // The same samples grouped by type and the first FlowActors frames of the allocating stack.
    string etlx = Microsoft.Diagnostics.Tracing.Etlx.TraceLog.CreateFromEventPipeDataFile(args[0]);
    using var log = new Microsoft.Diagnostics.Tracing.Etlx.TraceLog(etlx);
    var byStack = new Dictionary<string, long>();
    long total = 0;
    foreach (var e in log.Events)
    {
        if (e is not GCAllocationTickTraceData tick) continue;
        var frames = new List<string>();
        for (var cs = e.CallStack(); cs is not null && frames.Count < 4; cs = cs.Caller)
        {
            string m = cs.CodeAddress.FullMethodName;
            if (m.Contains("FlowActors", StringComparison.Ordinal)) frames.Add(m.Length > 90 ? m[..90] : m);
        }
        string key = $"{tick.TypeName} <- {string.Join(" <- ", frames)}";
        byStack[key] = byStack.GetValueOrDefault(key) + tick.AllocationAmount64;
        total += tick.AllocationAmount64;
    }
    Console.WriteLine($"sampled allocation: {total / 1e6:0.0} MB");
    foreach (var (key, bytes) in byStack.OrderByDescending(x => x.Value).Take(30))
        Console.WriteLine($"{bytes / 1e6,8:0.0} MB {100.0 * bytes / Math.Max(1, total),5:0.0} %  {key}");
    return 0;
}

if (args.Length > 1 && args[1] == "jit")
{
    // Methods the JIT compiled in the trace (keyword 0x10, verbose): by optimization tier, and the costliest.
    using var source = new EventPipeEventSource(args[0]);
    var started = new Dictionary<long, double>();
    var methods = new List<(string Name, string Tier, double Ms)>();
    source.Clr.MethodJittingStarted += e => started[e.MethodID] = e.TimeStampRelativeMSec;
    source.Clr.MethodLoadVerbose += e =>
    {
        // A load without a start (the start fell before the trace) counts with no time.
        double ms = started.Remove(e.MethodID, out double t0) ? e.TimeStampRelativeMSec - t0 : 0;
        methods.Add(($"{e.MethodNamespace}::{e.MethodName}", e.OptimizationTier.ToString(), ms));
    };
    source.Process();
    foreach (var (tier, count, ms) in methods.GroupBy(m => m.Tier).Select(g => (g.Key, g.Count(), g.Sum(x => x.Ms))).OrderByDescending(x => x.Item3))
        Console.WriteLine($"{tier,-22} {count,6} methods {ms,9:0.0} ms");
    var byNs = methods.GroupBy(m => m.Name.Split('.').Take(2).Aggregate((a, b) => a + "." + b))
        .Select(g => (g.Key, Count: g.Count(), Ms: g.Sum(x => x.Ms))).OrderByDescending(x => x.Ms).Take(15);
    foreach (var (ns, count, ms) in byNs) Console.WriteLine($"{ms,9:0.0} ms {count,6}  {ns}");
    foreach (var g in methods.GroupBy(m => m.Name).OrderByDescending(g => g.Count()).Take(15))
        Console.WriteLine($"{g.Count(),6} x {(g.Key.Length > 140 ? g.Key[..140] : g.Key)}");
    foreach (var m in methods.OrderByDescending(m => m.Ms).Take(25))
        Console.WriteLine($"{m.Ms,8:0.0} ms {m.Tier,-20} {(m.Name.Length > 140 ? m.Name[..140] : m.Name)}");
    return 0;
}

if (args.Length > 1 && args[1] == "alloc")
{
    // AllocationTick fires about every 100 KB allocated, with the type of the object that crossed it: a sample.
    using var source = new EventPipeEventSource(args[0]);
    var byType = new Dictionary<string, long>();
    long total = 0;
    source.Clr.GCAllocationTick += e =>
    {
        string type = e.TypeName ?? "?";
        byType[type] = byType.GetValueOrDefault(type) + e.AllocationAmount64;
        total += e.AllocationAmount64;
    };
    source.Process();
    Console.WriteLine($"sampled allocation: {total / 1e6:0.0} MB");
    foreach (var (type, bytes) in byType.OrderByDescending(x => x.Value).Take(25))
        Console.WriteLine($"{bytes / 1e6,8:0.0} MB {100.0 * bytes / Math.Max(1, total),5:0.0} %  {type}");
    return 0;
}

using (var source = new EventPipeEventSource(args[0]))
{
    source.NeedLoadedDotNetRuntimes();
    source.Process();
    foreach (var process in source.Processes())
    {
        var gcs = process.LoadedDotNetRuntime()?.GC?.GCs;
        if (gcs is null || gcs.Count == 0) continue;
        Console.WriteLine($"process {process.ProcessID}: {gcs.Count} collections, {gcs.Sum(g => g.PauseDurationMSec):0} ms paused, longest {gcs.Max(g => g.PauseDurationMSec):0.0} ms");
        foreach (var gc in gcs)
        {
            Console.WriteLine($"#{gc.Number} t={gc.StartRelativeMSec / 1000:0.00}s gen{gc.Generation} {gc.Type} {gc.Reason} pause={gc.PauseDurationMSec:0.0}ms promoted={gc.PromotedMB:0.0}MB gen0={gc.GenSizeBeforeMB[(int)Gens.Gen0]:0.0}MB heap-after={gc.HeapSizeAfterMB:0}MB");
            if (gc.PerHeapMarkTimes is null) continue;
            foreach (var (heap, mark) in gc.PerHeapMarkTimes)
            {
                var times = Enumerable.Range(0, mark.MarkTimes.Length).Where(i => mark.MarkTimes[i] > 0.05).Select(i => $"{(MarkRootType)i}={mark.MarkTimes[i]:0.0}");
                var promoted = Enumerable.Range(0, mark.MarkPromoted.Length).Where(i => mark.MarkPromoted[i] > 100_000).Select(i => $"{(MarkRootType)i}={mark.MarkPromoted[i] / 1e6:0.0}");
                Console.WriteLine($"   heap {heap} mark ms: {string.Join(' ', times)} | promoted MB: {string.Join(' ', promoted)}");
            }
        }
    }
}
return 0;
