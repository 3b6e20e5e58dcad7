namespace FlowActors.Protocols.SFlow;

/// <summary>
/// The flow records that accompany a sampled packet: sampled_ipv4 / sampled_ipv6 (for agents that send no raw
/// header) and the extended switch, router and gateway data (sFlow v5 spec, section "Flow Data").
/// </summary>
internal static class SFlowExtendedRecords
{
    private const int MaxAsPathSegments = 64;

    /// <summary>sampled_ipv4: length, protocol, src, dst, src port, dst port, TCP flags, ToS — 32 bytes.</summary>
    public static bool TryReadSampledIPv4(ReadOnlySpan<byte> body, ref FlowRecord record, out uint ipLength) =>
        TryReadSampledIp(body, addressLength: 4, ref record, out ipLength);

    /// <summary>sampled_ipv6: length, protocol, src, dst, src port, dst port, TCP flags, priority — 56 bytes.</summary>
    public static bool TryReadSampledIPv6(ReadOnlySpan<byte> body, ref FlowRecord record, out uint ipLength) =>
        TryReadSampledIp(body, addressLength: 16, ref record, out ipLength);

    /// <summary>sampled_ipv4 and sampled_ipv6 differ only in the address length (the last field is ToS or priority).</summary>
    private static bool TryReadSampledIp(ReadOnlySpan<byte> body, int addressLength, ref FlowRecord record, out uint ipLength)
    {
        var r = new XdrReader(body);
        ipLength = 0;
        if (body.Length < 24 + (2 * addressLength)) return false;
        r.TryReadUInt32(out ipLength);
        r.TryReadUInt32(out uint protocol);
        r.TryReadFixedOpaque(addressLength, out var src);
        r.TryReadFixedOpaque(addressLength, out var dst);
        r.TryReadUInt32(out uint srcPort);
        r.TryReadUInt32(out uint dstPort);
        r.TryReadUInt32(out uint tcpFlags);
        r.TryReadUInt32(out uint tosOrPriority);
        record.SrcAddr = addressLength == 4 ? FlowAddress.FromV4(src) : FlowAddress.FromV6(src);
        record.DstAddr = addressLength == 4 ? FlowAddress.FromV4(dst) : FlowAddress.FromV6(dst);
        SetTransport(ref record, protocol, srcPort, dstPort, tcpFlags, tosOrPriority);
        return true;
    }

    private static void SetTransport(ref FlowRecord record, uint protocol, uint srcPort, uint dstPort, uint tcpFlags, uint tos)
    {
        record.Protocol = (byte)protocol;
        record.Tos = (byte)tos;
        record.Present |= FlowFields.Tos;
        // The spec defines the port fields for TCP and UDP only.
        if (protocol is 6 or 17)
        {
            record.SrcPort = (ushort)srcPort;
            record.DstPort = (ushort)dstPort;
            record.Present |= FlowFields.Ports;
        }

        if (protocol == 6)
        {
            record.TcpFlags = (byte)tcpFlags;
            record.Present |= FlowFields.TcpFlags;
        }
    }

    /// <summary>extended_switch: src VLAN, src priority, dst VLAN, dst priority. Returns the VLAN to report, 0 if none.</summary>
    public static bool TryReadSwitch(ReadOnlySpan<byte> body, out ushort vlan)
    {
        var r = new XdrReader(body);
        vlan = 0;
        if (!r.TryReadUInt32(out uint srcVlan) || !r.TryReadUInt32(out _) || !r.TryReadUInt32(out uint dstVlan) || !r.TryReadUInt32(out _))
        {
            return false;
        }

        // The incoming VLAN identifies where the packet came from; 0 / 4095 are "none" in 802.1Q.
        if (srcVlan is > 0 and < 4095) vlan = (ushort)srcVlan;
        else if (dstVlan is > 0 and < 4095) vlan = (ushort)dstVlan;
        return true;
    }

    /// <summary>extended_router: next hop address, source and destination prefix lengths.</summary>
    public static bool TryReadRouter(ReadOnlySpan<byte> body, ref FlowRecord record)
    {
        var r = new XdrReader(body);
        if (!r.TryReadAddress(out var nextHop) || !r.TryReadUInt32(out uint srcMask) || !r.TryReadUInt32(out uint dstMask))
        {
            return false;
        }

        if (!nextHop.IsNone)
        {
            record.NextHop = nextHop;
            record.Present |= FlowFields.NextHop;
        }

        record.SrcMask = (byte)Math.Min(srcMask, 128u);
        record.DstMask = (byte)Math.Min(dstMask, 128u);
        record.Present |= FlowFields.Masks;
        return true;
    }

    /// <summary>
    /// extended_gateway: BGP next hop, the router's AS, source AS, source peer AS, destination AS path, communities, local
    /// preference. The destination AS is the last AS of the path.
    /// </summary>
    /// <remarks>
    /// An empty path or a zero source AS means the address is reached inside the router's own AS (the spec's
    /// "locally originated" case), so the router's AS is reported for it, as pmacct does.
    /// </remarks>
    public static bool TryReadGateway(ReadOnlySpan<byte> body, ref FlowRecord record, out FlowAddress bgpNextHop)
    {
        var r = new XdrReader(body);
        if (!r.TryReadAddress(out bgpNextHop)
            || !r.TryReadUInt32(out uint routerAs)
            || !r.TryReadUInt32(out uint srcAs)
            || !r.TryReadUInt32(out _) // src_peer_as
            || !r.TryReadUInt32(out uint segments))
        {
            return false;
        }

        if (segments > MaxAsPathSegments || segments * 8L > r.Remaining) return false;
        uint dstAs = 0;
        for (uint i = 0; i < segments; i++)
        {
            if (!r.TryReadUInt32(out _) || !r.TryReadUInt32(out uint count)) return false; // segment type (set / sequence), length
            if (count * 4L > r.Remaining) return false;
            if (count > 0)
            {
                r.TrySkip((int)(count - 1) * 4);
                r.TryReadUInt32(out dstAs);
            }
        }

        // Communities and local preference follow; they are read only to check the record is whole.
        if (!r.TryReadUInt32(out uint communities) || communities * 4L > r.Remaining) return false;
        r.TrySkip((int)communities * 4);
        if (!r.TryReadUInt32(out _)) return false;

        record.SrcAs = srcAs != 0 ? srcAs : routerAs;
        record.DstAs = dstAs != 0 ? dstAs : routerAs;
        record.Present |= FlowFields.AsNumbers;
        return true;
    }
}
