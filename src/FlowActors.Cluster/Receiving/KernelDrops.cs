using System.Globalization;
using System.Net.Sockets;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Reads how many datagrams the kernel dropped for one UDP socket (its receive buffer was full), from the
/// <c>drops</c> column of <c>/proc/net/udp</c> and <c>/proc/net/udp6</c>, found by the socket's inode. Linux only;
/// elsewhere <see cref="TryRead"/> says false. Read on the stats tick (once a second), never per datagram.
/// </summary>
internal sealed class KernelDrops
{
    private readonly string _inode;

    private KernelDrops(string inode) => _inode = inode;

    /// <summary>The reader for <paramref name="socket"/>, or null when its inode cannot be found (not Linux, no /proc).</summary>
    public static KernelDrops? For(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            long fd = socket.SafeHandle.DangerousGetHandle().ToInt64();
            // /proc/self/fd/N links to "socket:[INODE]".
            var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal) || !target.EndsWith(']')) return null;
            return new KernelDrops(target["socket:[".Length..^1]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>The socket's drop count so far (cumulative, as the kernel keeps it).</summary>
    public bool TryRead(out long drops)
    {
        drops = 0;
        try
        {
            return TryFind(File.ReadAllText("/proc/net/udp"), _inode, out drops) || TryFind(File.ReadAllText("/proc/net/udp6"), _inode, out drops);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Finds the row of socket <paramref name="inode"/> in the text of <c>/proc/net/udp</c> and reads its last column,
    /// <c>drops</c> (columns: sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    /// ref pointer drops).
    /// </summary>
    internal static bool TryFind(string table, string inode, out long drops)
    {
        drops = 0;
        foreach (var line in table.Split('\n'))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length < 13 || cols[9] != inode) continue;
            return long.TryParse(cols[^1], NumberStyles.None, CultureInfo.InvariantCulture, out drops);
        }

        return false;
    }
}
