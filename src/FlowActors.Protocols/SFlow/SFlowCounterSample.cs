namespace FlowActors.Protocols.SFlow;

/// <summary>Decodes counters_sample (format 2) and counters_sample_expanded (format 4).</summary>
internal static class SFlowCounterSample
{
    /// <summary>Reads the sample's counter records, storing generic interface counters with the agent and handing them to <paramref name="handler"/>.</summary>
    public static bool TryDecode(
        ReadOnlySpan<byte> body,
        bool expanded,
        in SFlowDatagramHeader header,
        long receivedAtMs,
        SFlowAgentState agent,
        SFlowDecoderStats stats,
        SFlowCountersHandler? handler)
    {
        var r = new XdrReader(body);
        // sequence, source id (compact: one word; expanded: type and index), record count
        if (!r.TryReadUInt32(out uint sequence) || !r.TrySkip(expanded ? 8 : 4) || !r.TryReadUInt32(out uint recordCount))
        {
            return false;
        }

        for (uint i = 0; i < recordCount; i++)
        {
            if (!r.TryReadUInt32(out uint format) || !r.TryReadOpaque(out var data)) return false;
            if (format != SFlowFormats.GenericInterfaceCounters)
            {
                stats.OtherCounterRecords++;
                continue;
            }

            if (!SFlowInterfaceCounters.TryRead(data, header, sequence, receivedAtMs, out var counters)) return false;
            stats.InterfaceCounterRecords++;
            agent.Store(counters);
            handler?.Invoke(counters);
        }

        return true;
    }
}

/// <summary>Receives each generic interface counters record as it is decoded.</summary>
public delegate void SFlowCountersHandler(in SFlowInterfaceCounters counters);
