namespace FlowActors.Protocols.SFlow;

/// <summary>
/// Structure numbers from the sFlow v5 specification (sflow.org/sflow_version_5.txt) and the dropped-packet
/// extension (sflow.org/sflow_drops.txt). A data format is <c>enterprise &lt;&lt; 12 | format</c>; all of these are enterprise 0.
/// </summary>
public static class SFlowFormats
{
    /// <summary>Datagram version this decoder reads.</summary>
    public const uint DatagramVersion = 5;

    /// <summary>Sample: flow_sample (compact source id and interfaces).</summary>
    public const uint FlowSample = 1;
    /// <summary>Sample: counters_sample.</summary>
    public const uint CountersSample = 2;
    /// <summary>Sample: flow_sample_expanded (32-bit source index and interfaces).</summary>
    public const uint FlowSampleExpanded = 3;
    /// <summary>Sample: counters_sample_expanded.</summary>
    public const uint CountersSampleExpanded = 4;
    /// <summary>Sample: discarded_packet (dropped-packet notification).</summary>
    public const uint DiscardedPacket = 5;

    /// <summary>Flow record: sampled_header (raw packet header).</summary>
    public const uint SampledHeader = 1;
    /// <summary>Flow record: sampled_ethernet.</summary>
    public const uint SampledEthernet = 2;
    /// <summary>Flow record: sampled_ipv4.</summary>
    public const uint SampledIPv4 = 3;
    /// <summary>Flow record: sampled_ipv6.</summary>
    public const uint SampledIPv6 = 4;
    /// <summary>Flow record: extended_switch (VLANs and priorities).</summary>
    public const uint ExtendedSwitch = 1001;
    /// <summary>Flow record: extended_router (next hop and prefix lengths).</summary>
    public const uint ExtendedRouter = 1002;
    /// <summary>Flow record: extended_gateway (BGP next hop, AS numbers, AS path).</summary>
    public const uint ExtendedGateway = 1003;

    /// <summary>Counter record: if_counters (generic interface counters, RFC 2233).</summary>
    public const uint GenericInterfaceCounters = 1;

    /// <summary>sampled_header protocol: Ethernet (ISO 802.3).</summary>
    public const uint HeaderEthernet = 1;
    /// <summary>sampled_header protocol: IPv4 with no link layer.</summary>
    public const uint HeaderIPv4 = 11;
    /// <summary>sampled_header protocol: IPv6 with no link layer.</summary>
    public const uint HeaderIPv6 = 12;
}
