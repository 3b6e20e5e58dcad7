using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlowActors.Protocols.Capture;

/// <summary>How fast <see cref="CaptureReplay"/> sends a capture's datagrams.</summary>
/// <param name="Speed">0: not timed; 1: at the capture's own timing; 2: twice as fast, and so on.</param>
/// <param name="BurstSize">Pause after every this many datagrams (0: never), so a burst cannot overrun a small receive buffer.</param>
/// <param name="BurstPause">How long each pause after a burst lasts.</param>
public sealed record ReplayPacing(double Speed = 0, int BurstSize = 0, TimeSpan BurstPause = default)
{
    /// <summary>As fast as the socket takes them.</summary>
    public static readonly ReplayPacing AsFastAsPossible = new();

    /// <summary>
    /// Bursts of 16 datagrams with 2 ms between them: a capture of a few hundred datagrams replayed over loopback
    /// never overruns a default-sized socket receive buffer, even on a small, loaded machine.
    /// </summary>
    public static readonly ReplayPacing GentleBursts = new(BurstSize: 16, BurstPause: TimeSpan.FromMilliseconds(2));

    /// <summary>At the capture's own timing divided by <paramref name="speed"/> (greater than 0).</summary>
    public static ReplayPacing CaptureTiming(double speed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(speed);
        if (!double.IsFinite(speed)) throw new ArgumentOutOfRangeException(nameof(speed), speed, "speed must be finite");
        return new ReplayPacing(Speed: speed);
    }
}

/// <summary>What one replay sent.</summary>
/// <param name="Datagrams">Datagrams sent.</param>
/// <param name="Bytes">Payload bytes sent.</param>
/// <param name="Error">Why the capture could not be read to its end (the reader's <see cref="PcapReader.Error"/>), or null.</param>
public readonly record struct ReplayResult(long Datagrams, long Bytes, string? Error);

/// <summary>
/// Sends the export datagrams (UDP payloads) of a pcap/pcapng capture to a collector, in capture order, paced by a
/// <see cref="ReplayPacing"/>. The one replay used by <c>flowctl replay</c>, the node's <c>--demo</c> and the tests.
/// </summary>
public static class CaptureReplay
{
    /// <summary>
    /// Sends every datagram <paramref name="reader"/> yields through <paramref name="socket"/>: to <paramref name="target"/>,
    /// or, when it is null, to the address the socket is connected to.
    /// </summary>
    public static async Task<ReplayResult> SendAsync(PcapReader reader, Socket socket, EndPoint? target, ReplayPacing pacing, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(pacing);
        var clock = Stopwatch.StartNew();
        long firstUs = -1, datagrams = 0, bytes = 0;
        while (reader.TryReadNext(out var d))
        {
            if (pacing.Speed > 0)
            {
                if (firstUs < 0) firstUs = d.TimestampUs;
                double aheadMs = (d.TimestampUs - firstUs) / 1000.0 / pacing.Speed - clock.Elapsed.TotalMilliseconds;
                if (aheadMs >= 1) await Task.Delay(TimeSpan.FromMilliseconds(aheadMs), cancellationToken).ConfigureAwait(false);
            }

            if (target is null) await socket.SendAsync(d.Payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            else await socket.SendToAsync(d.Payload, SocketFlags.None, target, cancellationToken).ConfigureAwait(false);
            datagrams++;
            bytes += d.Payload.Length;
            if (pacing.BurstSize > 0 && datagrams % pacing.BurstSize == 0) await Task.Delay(pacing.BurstPause, cancellationToken).ConfigureAwait(false);
        }

        return new ReplayResult(datagrams, bytes, reader.Error);
    }

    /// <summary>Replays the capture at <paramref name="path"/> to <paramref name="target"/> from a socket of its own.</summary>
    public static async Task<ReplayResult> SendFileAsync(string path, EndPoint target, ReplayPacing pacing, CancellationToken cancellationToken = default) =>
        (await SendFilesAsync([path], target, pacing, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Replays the captures at <paramref name="paths"/>, in order, to <paramref name="target"/> from one socket of their
    /// own; returns what each sent.
    /// </summary>
    /// <remarks>
    /// One socket makes the captures one exporter to the collector, as they were when one exporter recorded them. A
    /// collector with several receive sockets (SO_REUSEPORT) picks the socket by the sender's address and port, so
    /// captures sent from separate sockets can reach separate receive loops, and a later capture's records for a host
    /// can then be applied before an earlier one's: with no allowed lateness those earlier records count as late.
    /// </remarks>
    public static async Task<IReadOnlyList<ReplayResult>> SendFilesAsync(IReadOnlyList<string> paths, EndPoint target, ReplayPacing pacing, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(target);
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var results = new List<ReplayResult>(paths.Count);
        foreach (var path in paths)
        {
            using var reader = PcapReader.Open(path);
            results.Add(await SendAsync(reader, socket, target, pacing, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }
}
