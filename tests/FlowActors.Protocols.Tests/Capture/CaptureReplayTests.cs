using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FlowActors.Protocols.Capture;
using static FlowActors.Protocols.Tests.Capture.PacketBuilder;

namespace FlowActors.Protocols.Tests.Capture;

/// <summary>The one capture replay (flowctl replay, the node's demo, the tests' FlowReplay), against a real socket on loopback.</summary>
public sealed class CaptureReplayTests : IDisposable
{
    private const uint Seconds = 1_795_883_405;
    private readonly Socket _collector = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public CaptureReplayTests()
    {
        _collector.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _collector.ReceiveTimeout = 10_000;
    }

    private IPEndPoint Collector => (IPEndPoint)_collector.LocalEndPoint!;

    public void Dispose() => _collector.Dispose();

    /// <summary>A capture whose record <c>i</c> carries the payload <c>[i, i, i]</c> at <paramref name="offsetsMs"/>[i] after the first.</summary>
    private static PcapReader Capture(params int[] offsetsMs) => new(new MemoryStream(CaptureBytes(offsetsMs)));

    /// <summary>The bytes of the capture <see cref="Capture"/> reads.</summary>
    private static byte[] CaptureBytes(params int[] offsetsMs)
    {
        var file = CaptureFileBuilder.Pcap(linkType: 1);
        for (int i = 0; i < offsetsMs.Length; i++)
        {
            byte b = (byte)i;
            file.Record(Seconds + (uint)(offsetsMs[i] / 1000), (uint)(offsetsMs[i] % 1000) * 1000,
                Ethernet(0x0800, IPv4("192.0.2.10", "127.0.0.1", 17, Udp(40000, 2055, [b, b, b]))));
        }

        return file.ToArray();
    }

    private List<byte[]> Receive(int count)
    {
        var got = new List<byte[]>();
        var buffer = new byte[64];
        for (int i = 0; i < count; i++) got.Add(buffer.AsSpan(0, _collector.Receive(buffer)).ToArray());
        return got;
    }

    [Fact]
    public async Task Every_datagram_is_sent_in_capture_order_and_counted()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var reader = Capture(0, 0, 0, 0, 0);

        var result = await CaptureReplay.SendAsync(reader, sender, Collector, ReplayPacing.AsFastAsPossible);

        Assert.Equal(new ReplayResult(5, 15, null), result);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => new[] { (byte)i, (byte)i, (byte)i }), Receive(5));
    }

    [Fact]
    public async Task A_connected_socket_sends_without_a_target()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Connect(Collector);
        using var reader = Capture(0, 0);

        var result = await CaptureReplay.SendAsync(reader, sender, target: null, ReplayPacing.AsFastAsPossible);

        Assert.Equal(2, result.Datagrams);
        Assert.Equal(2, Receive(2).Count);
    }

    [Fact]
    public async Task Capture_timing_keeps_the_gaps_divided_by_the_speed()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var reader = Capture(0, 200, 400);
        var clock = Stopwatch.StartNew();

        var result = await CaptureReplay.SendAsync(reader, sender, Collector, ReplayPacing.CaptureTiming(2));

        // 400 ms of capture at twice its speed: the last datagram is not sent before 200 ms (no upper bound: a loaded machine is slower).
        Assert.True(clock.ElapsedMilliseconds >= 195, $"replayed in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(3, result.Datagrams);
        Assert.Equal(3, Receive(3).Count);
    }

    [Fact]
    public async Task Bursts_pause_after_every_burst()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var reader = Capture(0, 0, 0, 0);
        var clock = Stopwatch.StartNew();

        var result = await CaptureReplay.SendAsync(reader, sender, Collector, new ReplayPacing(BurstSize: 2, BurstPause: TimeSpan.FromMilliseconds(100)));

        Assert.True(clock.ElapsedMilliseconds >= 195, $"replayed in {clock.ElapsedMilliseconds} ms"); // two pauses of 100 ms
        Assert.Equal(4, result.Datagrams);
    }

    [Fact]
    public async Task A_capture_cut_short_reports_the_reader_error_after_sending_what_it_read()
    {
        var whole = CaptureFileBuilder.Pcap(linkType: 1)
            .Record(Seconds, 0, Ethernet(0x0800, IPv4("192.0.2.10", "127.0.0.1", 17, Udp(40000, 2055, [7, 7, 7]))))
            .Record(Seconds, 1, Ethernet(0x0800, IPv4("192.0.2.10", "127.0.0.1", 17, Udp(40000, 2055, [8, 8, 8]))))
            .ToArray();
        using var reader = new PcapReader(new MemoryStream(whole[..^5]));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        var result = await CaptureReplay.SendAsync(reader, sender, Collector, ReplayPacing.AsFastAsPossible);

        Assert.Equal(1, result.Datagrams);
        Assert.NotNull(result.Error);
        Assert.Equal([7, 7, 7], Receive(1)[0]);
    }

    [Fact]
    public async Task Several_files_leave_from_one_source_port_in_order_with_a_result_each()
    {
        using var dir = new TempFiles();
        string first = dir.Write("first.pcap", CaptureBytes(0, 0, 0));
        string second = dir.Write("second.pcap", CaptureBytes(0, 0));

        var results = await CaptureReplay.SendFilesAsync([first, second], Collector, ReplayPacing.AsFastAsPossible);

        Assert.Equal([new ReplayResult(3, 9, null), new ReplayResult(2, 6, null)], results);
        // One exporter to the collector: a receiver with several SO_REUSEPORT sockets picks one by the source address
        // and port, so the second capture cannot overtake the first in another receive loop.
        var senders = new HashSet<EndPoint>();
        var payloads = new List<byte>();
        var buffer = new byte[64];
        for (int i = 0; i < 5; i++)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = _collector.ReceiveFrom(buffer, ref from);
            senders.Add(from);
            payloads.Add(buffer[0]);
            Assert.Equal(3, n);
        }

        Assert.Single(senders);
        Assert.Equal([0, 1, 2, 0, 1], payloads);
    }

    /// <summary>Capture files written to a temporary folder, removed on dispose.</summary>
    private sealed class TempFiles : IDisposable
    {
        private readonly string _path = Directory.CreateTempSubdirectory("flowactors-replay-").FullName;

        public string Write(string name, byte[] capture)
        {
            string file = Path.Combine(_path, name);
            File.WriteAllBytes(file, capture);
            return file;
        }

        public void Dispose() => Directory.Delete(_path, recursive: true);
    }

    [Fact]
    public void Capture_timing_needs_a_positive_finite_speed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReplayPacing.CaptureTiming(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReplayPacing.CaptureTiming(double.PositiveInfinity));
    }
}
