using System.Buffers.Binary;

namespace FlowActors.Protocols.SFlow;

/// <summary>
/// Reads addresses, ports, protocol, ToS, VLAN and ICMP type/code out of the first bytes of a sampled packet
/// (sFlow <c>sampled_header</c>): Ethernet with 802.1Q / QinQ tags and MPLS labels, IPv4, IPv6 with extension
/// headers, TCP, UDP, SCTP, ICMP and ICMPv6.
/// </summary>
/// <remarks>
/// Agents cut the header at 128 bytes by default, so every layer may end early: whatever could be read is kept
/// and the rest stays absent. Loops over tags, labels and extension headers are bounded.
/// </remarks>
internal static class SampledHeaderParser
{
    private const int MaxVlanTags = 4;
    private const int MaxMplsLabels = 8;
    private const int MaxIPv6ExtensionHeaders = 8;

    /// <summary>What the header revealed beyond the fields written into the record.</summary>
    internal struct Result
    {
        /// <summary>Length of the IP packet from its own header (IPv4 total length, IPv6 40 + payload length); 0 when unknown.</summary>
        public uint IpLength;
        /// <summary>Outermost VLAN id from an 802.1Q / 802.1ad tag, when one was present.</summary>
        public ushort Vlan;
        /// <summary>True when <see cref="Vlan"/> was read.</summary>
        public bool HasVlan;
        /// <summary>True when an IP header was read (addresses, protocol and ToS are set).</summary>
        public bool HasIp;
    }

    /// <summary>Parses a sampled header of protocol <paramref name="headerProtocol"/> into <paramref name="record"/>.</summary>
    public static Result Parse(uint headerProtocol, ReadOnlySpan<byte> header, ref FlowRecord record)
    {
        var result = default(Result);
        switch (headerProtocol)
        {
            case SFlowFormats.HeaderEthernet:
                ParseEthernet(header, ref record, ref result);
                break;
            case SFlowFormats.HeaderIPv4:
                ParseIPv4(header, ref record, ref result);
                break;
            case SFlowFormats.HeaderIPv6:
                ParseIPv6(header, ref record, ref result);
                break;
        }

        return result;
    }

    private static void ParseEthernet(ReadOnlySpan<byte> frame, ref FlowRecord record, ref Result result)
    {
        if (frame.Length < 14) return;
        int offset = 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset));
        offset += 2;

        // 802.1Q (0x8100), 802.1ad S-tag (0x88A8) and the pre-standard QinQ 0x9100: the outermost tag is the VLAN the
        // sampling port saw, so that one is reported.
        for (int tags = 0; tags < MaxVlanTags && etherType is 0x8100 or 0x88A8 or 0x9100; tags++)
        {
            if (frame.Length < offset + 4) return;
            if (!result.HasVlan)
            {
                result.Vlan = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset)) & 0x0FFF);
                result.HasVlan = true;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2));
            offset += 4;
        }

        var payload = frame.Slice(offset);
        switch (etherType)
        {
            case 0x0800:
                ParseIPv4(payload, ref record, ref result);
                break;
            case 0x86DD:
                ParseIPv6(payload, ref record, ref result);
                break;
            case 0x8847: // MPLS unicast
            case 0x8848: // MPLS multicast
                ParseMpls(payload, ref record, ref result);
                break;
        }
    }

    private static void ParseMpls(ReadOnlySpan<byte> data, ref FlowRecord record, ref Result result)
    {
        int offset = 0;
        for (int labels = 0; labels < MaxMplsLabels; labels++)
        {
            if (data.Length < offset + 4) return;
            bool bottom = (data[offset + 2] & 0x01) != 0;
            offset += 4;
            if (bottom)
            {
                // No protocol field after the stack: the IP version nibble tells.
                if (data.Length <= offset) return;
                int version = data[offset] >> 4;
                if (version == 4) ParseIPv4(data.Slice(offset), ref record, ref result);
                else if (version == 6) ParseIPv6(data.Slice(offset), ref record, ref result);
                return;
            }
        }
    }

    private static void ParseIPv4(ReadOnlySpan<byte> ip, ref FlowRecord record, ref Result result)
    {
        if (ip.Length < 20 || (ip[0] >> 4) != 4) return;
        int ihl = (ip[0] & 0x0F) * 4;
        if (ihl < 20) return;

        record.Tos = ip[1];
        record.Protocol = ip[9];
        record.SrcAddr = FlowAddress.FromV4(ip.Slice(12));
        record.DstAddr = FlowAddress.FromV4(ip.Slice(16));
        record.Present |= FlowFields.Tos;
        result.HasIp = true;
        result.IpLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2));

        // Only the first fragment carries the transport header.
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6)) & 0x1FFF) != 0) return;
        if (ip.Length <= ihl) return;
        ParseTransport(ip[9], ip.Slice(ihl), isV6: false, ref record);
    }

    private static void ParseIPv6(ReadOnlySpan<byte> ip, ref FlowRecord record, ref Result result)
    {
        if (ip.Length < 40 || (ip[0] >> 4) != 6) return;

        record.Tos = (byte)(((ip[0] & 0x0F) << 4) | (ip[1] >> 4)); // traffic class
        record.SrcAddr = FlowAddress.FromV6(ip.Slice(8));
        record.DstAddr = FlowAddress.FromV6(ip.Slice(24));
        record.Present |= FlowFields.Tos;
        result.HasIp = true;
        ushort payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(4));
        result.IpLength = payloadLength == 0 ? 0u : 40u + payloadLength; // 0 = jumbogram: length unknown here

        byte next = ip[6];
        int offset = 40;
        for (int hops = 0; hops < MaxIPv6ExtensionHeaders; hops++)
        {
            switch (next)
            {
                case 0:   // hop-by-hop options
                case 43:  // routing
                case 60:  // destination options
                case 135: // mobility
                case 139: // HIP
                case 140: // shim6
                    if (ip.Length < offset + 2)
                    {
                        record.Protocol = next;
                        return;
                    }

                    next = ip[offset];
                    offset += (ip[offset + 1] + 1) * 8;
                    continue;
                case 51: // authentication header: length in 4-byte units, minus 2
                    if (ip.Length < offset + 2)
                    {
                        record.Protocol = next;
                        return;
                    }

                    next = ip[offset];
                    offset += (ip[offset + 1] + 2) * 4;
                    continue;
                case 44: // fragment
                {
                    if (ip.Length < offset + 8)
                    {
                        record.Protocol = next;
                        return;
                    }

                    byte fragmentNext = ip[offset];
                    bool first = (BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(offset + 2)) & 0xFFF8) == 0;
                    offset += 8;
                    next = fragmentNext;
                    if (!first)
                    {
                        record.Protocol = next;
                        return;
                    }

                    continue;
                }
            }

            break;
        }

        record.Protocol = next;
        if (offset < ip.Length)
        {
            ParseTransport(next, ip.Slice(offset), isV6: true, ref record);
        }
    }

    private static void ParseTransport(byte protocol, ReadOnlySpan<byte> l4, bool isV6, ref FlowRecord record)
    {
        switch (protocol)
        {
            case 6: // TCP
                if (l4.Length >= 4) SetPorts(l4, ref record);
                if (l4.Length >= 14)
                {
                    record.TcpFlags = l4[13];
                    record.Present |= FlowFields.TcpFlags;
                }

                break;
            case 17:  // UDP
            case 132: // SCTP
            case 136: // UDP-Lite
                if (l4.Length >= 4) SetPorts(l4, ref record);
                break;
            case 1: // ICMP
                if (!isV6 && l4.Length >= 2) SetIcmp(l4, ref record);
                break;
            case 58: // ICMPv6
                if (isV6 && l4.Length >= 2) SetIcmp(l4, ref record);
                break;
        }
    }

    private static void SetPorts(ReadOnlySpan<byte> l4, ref FlowRecord record)
    {
        record.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
        record.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(2));
        record.Present |= FlowFields.Ports;
    }

    private static void SetIcmp(ReadOnlySpan<byte> l4, ref FlowRecord record)
    {
        record.IcmpType = l4[0];
        record.IcmpCode = l4[1];
        record.Present |= FlowFields.Icmp;
    }
}
