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
        var target = new IPEndPoint(IPAddress.Loopback, port);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var reader = PcapReader.Open(capture);
        int sent = 0;
        while (reader.TryReadNext(out var datagram))
        {
            await socket.SendToAsync(datagram.Payload, SocketFlags.None, target);
            // Paced: a burst of a few hundred datagrams can overrun a small loopback receive buffer.
            if (++sent % 16 == 0) await Task.Delay(2);
        }

        Assert.Null(reader.Error);
        return sent;
    }
}
