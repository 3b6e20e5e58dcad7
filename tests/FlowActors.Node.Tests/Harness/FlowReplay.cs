using System.Net;
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
        // Paced: a burst of a few hundred datagrams can overrun a small loopback receive buffer.
        var sent = await CaptureReplay.SendFileAsync(capture, new IPEndPoint(IPAddress.Loopback, port), ReplayPacing.GentleBursts);
        Assert.Null(sent.Error);
        return (int)sent.Datagrams;
    }
}
