namespace FlowActors.Protocols.SFlow;

/// <summary>
/// Decodes a flow_sample (format 1) or flow_sample_expanded (format 3) into one <see cref="FlowRecord"/>: one sampled
/// packet, scaled by the sample's sampling rate.
/// </summary>
internal static class SFlowFlowSample
{
    /// <summary>Interface value meaning "unknown" in the input/output fields.</summary>
    private const uint UnknownInterface = 0;

    /// <summary>Interface value meaning "no interface": the packet came from or went to the device itself.</summary>
    private const uint NoInterface = 0x3FFF_FFFF;

    /// <summary>Fills <paramref name="record"/> from a flow sample body. Returns false when the sample is malformed.</summary>
    public static bool TryDecode(
        ReadOnlySpan<byte> body,
        bool expanded,
        in SFlowDatagramHeader header,
        FlowAddress agent,
        long receivedAtMs,
        SamplingPolicy sampling,
        SFlowDecoderStats stats,
        ref FlowRecord record)
    {
        var r = new XdrReader(body);
        uint rate, inputFormat, input, outputFormat, output, recordCount;
        if (expanded)
        {
            // sequence, source id type, source id index, rate, pool, drops, input format, input, output format, output, records
            if (body.Length < 44) return false;
            r.TrySkip(12);
            r.TryReadUInt32(out rate);
            r.TrySkip(8);
            r.TryReadUInt32(out inputFormat);
            r.TryReadUInt32(out input);
            r.TryReadUInt32(out outputFormat);
            r.TryReadUInt32(out output);
        }
        else
        {
            // sequence, source id, rate, pool, drops, input, output, records; interfaces carry a 2-bit format on top
            if (body.Length < 32) return false;
            r.TrySkip(8);
            r.TryReadUInt32(out rate);
            r.TrySkip(8);
            r.TryReadUInt32(out uint inputWord);
            r.TryReadUInt32(out uint outputWord);
            inputFormat = inputWord >> 30;
            input = inputWord & 0x3FFF_FFFF;
            outputFormat = outputWord >> 30;
            output = outputWord & 0x3FFF_FFFF;
        }

        r.TryReadUInt32(out recordCount);

        record.Version = FlowRecord.SFlowVersion;
        record.Exporter = agent;
        record.ObservationDomain = header.SubAgentId;
        record.Packets = 1;
        record.SamplingRate = sampling.Resolve(agent, rate);
        record.StartMs = receivedAtMs;
        record.EndMs = receivedAtMs;
        record.Present = FlowFields.Times;

        // Format 0 is a single ifIndex, where 0 means unknown and 0x3FFFFFFF "no interface" (traffic that starts or ends
        // in the device itself). Format 1 on output means "discarded" and format 2 "several interfaces": none of these
        // names one interface, so the field stays absent.
        if (inputFormat == 0 && input != UnknownInterface && input != NoInterface)
        {
            record.InputInterface = input;
            record.Present |= FlowFields.InputInterface;
        }

        if (outputFormat == 0 && output != UnknownInterface && output != NoInterface)
        {
            record.OutputInterface = output;
            record.Present |= FlowFields.OutputInterface;
        }

        uint frameLength = 0;
        uint ipLength = 0;
        bool haveIp = false;
        ushort headerVlan = 0, switchVlan = 0;
        FlowAddress bgpNextHop = default;

        // Each record takes at least 8 bytes, so the loop ends when the body does whatever the count claims.
        for (uint i = 0; i < recordCount; i++)
        {
            if (!r.TryReadUInt32(out uint format) || !r.TryReadOpaque(out var data)) return false;
            switch (format)
            {
                case SFlowFormats.SampledHeader:
                {
                    var h = new XdrReader(data);
                    if (!h.TryReadUInt32(out uint protocol) || !h.TryReadUInt32(out frameLength) || !h.TryReadUInt32(out _)
                        || !h.TryReadOpaque(out var packet))
                    {
                        return false;
                    }

                    if (haveIp)
                    {
                        break; // a second header in one sample: the first one describes the packet
                    }

                    var parsed = SampledHeaderParser.Parse(protocol, packet, ref record);
                    if (parsed.HasIp)
                    {
                        haveIp = true;
                        ipLength = parsed.IpLength;
                    }
                    else
                    {
                        stats.HeadersWithoutIp++;
                    }

                    if (parsed.HasVlan) headerVlan = parsed.Vlan;
                    break;
                }
                case SFlowFormats.SampledEthernet:
                    // length, src MAC, dst MAC, type: only the frame length matters here
                    if (data.Length < 4) return false;
                    if (frameLength == 0) frameLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case SFlowFormats.SampledIPv4:
                case SFlowFormats.SampledIPv6:
                {
                    if (haveIp) break;
                    bool ok = format == SFlowFormats.SampledIPv4
                        ? SFlowExtendedRecords.TryReadSampledIPv4(data, ref record, out ipLength)
                        : SFlowExtendedRecords.TryReadSampledIPv6(data, ref record, out ipLength);
                    if (!ok) return false;
                    haveIp = true;
                    break;
                }
                case SFlowFormats.ExtendedSwitch:
                    if (!SFlowExtendedRecords.TryReadSwitch(data, out switchVlan)) return false;
                    break;
                case SFlowFormats.ExtendedRouter:
                    if (!SFlowExtendedRecords.TryReadRouter(data, ref record)) return false;
                    break;
                case SFlowFormats.ExtendedGateway:
                    if (!SFlowExtendedRecords.TryReadGateway(data, ref record, out bgpNextHop)) return false;
                    break;
                default:
                    stats.UnknownFlowRecords++;
                    break;
            }
        }

        // The switch's own VLAN (extended_switch) is authoritative: it is known even for untagged access ports.
        ushort vlan = switchVlan != 0 ? switchVlan : headerVlan;
        if (vlan != 0)
        {
            record.Vlan = vlan;
            record.Present |= FlowFields.Vlan;
        }

        // The IGP next hop (extended_router) is what NetFlow calls the next hop; the BGP one is the fallback.
        if (!record.Has(FlowFields.NextHop) && !bgpNextHop.IsNone)
        {
            record.NextHop = bgpNextHop;
            record.Present |= FlowFields.NextHop;
        }

        record.Bytes = ipLength != 0 ? ipLength : frameLength;
        return true;
    }
}
