using System.Runtime.CompilerServices;

namespace FlowActors.Protocols;

/// <summary>Which optional fields of a <see cref="FlowRecord"/> the exporter actually sent.</summary>
[Flags]
public enum FlowFields : uint
{
    /// <summary>Nothing optional present.</summary>
    None = 0,
    /// <summary><see cref="FlowRecord.SrcPort"/> and <see cref="FlowRecord.DstPort"/>.</summary>
    Ports = 1 << 0,
    /// <summary><see cref="FlowRecord.TcpFlags"/>.</summary>
    TcpFlags = 1 << 1,
    /// <summary><see cref="FlowRecord.StartMs"/> and <see cref="FlowRecord.EndMs"/>.</summary>
    Times = 1 << 2,
    /// <summary><see cref="FlowRecord.InputInterface"/>.</summary>
    InputInterface = 1 << 3,
    /// <summary><see cref="FlowRecord.OutputInterface"/>.</summary>
    OutputInterface = 1 << 4,
    /// <summary><see cref="FlowRecord.SrcAs"/> and <see cref="FlowRecord.DstAs"/>.</summary>
    AsNumbers = 1 << 5,
    /// <summary><see cref="FlowRecord.NextHop"/>.</summary>
    NextHop = 1 << 6,
    /// <summary><see cref="FlowRecord.Tos"/>.</summary>
    Tos = 1 << 7,
    /// <summary><see cref="FlowRecord.Vlan"/>.</summary>
    Vlan = 1 << 8,
    /// <summary><see cref="FlowRecord.IcmpType"/> and <see cref="FlowRecord.IcmpCode"/>.</summary>
    Icmp = 1 << 9,
    /// <summary><see cref="FlowRecord.Direction"/>.</summary>
    Direction = 1 << 10,
    /// <summary><see cref="FlowRecord.FlowEndReason"/>.</summary>
    FlowEndReason = 1 << 11,
    /// <summary><see cref="FlowRecord.SrcMask"/> and <see cref="FlowRecord.DstMask"/>.</summary>
    Masks = 1 << 12,
    /// <summary><see cref="FlowRecord.SamplerId"/>.</summary>
    SamplerId = 1 << 13,
    /// <summary><see cref="FlowRecord.FirewallEvent"/> (Cisco ASA NSEL, IPFIX firewallEvent).</summary>
    FirewallEvent = 1 << 14,
}

/// <summary>Flow direction relative to the exporting interface (IPFIX IE 61, NetFlow v9 field 61).</summary>
public enum FlowDirection : byte
{
    /// <summary>Observed on ingress.</summary>
    Ingress = 0,
    /// <summary>Observed on egress.</summary>
    Egress = 1,
}

/// <summary>
/// One decoded flow: the canonical record every decoder produces and every later stage consumes.
/// </summary>
/// <remarks>
/// A mutable struct on purpose: decoders fill records in place inside a pooled <see cref="FlowRecordBuffer"/>
/// (one field at a time from a precompiled template plan), so no record is ever allocated or copied twice.
/// Consumers should pass it by <c>in</c>/<c>ref readonly</c>. Fields the exporter did not send are zero
/// and their bit in <see cref="Present"/> is clear.
/// </remarks>
public struct FlowRecord
{
    /// <summary>Address of the device that exported the flow (the datagram's source, or the sFlow agent).</summary>
    public FlowAddress Exporter;
    /// <summary>Source address.</summary>
    public FlowAddress SrcAddr;
    /// <summary>Destination address.</summary>
    public FlowAddress DstAddr;
    /// <summary>Next-hop router address.</summary>
    public FlowAddress NextHop;
    /// <summary>Packets as exported (before upscaling by <see cref="SamplingRate"/>).</summary>
    public ulong Packets;
    /// <summary>Bytes (layer 3) as exported (before upscaling by <see cref="SamplingRate"/>).</summary>
    public ulong Bytes;
    /// <summary>Flow start, UTC, milliseconds since the Unix epoch.</summary>
    public long StartMs;
    /// <summary>Flow end, UTC, milliseconds since the Unix epoch.</summary>
    public long EndMs;
    /// <summary>NetFlow v9 source id, IPFIX observation domain id, or sFlow sub-agent id.</summary>
    public uint ObservationDomain;
    /// <summary>1-in-N sampling rate that applied to this flow (1 when unsampled or unknown).</summary>
    public uint SamplingRate;
    /// <summary>Input interface index (SNMP ifIndex).</summary>
    public uint InputInterface;
    /// <summary>Output interface index (SNMP ifIndex).</summary>
    public uint OutputInterface;
    /// <summary>Source autonomous system.</summary>
    public uint SrcAs;
    /// <summary>Destination autonomous system.</summary>
    public uint DstAs;
    /// <summary>Sampler id the sampling rate was taken from (v9 field 48 / IPFIX 302), if any.</summary>
    public uint SamplerId;
    /// <summary>Which optional fields were present.</summary>
    public FlowFields Present;
    /// <summary>Source transport port.</summary>
    public ushort SrcPort;
    /// <summary>Destination transport port.</summary>
    public ushort DstPort;
    /// <summary>TCP control bits (IPFIX allows 16 bits; NetFlow sends 8).</summary>
    public ushort TcpFlags;
    /// <summary>802.1Q VLAN id.</summary>
    public ushort Vlan;
    /// <summary>Export protocol: 5 or 9 (NetFlow), 10 (IPFIX), or <see cref="SFlowVersion"/> (105) for sFlow v5, whose own version number would clash with NetFlow v5.</summary>
    public ushort Version;
    /// <summary>IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...).</summary>
    public byte Protocol;
    /// <summary>IP type of service / traffic class.</summary>
    public byte Tos;
    /// <summary>ICMP type.</summary>
    public byte IcmpType;
    /// <summary>ICMP code.</summary>
    public byte IcmpCode;
    /// <summary>Flow direction.</summary>
    public FlowDirection Direction;
    /// <summary>IPFIX flowEndReason (IE 136): 1 idle, 2 active, 3 end detected, 4 forced, 5 lack of resources.</summary>
    public byte FlowEndReason;
    /// <summary>Source prefix length.</summary>
    public byte SrcMask;
    /// <summary>Destination prefix length.</summary>
    public byte DstMask;
    /// <summary>Firewall event (NSEL 233 / IPFIX 233): 1 created, 2 deleted, 3 denied, ...</summary>
    public byte FirewallEvent;

    /// <summary>Version number used in <see cref="Version"/> for sFlow v5 records.</summary>
    public const ushort SFlowVersion = 105;

    /// <summary>Packets upscaled by the sampling rate (an estimate of what was on the wire).</summary>
    public readonly ulong PacketsScaled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Packets * (SamplingRate == 0 ? 1UL : SamplingRate);
    }

    /// <summary>Bytes upscaled by the sampling rate (an estimate of what was on the wire).</summary>
    public readonly ulong BytesScaled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Bytes * (SamplingRate == 0 ? 1UL : SamplingRate);
    }

    /// <summary>Flow start as a UTC <see cref="DateTime"/>.</summary>
    public readonly DateTime Start => DateTime.UnixEpoch.AddMilliseconds(StartMs);

    /// <summary>Flow end as a UTC <see cref="DateTime"/>.</summary>
    public readonly DateTime End => DateTime.UnixEpoch.AddMilliseconds(EndMs);

    /// <summary>True when every bit of <paramref name="fields"/> is present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Has(FlowFields fields) => (Present & fields) == fields;
}
