namespace FlowActors.Protocols.SFlow;

/// <summary>The sFlow v5 datagram header (sFlow v5 spec, <c>struct sample_datagram_v5</c>).</summary>
/// <param name="Agent">IP address of the sampling agent; <see cref="FlowAddress.None"/> when the agent sent type 0 (unknown).</param>
/// <param name="SubAgentId">Distinguishes several sub-agents (line cards, ...) sharing one agent address.</param>
/// <param name="SequenceNumber">Datagram sequence number, per agent and sub-agent.</param>
/// <param name="UptimeMs">Agent uptime in milliseconds when the datagram was sent.</param>
/// <param name="SampleCount">Samples announced in the datagram.</param>
public readonly record struct SFlowDatagramHeader(
    FlowAddress Agent,
    uint SubAgentId,
    uint SequenceNumber,
    uint UptimeMs,
    uint SampleCount)
{
    /// <summary>Shortest possible datagram: version, IPv4 agent, sub-agent, sequence, uptime, sample count.</summary>
    public const int MinimumLength = 28;

    /// <summary>Reads the header after the version word.</summary>
    internal static DecodeError TryRead(ref XdrReader reader, out SFlowDatagramHeader header)
    {
        header = default;
        if (!reader.TryReadUInt32(out uint addressType)) return DecodeError.TooShort;
        if (addressType > 2) return DecodeError.BadSample;
        if (!reader.TryReadAddressBody(addressType, out FlowAddress agent)) return DecodeError.Truncated;
        if (!reader.TryReadUInt32(out uint subAgent)
            || !reader.TryReadUInt32(out uint sequence)
            || !reader.TryReadUInt32(out uint uptime)
            || !reader.TryReadUInt32(out uint samples))
        {
            return DecodeError.Truncated;
        }

        header = new SFlowDatagramHeader(agent, subAgent, sequence, uptime, samples);
        return DecodeError.None;
    }
}
