using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowActors.Protocols;

namespace FlowActors.Cli.Tests;

/// <summary>Compiles bench/nfgen/nfgen.c once for the test class (gcc, as build.ps1 bench-e2e does).</summary>
public sealed class NfgenBinary : IDisposable
{
    private readonly TempDirectory _dir = new();

    /// <summary>Builds the generator into a temp directory.</summary>
    public NfgenBinary()
    {
        string source = FindSource();
        Path = _dir.File("nfgen");
        var run = NfgenTests.Run("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", Path, source, "-lm"], TimeSpan.FromMinutes(2));
        if (run.ExitCode != 0) throw new InvalidOperationException($"gcc failed ({run.ExitCode}): {run.Stderr}");
    }

    /// <summary>The compiled generator.</summary>
    public string Path { get; }

    private static string FindSource()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "bench", "nfgen", "nfgen.c");
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException("bench/nfgen/nfgen.c not found above " + AppContext.BaseDirectory);
    }

    /// <inheritdoc />
    public void Dispose() => _dir.Dispose();
}

/// <summary>The end-to-end benchmark's load generator: what it sends decodes, is shaped as documented, and is paced.</summary>
public class NfgenTests(NfgenBinary nfgen) : IClassFixture<NfgenBinary>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    internal sealed record ProcessRun(int ExitCode, string Stdout, string Stderr)
    {
        public double Value(string key)
        {
            foreach (var line in Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ', 2);
                if (parts[0] == key) return double.Parse(parts[1], CultureInfo.InvariantCulture);
            }

            throw new KeyNotFoundException($"'{key}' not in nfgen's output:\n{Stdout}");
        }
    }

    internal static ProcessRun Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + file);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}");
        }

        return new ProcessRun(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static Socket Collector(out int port)
    {
        var collector = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        collector.ReceiveBufferSize = 8 * 1024 * 1024;
        collector.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        collector.ReceiveTimeout = 10_000;
        port = ((IPEndPoint)collector.LocalEndPoint!).Port;
        return collector;
    }

    /// <summary>Receives and decodes <paramref name="datagrams"/> datagrams; returns the receive time of each.</summary>
    private static List<long> ReceiveAll(Socket collector, int datagrams, FlowDecoder decoder, FlowRecordBuffer output)
    {
        var buffer = new byte[65_536];
        var times = new List<long>(datagrams);
        for (int i = 0; i < datagrams; i++)
        {
            int n = collector.Receive(buffer);
            times.Add(Stopwatch.GetTimestamp());
            var result = decoder.Decode(buffer.AsSpan(0, n), FlowAddress.FromV4(0x7F000001), 0, output);
            Assert.Equal(DecodeError.None, result.Error);
        }

        return times;
    }

    private static bool Internal(FlowAddress a) => a.V4 >> 24 == 10;

    [Fact]
    public void Its_datagrams_decode_with_our_decoder_to_current_realistic_flows_with_the_counted_observations()
    {
        using var collector = Collector(out int port);
        var run = Run(nfgen.Path, ["--to", $"127.0.0.1:{port}", "--flows", "2800", "--rate", "0", "--hosts", "500", "--seed", "5"], Timeout);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(100, run.Value("datagrams")); // 28 records per datagram
        Assert.Equal(2800, run.Value("flows"));
        Assert.Equal(0, run.Value("send_errors"));

        var decoder = new FlowDecoder();
        using var output = new FlowRecordBuffer();
        ReceiveAll(collector, 100, decoder, output);
        Assert.Equal(2800, output.Count);
        Assert.Equal(0, decoder.Sequences.TotalGaps);

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        int internalEnds = 0, outbound = 0, inbound = 0;
        var protocols = new HashSet<byte>();
        foreach (ref readonly var r in output.Records)
        {
            Assert.Equal((ushort)9, r.Version);
            Assert.True(Internal(r.SrcAddr) || Internal(r.DstAddr), $"neither end of {r.SrcAddr} -> {r.DstAddr} is internal");
            foreach (var external in new[] { r.SrcAddr, r.DstAddr }.Where(a => !Internal(a)))
            {
                Assert.Equal(0x64400000u, external.V4 & 0xFFC00000u); // peers are in 100.64.0.0/10
            }

            internalEnds += (Internal(r.SrcAddr) ? 1 : 0) + (Internal(r.DstAddr) ? 1 : 0);
            if (Internal(r.SrcAddr) && !Internal(r.DstAddr)) outbound++;
            if (!Internal(r.SrcAddr) && Internal(r.DstAddr)) inbound++;
            protocols.Add(r.Protocol);
            Assert.True(r.Packets >= 1 && r.Bytes >= 40 * r.Packets, $"packets {r.Packets}, bytes {r.Bytes}");
            Assert.InRange(r.EndMs, now - 120_000, now + 5_000); // current timestamps: ended within the last two minutes
            Assert.InRange(r.StartMs, r.EndMs - 61_000, r.EndMs);
        }

        Assert.Equal(run.Value("observations"), internalEnds);
        // Mostly internal -> external and back (44 % each by construction); the rest internal <-> internal or inbound.
        Assert.InRange(outbound, 2800 * 0.38, 2800 * 0.50);
        Assert.InRange(inbound, 2800 * 0.44, 2800 * 0.56);
        Assert.Equal(new HashSet<byte> { 6, 17 }, protocols);
    }

    [Fact]
    public void Host_popularity_follows_zipf_1_1_with_the_first_rank_at_10_0_0_1()
    {
        using var collector = Collector(out int port);
        const int hosts = 1000, flows = 28_000;
        var run = Run(nfgen.Path, ["--to", $"127.0.0.1:{port}", "--flows", $"{flows}", "--rate", "200000", "--hosts", $"{hosts}", "--seed", "11"], Timeout);
        Assert.True(run.ExitCode == 0, run.Stderr);

        var decoder = new FlowDecoder();
        using var output = new FlowRecordBuffer(flows);
        ReceiveAll(collector, flows / 28, decoder, output);
        var counts = new Dictionary<uint, int>();
        foreach (ref readonly var r in output.Records)
        {
            if (Internal(r.SrcAddr)) counts[r.SrcAddr.V4] = counts.GetValueOrDefault(r.SrcAddr.V4) + 1;
            if (Internal(r.DstAddr)) counts[r.DstAddr.V4] = counts.GetValueOrDefault(r.DstAddr.V4) + 1;
        }

        double total = counts.Values.Sum();
        double harmonic = Enumerable.Range(1, hosts).Sum(k => Math.Pow(k, -1.1));
        var ranked = counts.OrderByDescending(c => c.Value).ToList();
        Assert.Equal(0x0A000001u, ranked[0].Key); // rank 1 maps to 10.0.0.1
        // Rank 1 holds 1/H(1000, 1.1) of the ends (about 16 %); binomial noise at this size is about 1 %.
        Assert.InRange(ranked[0].Value / total, 0.9 / harmonic, 1.1 / harmonic);
        // Ranks 1 and 2: the ratio is 2^1.1 = 2.14.
        Assert.InRange(ranked[0].Value / (double)ranked[1].Value, 2.14 * 0.85, 2.14 * 1.15);
        double top10 = Enumerable.Range(1, 10).Sum(k => Math.Pow(k, -1.1)) / harmonic;
        Assert.InRange(ranked.Take(10).Sum(c => c.Value) / total, top10 - 0.03, top10 + 0.03);
        Assert.True(counts.Count <= hosts, $"{counts.Count} distinct internal hosts, more than --hosts {hosts}");
    }

    [Fact]
    public void Sweep_sends_every_host_exactly_once()
    {
        using var collector = Collector(out int port);
        const int hosts = 5_600;
        var run = Run(nfgen.Path, ["--to", $"127.0.0.1:{port}", "--sweep", "--flows", $"{hosts}", "--hosts", $"{hosts}", "--rate", "100000"], Timeout);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(hosts, run.Value("observations"));

        var decoder = new FlowDecoder();
        using var output = new FlowRecordBuffer(hosts);
        ReceiveAll(collector, hosts / 28, decoder, output);
        var seen = new HashSet<uint>();
        foreach (ref readonly var r in output.Records)
        {
            Assert.True(Internal(r.SrcAddr) && !Internal(r.DstAddr), $"{r.SrcAddr} -> {r.DstAddr} is not outbound");
            Assert.True(seen.Add(r.SrcAddr.V4), $"{r.SrcAddr} sent twice");
        }

        Assert.Equal(hosts, seen.Count);
    }

    [Fact]
    public async Task Pacing_spreads_the_flows_over_the_run_at_the_offered_rate()
    {
        using var collector = Collector(out int port);
        // 28,000 flows/s for 2 s = 2,000 datagrams, one every 1 ms.
        // A dedicated thread, running before nfgen starts: a pool thread can be injected late while sibling tests
        // block pool threads, and datagrams queued meanwhile would be stamped on arrival of the reader, not of the datagram.
        var receive = new TaskCompletionSource<List<long>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var reading = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            try
            {
                var decoder = new FlowDecoder();
                using var output = new FlowRecordBuffer(56_000);
                reading.Set();
                receive.SetResult(ReceiveAll(collector, 2_000, decoder, output));
            }
            catch (Exception e)
            {
                receive.SetException(e);
            }
        }) { IsBackground = true, Name = "nfgen-pacing-reader" };
        reader.Start();
        Assert.True(reading.Wait(TimeSpan.FromSeconds(30)), "the reader thread did not start");
        var clock = Stopwatch.StartNew();
        var run = Run(nfgen.Path, ["--to", $"127.0.0.1:{port}", "--rate", "28000", "--seconds", "2", "--hosts", "1000"], Timeout);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(56_000, run.Value("flows"));
        var times = await receive.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the socket's 10 s receive timeout fails it first

        // The run takes the time the rate implies (not a burst), within what a loaded machine's scheduler allows.
        Assert.InRange(run.Value("elapsed"), 1.95, 2.5);
        double span = Stopwatch.GetElapsedTime(times[0], times[^1]).TotalSeconds;
        Assert.InRange(span, 1.6, 3.0);
        // No quarter of the run carries more than twice its share: the rate is spread, not front-loaded.
        long first = times[0];
        double quarter = span / 4;
        for (int q = 0; q < 4; q++)
        {
            int inQuarter = times.Count(t => Math.Min(3, (int)(Stopwatch.GetElapsedTime(first, t).TotalSeconds / quarter)) == q);
            Assert.True(inQuarter <= 1_000, $"quarter {q} received {inQuarter} of 2,000 datagrams (elapsed {clock.Elapsed})");
        }
    }

    [Theory]
    [InlineData(new[] { "--rate", "10" }, "--to HOST:PORT is required")]
    [InlineData(new[] { "--to", "127.0.0.1:9", "--per-datagram", "31" }, "--per-datagram must be 1..30")]
    [InlineData(new[] { "--to", "nowhere" }, "'nowhere' is not a valid --to")]
    [InlineData(new[] { "--to", "127.0.0.1:9", "--bogus", "1" }, "unknown option --bogus")]
    [InlineData(new[] { "--to", "127.0.0.1:9", "--flows", "5", "--seconds", "1" }, "give --seconds or --flows, not both")]
    public void Bad_arguments_are_usage_errors_that_name_the_option(string[] args, string message)
    {
        var run = Run(nfgen.Path, args, Timeout);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
    }
}
