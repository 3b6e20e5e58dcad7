namespace FlowActors.Protocols.SFlow;

/// <summary>
/// One sFlow generic interface counters record (<c>if_counters</c>, counter format 1; the RFC 2233 ifTable and
/// ifXTable columns), with the agent that sent it.
/// </summary>
public readonly record struct SFlowInterfaceCounters
{
    /// <summary>Agent that sent the counters.</summary>
    public FlowAddress Agent { get; init; }
    /// <summary>Sub-agent that sent the counters.</summary>
    public uint SubAgentId { get; init; }
    /// <summary>Agent uptime (ms) in the datagram header.</summary>
    public uint AgentUptimeMs { get; init; }
    /// <summary>When the datagram was received, UTC ms since the Unix epoch (caller's clock).</summary>
    public long ReceivedAtMs { get; init; }
    /// <summary>Counter sample sequence number for its data source.</summary>
    public uint SampleSequence { get; init; }
    /// <summary>ifIndex.</summary>
    public uint IfIndex { get; init; }
    /// <summary>ifType (IANA ifType, 6 = ethernetCsmacd).</summary>
    public uint IfType { get; init; }
    /// <summary>ifSpeed in bits per second.</summary>
    public ulong IfSpeed { get; init; }
    /// <summary>Derived from MAU MIB: 0 unknown, 1 full-duplex, 2 half-duplex, 3 in, 4 out.</summary>
    public uint IfDirection { get; init; }
    /// <summary>Bit 0 ifAdminStatus up, bit 1 ifOperStatus up.</summary>
    public uint IfStatus { get; init; }
    /// <summary>ifHCInOctets.</summary>
    public ulong InOctets { get; init; }
    /// <summary>ifInUcastPkts.</summary>
    public uint InUnicastPackets { get; init; }
    /// <summary>ifInMulticastPkts.</summary>
    public uint InMulticastPackets { get; init; }
    /// <summary>ifInBroadcastPkts.</summary>
    public uint InBroadcastPackets { get; init; }
    /// <summary>ifInDiscards.</summary>
    public uint InDiscards { get; init; }
    /// <summary>ifInErrors.</summary>
    public uint InErrors { get; init; }
    /// <summary>ifInUnknownProtos.</summary>
    public uint InUnknownProtocols { get; init; }
    /// <summary>ifHCOutOctets.</summary>
    public ulong OutOctets { get; init; }
    /// <summary>ifOutUcastPkts.</summary>
    public uint OutUnicastPackets { get; init; }
    /// <summary>ifOutMulticastPkts.</summary>
    public uint OutMulticastPackets { get; init; }
    /// <summary>ifOutBroadcastPkts.</summary>
    public uint OutBroadcastPackets { get; init; }
    /// <summary>ifOutDiscards.</summary>
    public uint OutDiscards { get; init; }
    /// <summary>ifOutErrors.</summary>
    public uint OutErrors { get; init; }
    /// <summary>ifPromiscuousMode (1 = true, 2 = false).</summary>
    public uint PromiscuousMode { get; init; }

    /// <summary>Encoded size of the record body.</summary>
    internal const int Length = 88;

    /// <summary>True when ifOperStatus is up.</summary>
    public bool IsOperUp => (IfStatus & 2) != 0;

    internal static bool TryRead(ReadOnlySpan<byte> body, in SFlowDatagramHeader header, uint sampleSequence, long receivedAtMs,
        out SFlowInterfaceCounters counters)
    {
        var r = new XdrReader(body);
        counters = default;
        if (body.Length < Length) return false;
        r.TryReadUInt32(out uint ifIndex);
        r.TryReadUInt32(out uint ifType);
        r.TryReadUInt64(out ulong ifSpeed);
        r.TryReadUInt32(out uint direction);
        r.TryReadUInt32(out uint status);
        r.TryReadUInt64(out ulong inOctets);
        r.TryReadUInt32(out uint inUcast);
        r.TryReadUInt32(out uint inMcast);
        r.TryReadUInt32(out uint inBcast);
        r.TryReadUInt32(out uint inDiscards);
        r.TryReadUInt32(out uint inErrors);
        r.TryReadUInt32(out uint inUnknown);
        r.TryReadUInt64(out ulong outOctets);
        r.TryReadUInt32(out uint outUcast);
        r.TryReadUInt32(out uint outMcast);
        r.TryReadUInt32(out uint outBcast);
        r.TryReadUInt32(out uint outDiscards);
        r.TryReadUInt32(out uint outErrors);
        r.TryReadUInt32(out uint promiscuous);
        counters = new SFlowInterfaceCounters
        {
            Agent = header.Agent,
            SubAgentId = header.SubAgentId,
            AgentUptimeMs = header.UptimeMs,
            ReceivedAtMs = receivedAtMs,
            SampleSequence = sampleSequence,
            IfIndex = ifIndex,
            IfType = ifType,
            IfSpeed = ifSpeed,
            IfDirection = direction,
            IfStatus = status,
            InOctets = inOctets,
            InUnicastPackets = inUcast,
            InMulticastPackets = inMcast,
            InBroadcastPackets = inBcast,
            InDiscards = inDiscards,
            InErrors = inErrors,
            InUnknownProtocols = inUnknown,
            OutOctets = outOctets,
            OutUnicastPackets = outUcast,
            OutMulticastPackets = outMcast,
            OutBroadcastPackets = outBcast,
            OutDiscards = outDiscards,
            OutErrors = outErrors,
            PromiscuousMode = promiscuous,
        };
        return true;
    }
}
