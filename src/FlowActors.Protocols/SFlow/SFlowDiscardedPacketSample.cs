namespace FlowActors.Protocols.SFlow;

/// <summary>
/// Checks a discarded_packet sample (format 5, sflow.org/sflow_drops.txt): sequence, source id type and index, drops,
/// input and output ifIndex, reason, then flow records describing the dropped packet. The drop is counted, not
/// turned into a flow record: the packet never reached its destination.
/// </summary>
internal static class SFlowDiscardedPacketSample
{
    /// <summary>Validates the sample's fixed part and record list. Returns the drop reason code.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out uint reason)
    {
        var r = new XdrReader(body);
        reason = 0;
        if (!r.TrySkip(24) || !r.TryReadUInt32(out reason) || !r.TryReadUInt32(out uint recordCount)) return false;
        for (uint i = 0; i < recordCount; i++)
        {
            if (!r.TryReadUInt32(out _) || !r.TryReadOpaque(out _)) return false;
        }

        return true;
    }
}
