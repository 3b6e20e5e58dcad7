using System.Net;
using System.Net.Sockets;
using FlowActors.Protocols.Capture;

namespace FlowActors.Node.Tests.Harness;

/// <summary>Sends the export datagrams of a capture to a UDP port on loopback, as the exporter did.</summary>
public static class FlowReplay
{
    /// <summary>Path of a capture copied next to the tests.</summary>
    public static string Capture(string name) => Path.Combine(AppContext.BaseDirectory, "testdata", name);

    /// <summary>Replays every UDP payload of <paramref name="capture"/> to 127.0.0.1:<paramref name="port"/>; returns how many were sent.</summary>
    public static async Task<int> SendAsync(string capture, int port)
    {
        using var exporter = new ReplayExporter(port);
        return await exporter.SendAsync(capture);
    }
}

/// <summary>
/// One exporter on loopback: every capture it sends leaves from the same socket, so the node applies them in the order
/// sent (separate sockets can reach separate receive loops, and the later capture's records could be applied first).
/// </summary>
public sealed class ReplayExporter(int port) : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _target = new(IPAddress.Loopback, port);

    /// <summary>Replays every UDP payload of <paramref name="capture"/>; returns how many were sent.</summary>
    public async Task<int> SendAsync(string capture)
    {
        // Paced: a burst of a few hundred datagrams can overrun a small loopback receive buffer.
        using var reader = PcapReader.Open(capture);
        var sent = await CaptureReplay.SendAsync(reader, _socket, _target, ReplayPacing.GentleBursts);
        Assert.Null(sent.Error);
        return (int)sent.Datagrams;
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}
