using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// One end of a flow as seen from a monitored host: the source host sees the record as outbound, the
/// destination host as inbound. A reference-free value (88 bytes) so batches are plain arrays.
/// </summary>
/// <remarks>
/// Packets and the duration are held as 32-bit values (saturating) to keep the struct small; a single flow
/// record never comes near 4 billion packets or 49 days. For ICMP the "destination port" slot holds
/// <c>type * 256 + code</c>, the NetFlow v5 convention, so ICMP echo requests can be recognised.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public readonly struct FlowObservation
{
    /// <summary>Creates an observation from its parts.</summary>
    public FlowObservation(
        FlowAddress host, FlowAddress peer, ushort localPort, ushort peerPort, byte protocol, ushort tcpFlags,
        bool outbound, bool peerIsInternal, ulong packets, ulong bytes, long startMs, long endMs)
        : this(host, peer, localPort, peerPort, protocol, tcpFlags, outbound, peerIsInternal, packets, bytes, startMs, endMs, 0)
    {
    }

    /// <summary>Creates an observation from its parts, with the peer's autonomous system (0 when not exported).</summary>
    public FlowObservation(
        FlowAddress host, FlowAddress peer, ushort localPort, ushort peerPort, byte protocol, ushort tcpFlags,
        bool outbound, bool peerIsInternal, ulong packets, ulong bytes, long startMs, long endMs, uint peerAs)
    {
        PeerAs = peerAs;
        Host = host;
        Peer = peer;
        Bytes = bytes;
        StartMs = startMs;
        _packets = packets > uint.MaxValue ? uint.MaxValue : (uint)packets;
        long d = endMs - startMs;
        _durationMs = d <= 0 ? 0u : d > uint.MaxValue ? uint.MaxValue : (uint)d;
        LocalPort = localPort;
        PeerPort = peerPort;
        TcpFlags = tcpFlags;
        Protocol = protocol;
        _bits = (byte)((outbound ? 1 : 0) | (peerIsInternal ? 2 : 0));
    }

    /// <summary>The monitored host this observation belongs to.</summary>
    public FlowAddress Host { get; }

    /// <summary>The other end of the flow.</summary>
    public FlowAddress Peer { get; }

    /// <summary>Bytes, upscaled by the sampling rate.</summary>
    public ulong Bytes { get; }

    /// <summary>Flow start, unix milliseconds UTC.</summary>
    public long StartMs { get; }

    /// <summary>The host's port (for ICMP inbound: type * 256 + code).</summary>
    public ushort LocalPort { get; }

    /// <summary>The peer's port (for ICMP outbound: type * 256 + code).</summary>
    public ushort PeerPort { get; }

    /// <summary>Cumulative TCP flags of the record (0 when not exported).</summary>
    public ushort TcpFlags { get; }

    /// <summary>IP protocol number.</summary>
    public byte Protocol { get; }

    /// <summary>The peer's autonomous system as exported (NetFlow 16/17, IPFIX 16/17), 0 when not sent.</summary>
    public uint PeerAs { get; }

    // Declared after the properties so the layout packs into 88 bytes (two 24-byte addresses first).
    private readonly byte _bits; // 1 = outbound, 2 = peer internal
    private readonly uint _packets;
    private readonly uint _durationMs;

    /// <summary>True when the host is the flow record's source.</summary>
    public bool Outbound => (_bits & 1) != 0;

    /// <summary>True when the peer lies in a monitored (internal) network.</summary>
    public bool PeerIsInternal => (_bits & 2) != 0;

    /// <summary>Packets, upscaled by the sampling rate (saturates at <see cref="uint.MaxValue"/>).</summary>
    public ulong Packets => _packets;

    /// <summary>Flow end, unix milliseconds UTC (never before <see cref="StartMs"/>).</summary>
    public long EndMs => StartMs + _durationMs;

    /// <summary>Flow duration in milliseconds.</summary>
    public long DurationMs => _durationMs;

    /// <summary>The observation of a record's source end (the host is <see cref="FlowRecord.SrcAddr"/>).</summary>
    public static FlowObservation FromOutbound(in FlowRecord r, bool peerInternal) =>
        new(r.SrcAddr, r.DstAddr, r.SrcPort, DestinationPortOrIcmp(in r), r.Protocol, r.TcpFlags,
            true, peerInternal, r.PacketsScaled, r.BytesScaled, r.StartMs, r.EndMs, r.Has(FlowFields.AsNumbers) ? r.DstAs : 0);

    /// <summary>The observation of a record's destination end (the host is <see cref="FlowRecord.DstAddr"/>).</summary>
    public static FlowObservation FromInbound(in FlowRecord r, bool peerInternal) =>
        new(r.DstAddr, r.SrcAddr, DestinationPortOrIcmp(in r), r.SrcPort, r.Protocol, r.TcpFlags,
            false, peerInternal, r.PacketsScaled, r.BytesScaled, r.StartMs, r.EndMs, r.Has(FlowFields.AsNumbers) ? r.SrcAs : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort DestinationPortOrIcmp(in FlowRecord r)
    {
        if ((r.Protocol == 1 || r.Protocol == 58) && r.DstPort == 0 && r.Has(FlowFields.Icmp))
        {
            return (ushort)((r.IcmpType << 8) | r.IcmpCode);
        }

        return r.DstPort;
    }
}
