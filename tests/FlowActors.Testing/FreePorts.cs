using System.Net;
using System.Net.Sockets;

namespace FlowActors.Testing;

/// <summary>Free loopback ports for a test's sockets (asked of the kernel, then released for the node to bind).</summary>
public static class FreePorts
{
    private static readonly HashSet<int> Handed = new();

    /// <summary>A TCP port free on 127.0.0.1, not handed out before in this process.</summary>
    public static int Tcp()
    {
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            lock (Handed)
            {
                if (Handed.Add(port)) return port;
            }
        }
    }

    /// <summary>A UDP port free on 127.0.0.1, not handed out before in this process.</summary>
    public static int Udp()
    {
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            lock (Handed)
            {
                if (Handed.Add(port)) return port;
            }
        }
    }
}
