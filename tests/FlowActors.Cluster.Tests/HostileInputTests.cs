using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Receiving;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

/// <summary>Hostile input through a real receiver (issue 10, findings 2, 3 and 4).</summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const long Day = 86_400_000;
    private readonly TempDirectory _dir = SqliteTempDirectory.Create();
    private readonly List<ClusterNode> _nodes = new();
    private readonly UdpClient _exporter = new(new IPEndPoint(IPAddress.Loopback, 0));

    private FlowActorsClusterOptions Options(params string[] allowlist) => new()
    {
        Receivers = [new ReceiverPortOptions { Port = 0, BindAddress = "127.0.0.1", Sockets = 1, ReceiveBufferBytes = 1 << 20 }],
        ExporterAllowlist = [.. allowlist],
        FlushInterval = TimeSpan.FromMilliseconds(50),
        IdleAdvanceInterval = TimeSpan.FromMilliseconds(500),
        ConsoleSink = false,
        AlertsJsonLinesPath = _dir.File("alerts.jsonl"),
        DataDirectory = _dir.Path,
        ConnectionString = "Data Source=" + _dir.File("receiver.db"),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _exporter.Dispose();
        foreach (var n in _nodes) await n.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<(ClusterNode Node, int Port)> StartAsync(FlowActorsClusterOptions options)
    {
        var node = await ClusterNode.StartAsync($"hostile{_nodes.Count + 1}", options, null);
        _nodes.Add(node);
        int port = 0;
        await Eventually.Assert(async () => port = Assert.Single((await StatsOf(node)).Ports).Port, TimeSpan.FromSeconds(30));
        return (node, port);
    }

    private static Task<ReceiverStats> StatsOf(ClusterNode node) =>
        node.Registry.Get<ReceiverMarker>().Ask<ReceiverStats>(GetReceiverStats.Instance, TimeSpan.FromSeconds(5));

    // NetFlow v9 with absolute millisecond times (152/153, as pmacct exports them): src, dst, ports, protocol, flags,
    // packets, bytes, start, end.
    private static readonly (ushort Type, ushort Length)[] Fields =
        [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (2, 4), (1, 4), (152, 8), (153, 8)];

    private static byte[] V9(IReadOnlyList<(string Src, string Dst, ushort Dport, byte Flags, long StartMs, long EndMs)> flows, uint sequence, long exportMs)
    {
        var d = new List<byte>();
        void U16(int v) { d.Add((byte)(v >> 8)); d.Add((byte)v); }
        void U32(long v) { U16((int)(v >> 16) & 0xFFFF); U16((int)v & 0xFFFF); }
        void U64(long v) { U32(v >> 32); U32(v & 0xFFFFFFFF); }
        U16(9); U16(1 + flows.Count); U32(100_000); U32(exportMs / 1000); U32(sequence); U32(1);
        U16(0); U16(8 + 4 * Fields.Length); U16(256); U16(Fields.Length);
        foreach (var (t, l) in Fields) { U16(t); U16(l); }
        int recordLength = Fields.Sum(f => f.Length);
        U16(256); U16(4 + recordLength * flows.Count);
        foreach (var f in flows)
        {
            d.AddRange(IPAddress.Parse(f.Src).GetAddressBytes());
            d.AddRange(IPAddress.Parse(f.Dst).GetAddressBytes());
            U16(40_000); U16(f.Dport); d.Add(6); d.Add(f.Flags); U32(1); U32(44); U64(f.StartMs); U64(f.EndMs);
        }

        return d.ToArray();
    }

    [Fact]
    public async Task After_a_record_starting_20_days_ahead_and_ending_in_the_past_a_real_scan_is_still_detected()
    {
        var (node, port) = await StartAsync(Options());
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // The poison of the finding, then nmap-like SYN probes to 15 ports about ten minutes ago (a short replay, so the
        // idle tick closes the window at once). The probes start 10 s into a detection window: 15 ports is exactly the
        // threshold, and a window boundary inside the 15 s of probes would split them (a clean-clone CI run sent them
        // across 05:55:00 and saw no alert).
        long windowMs = (long)new FlowActors.Detection.DetectionSettings().Window.TotalMilliseconds;
        long probeStart = (now - 10 * 60_000) / windowMs * windowMs + 10_000;
        var poison = V9([("10.0.0.5", "10.0.0.9", 22, 0x12, now + 20 * Day, now - 60 * 60_000)], 1, now);
        await _exporter.SendAsync(poison, poison.Length, "127.0.0.1", port);
        var probes = Enumerable.Range(1, 15)
            .Select(p => ("10.0.0.5", "10.0.0.9", (ushort)(1000 + p), (byte)0x02, probeStart + p * 1000, probeStart + p * 1000)).ToList();
        var scan = V9(probes, 2, now);
        await _exporter.SendAsync(scan, scan.Length, "127.0.0.1", port);

        try
        {
            await Eventually.Assert(() =>
            {
                var lines = File.Exists(_dir.File("alerts.jsonl")) ? File.ReadAllLines(_dir.File("alerts.jsonl")) : [];
                Assert.Contains(lines, l => l.Contains("\"port-scan\"") && l.Contains("\"10.0.0.5\"") && l.Contains("\"actor\""));
            }, TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is not Akka.Actor.AskTimeoutException)
        {
            // Seen once in a clean-clone CI run (not reproduced in 9 runs beside stress-ng): say where the scan went.
            var host = await node.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse("10.0.0.5")), TimeSpan.FromSeconds(5));
            var ports = (await StatsOf(node)).Ports;
            throw new Xunit.Sdk.XunitException($"no port-scan alert for 10.0.0.5 in 60 s; host: {host}; receiver: {string.Join("; ", ports)}; {e.Message}");
        }

        var state = await node.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse("10.0.0.5")), TimeSpan.FromSeconds(5));
        Assert.InRange(state.EventTimeMs, now - Day, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + ReceiveLoop.FutureToleranceMs);
        Assert.Equal(1, Assert.Single((await StatsOf(node)).Ports).RepairedTimes);
    }

    [Fact]
    public async Task Senders_outside_the_allowlist_are_listed_with_their_counts()
    {
        var (node, port) = await StartAsync(Options("192.0.2.0/24"));
        var datagram = V9([("10.0.0.5", "10.0.0.9", 22, 0x1B, 0, 0)], 1, 0);
        for (int i = 0; i < 3; i++) await _exporter.SendAsync(datagram, datagram.Length, "127.0.0.1", port);

        await Eventually.Assert(async () =>
        {
            var refused = Assert.Single((await StatsOf(node)).RefusedExporters);
            Assert.Equal(("127.0.0.1", 3L), (refused.Exporter, refused.Datagrams));
        }, TimeSpan.FromSeconds(15));
    }

    /// <summary>An IPFIX message of 20 valid templates (RFC 7011 §3.4.1), ids from <paramref name="firstId"/>.</summary>
    private static byte[] IpfixTemplates(ushort firstId, long exportMs)
    {
        var d = new List<byte>();
        void U16(int v) { d.Add((byte)(v >> 8)); d.Add((byte)v); }
        void U32(long v) { U16((int)(v >> 16) & 0xFFFF); U16((int)v & 0xFFFF); }
        const int fields = 7, templates = 20;
        int setLength = 4 + templates * (4 + 4 * fields);
        U16(10); U16(16 + setLength); U32(exportMs / 1000); U32(0); U32(0);
        U16(2); U16(setLength);
        for (int t = 0; t < templates; t++)
        {
            U16(firstId + t); U16(fields);
            U16(8); U16(4); U16(12); U16(4); U16(7); U16(2); U16(11); U16(2); U16(4); U16(1); U16(1); U16(4 + (t % 2) * 4); U16(2); U16(4);
        }

        return d.ToArray();
    }

    private static async Task Paced(ClusterNode node, long expected)
    {
        // Waits until the receiver has read what was sent, so the kernel's receive buffer never overflows.
        await Eventually.Assert(async () => Assert.Equal(expected, Assert.Single((await StatsOf(node)).Ports).Datagrams), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task After_a_template_flood_from_40_spoofed_sources_a_real_exporters_capture_decodes_completely()
    {
        var (node, port) = await StartAsync(Options());
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long sent = 0;
        for (int source = 1; source <= 40; source++)
        {
            using var spoofed = new UdpClient(new IPEndPoint(IPAddress.Parse($"127.0.1.{source}"), 0));
            for (int d = 0; d < 21; d++)
            {
                var message = IpfixTemplates((ushort)(256 + d * 20), now);
                await spoofed.SendAsync(message, message.Length, "127.0.0.1", port);
                sent++;
            }

            await Paced(node, sent);
        }

        Assert.Equal(840, sent);
        using (var reader = Protocols.Capture.PcapReader.Open(Path.Combine(AppContext.BaseDirectory, "testdata", "portscan-ipfix.pcap")))
        {
            while (reader.TryReadNext(out var d))
            {
                var payload = d.Payload.ToArray();
                await _exporter.SendAsync(payload, payload.Length, "127.0.0.1", port);
                if (++sent % 50 == 0) await Paced(node, sent);
            }
        }

        await Paced(node, sent);
        // A datagram is counted when read and its records once decoded: wait for the last one's records too.
        await Eventually.Assert(async () =>
            Assert.Equal(4001, Assert.Single((await StatsOf(node)).Ports).Records), // every record of the capture (tests/testdata/portscan-ipfix.truth.jsonl)
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20));
        Assert.Equal(0, Assert.Single((await StatsOf(node)).Ports).DroppedKernel);
        await Eventually.Assert(async () =>
        {
            var real = Assert.Single((await StatsOf(node)).Exporters, e => e.Exporter == "127.0.0.1");
            Assert.Equal((4001L, 0L), (real.Records, real.RecordsUndecodable));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Templates_of_an_exporter_whose_data_never_decoded_are_not_replicated()
    {
        var (a, portA) = await StartAsync(Options());
        var b = await ClusterNode.StartAsync("hostile-b", Options(), a.Address);
        _nodes.Add(b);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // 127.0.0.2 sends only a template (as a spoofed flood does); then 127.0.0.1 sends a template and its data.
        using (var spoofed = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0)))
        {
            var templateOnly = V9([], 1, now);
            await spoofed.SendAsync(templateOnly, templateOnly.Length, "127.0.0.1", portA);
            await Eventually.Assert(async () => Assert.Contains((await StatsOf(a)).Exporters, e => e.Exporter == "127.0.0.2"), TimeSpan.FromSeconds(15));
        }

        var real = V9([("10.0.0.5", "10.0.0.9", 443, 0x1B, now - 5_000, now - 4_000)], 1, now);
        await _exporter.SendAsync(real, real.Length, "127.0.0.1", portA);

        await Eventually.Assert(async () =>
        {
            var replicated = (await StatsOf(b)).Templates;
            Assert.Contains(replicated, t => t.Exporter == "127.0.0.1" && t.Replicated);
        }, TimeSpan.FromSeconds(30));
        Assert.DoesNotContain((await StatsOf(b)).Templates, t => t.Exporter == "127.0.0.2");
        Assert.Contains((await StatsOf(a)).Templates, t => t.Exporter == "127.0.0.1"); // the replicator's view on A
    }
}

/// <summary>Kernel drops read per socket (issue 10, finding 4).</summary>
public sealed class KernelDropsTests
{
    [Fact]
    public void The_drops_column_of_the_sockets_row_is_read_by_inode()
    {
        const string table =
            "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
            "  501: 0100007F:0807 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0\n" +
            "  502: 00000000:1283 00000000:0000 07 00000000:00034000 00:00000000 00000000     0        0 77123 2 0000000000000000 9617\n";

        Assert.True(KernelDrops.TryFind(table, "77123", out long drops));
        Assert.Equal(9617, drops);
        Assert.True(KernelDrops.TryFind(table, "4242", out drops));
        Assert.Equal(0, drops);
        Assert.False(KernelDrops.TryFind(table, "1", out _));
    }

    [Fact]
    public async Task A_burst_into_a_socket_nobody_reads_shows_as_kernel_drops()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc/net/udp is Linux's
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4096 };
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var drops = KernelDrops.For(receiver);
        Assert.NotNull(drops);
        Assert.True(drops!.TryRead(out long before));
        Assert.Equal(0, before);

        using var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var payload = new byte[1200];
        var target = (IPEndPoint)receiver.LocalEndPoint!;
        for (int i = 0; i < 500; i++) await sender.SendAsync(payload, payload.Length, target);

        Assert.True(drops.TryRead(out long after));
        Assert.True(after > 0, $"kernel drops {after}");
    }
}

/// <summary>The start-up warning for a receiver open to any sender (issue 10, finding 3).</summary>
public sealed class AllowlistWarningTests
{
    [Theory]
    [InlineData("0.0.0.0", new string[0], true)]
    [InlineData("::", new string[0], true)]
    [InlineData("192.0.2.10", new string[0], true)]
    [InlineData("0.0.0.0", new[] { "192.0.2.0/24" }, false)]
    [InlineData("127.0.0.1", new string[0], false)]
    [InlineData("::1", new string[0], false)]
    public void A_non_loopback_bind_without_an_allowlist_is_open_to_any_sender(string bind, string[] allowlist, bool open)
    {
        var port = new ReceiverPortOptions { Port = 2055, BindAddress = bind };

        Assert.Equal(open, FlowReceiverActor.IsOpenToAnySender(port, new ExporterAllowlist(allowlist)));
    }
}
