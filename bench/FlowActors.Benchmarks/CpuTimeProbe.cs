using System.Diagnostics;
using System.Globalization;

namespace FlowActors.Benchmarks;

/// <summary>
/// A supplement to BenchmarkDotNet for a shared machine: runs each decode benchmark in a loop and divides the records
/// decoded by the process's CPU time rather than by wall-clock time, so neighbours that take the core away do not
/// count against the decoder. Run with <c>--cpu-time</c>; BenchmarkDotNet stays the reference for allocations.
/// </summary>
internal static class CpuTimeProbe
{
    public static void Run(TextWriter output, double secondsEach = 3)
    {
        var bench = new DecodeBenchmarks();
        bench.Setup();
        try
        {
            output.WriteLine($"{"Method",-10} {"CPU ns/datagram",16} {"records/CPU-second",19} {"wall/CPU",9}");
            Measure(output, "NetFlowV5", BenchmarkDatagrams.V5Records, () => bench.NetFlowV5(), secondsEach);
            Measure(output, "NetFlowV9", BenchmarkDatagrams.V9Records, () => bench.NetFlowV9(), secondsEach);
            Measure(output, "Ipfix", BenchmarkDatagrams.IpfixRecords, () => bench.Ipfix(), secondsEach);
            Measure(output, "SFlow", BenchmarkDatagrams.SFlowSamples, () => bench.SFlow(), secondsEach);
        }
        finally
        {
            bench.Cleanup();
        }
    }

    private static void Measure(TextWriter output, string name, int records, Func<Protocols.DecodeResult> decode, double seconds)
    {
        Loop(decode, 200_000); // tiering and caches
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long datagrams = 0;
        while (wall.Elapsed.TotalSeconds < seconds)
        {
            Loop(decode, 10_000);
            datagrams += 10_000;
        }

        wall.Stop();
        process.Refresh();
        double cpuNs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds * 1e6;
        double perDatagram = cpuNs / datagrams;
        double perSecond = records / (perDatagram / 1e9);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-10} {perDatagram,16:N1} {perSecond,19:N0} {wall.Elapsed.TotalMilliseconds * 1e6 / cpuNs,9:N2}"));
    }

    private static void Loop(Func<Protocols.DecodeResult> decode, int count)
    {
        for (int i = 0; i < count; i++) decode();
    }
}
