using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FlowActors.Cluster.Receiving;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

/// <summary>
/// The io_uring receive ring on real loopback sockets. Where the kernel refuses io_uring (not Linux, or
/// <c>kernel.io_uring_disabled</c> set) the tests check that the refusal is explained, which is what the receive loop
/// logs before it falls back to ordinary receives.
/// </summary>
public sealed class UdpReceiveRingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static bool IoUringExpected =>
        OperatingSystem.IsLinux() && File.Exists("/proc/sys/kernel/io_uring_disabled") && File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim() == "0";

    private static Socket Bound()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 * 1024 * 1024 };
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private static UdpReceiveRing? Create(Socket socket, int buffers, int bufferBytes)
    {
        var ring = UdpReceiveRing.TryCreate(socket, buffers, bufferBytes, out string? reason);
        if (ring is null)
        {
            Assert.False(IoUringExpected, $"io_uring is enabled here but the ring was refused: {reason}");
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }
        return ring;
    }

    /// <summary>Takes datagrams until <paramref name="count"/> arrived; returns each payload's first 4 bytes as an index, and its sender.</summary>
    private static List<(int Index, FlowAddress Sender, int Length, bool Truncated)> TakeAll(UdpReceiveRing ring, int count)
    {
        var got = new List<(int, FlowAddress, int, bool)>();
        var clock = Stopwatch.StartNew();
        while (got.Count < count && clock.Elapsed < Timeout)
        {
            if (!ring.TryTake(out var datagram, out var sender, out int buffer, out bool truncated))
            {
                ring.Wait(50);
                continue;
            }
            got.Add((BitConverter.ToInt32(datagram[..4]), ReceiveLoop.ExporterOf(sender), datagram.Length, truncated));
            ring.Release(buffer);
        }
        return got;
    }

    private static void Send(Socket to, int count, int length, int from = 0)
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var payload = new byte[length];
        for (int i = from; i < from + count; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            sender.SendTo(payload, to.LocalEndPoint!);
        }
    }

    [Fact]
    public void Datagrams_arrive_whole_with_their_sender_and_every_one_once()
    {
        using var socket = Bound();
        using var ring = Create(socket, buffers: 256, bufferBytes: 2048);
        if (ring is null) return;

        Send(socket, 500, length: 1400); // more than the ring holds: buffers are released and reused
        var got = TakeAll(ring, 500);

        Assert.Equal(Enumerable.Range(0, 500).ToHashSet(), got.Select(g => g.Index).ToHashSet());
        Assert.Equal(500, got.Count);
        Assert.All(got, g => Assert.Equal(FlowAddress.Parse("127.0.0.2"), g.Sender));
        Assert.All(got, g => Assert.Equal(1400, g.Length));
        Assert.DoesNotContain(got, g => g.Truncated);
        Assert.Equal(2048 - 44, ring.MaxDatagram);
    }

    [Fact]
    public void A_datagram_longer_than_a_buffer_is_reported_cut()
    {
        using var socket = Bound();
        using var ring = Create(socket, buffers: 64, bufferBytes: 1024);
        if (ring is null) return;

        Send(socket, 1, length: 1500);
        Send(socket, 1, length: ring.MaxDatagram, from: 1);
        var got = TakeAll(ring, 2);

        Assert.Equal(2, got.Count);
        Assert.True(got.Single(g => g.Index == 0).Truncated);
        Assert.Equal(ring.MaxDatagram, got.Single(g => g.Index == 0).Length);
        Assert.False(got.Single(g => g.Index == 1).Truncated);
    }

    [Fact]
    public async Task The_kernel_drains_the_socket_into_the_ring_while_no_thread_takes_and_a_full_ring_loses_nothing_the_socket_kept()
    {
        using var socket = Bound();
        using var ring = Create(socket, buffers: 64, bufferBytes: 2048);
        if (ring is null) return;

        // Nobody takes: the kernel alone moves datagrams from the socket into the ring's 64 buffers.
        Send(socket, 40, length: 1000);
        await Eventually.Assert(() => Assert.Equal(0, socket.Available), Timeout);

        // More than the ring holds: the rest waits in the socket, and the ring is re-armed once buffers come back.
        Send(socket, 200, length: 1000, from: 40);
        var got = TakeAll(ring, 240);
        Assert.Equal(Enumerable.Range(0, 240).ToHashSet(), got.Select(g => g.Index).ToHashSet());
        Assert.True(ring.Exhausted > 0, "the 64-buffer ring never ran out of buffers");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(65_536)]
    public void Buffer_counts_are_powers_of_two_the_kernel_accepts(int buffers)
    {
        using var socket = Bound();
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpReceiveRing.TryCreate(socket, buffers, 2048, out _));
    }
}
