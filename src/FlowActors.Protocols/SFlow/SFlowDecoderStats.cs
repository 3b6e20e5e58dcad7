namespace FlowActors.Protocols.SFlow;

/// <summary>Cumulative counters of one <see cref="SFlowV5Decoder"/>. Updated by the decoding thread only.</summary>
public sealed class SFlowDecoderStats
{
    /// <summary>Datagrams passed to the decoder.</summary>
    public long Datagrams { get; internal set; }
    /// <summary>Flow samples decoded into records.</summary>
    public long FlowSamples { get; internal set; }
    /// <summary>Counter samples read.</summary>
    public long CounterSamples { get; internal set; }
    /// <summary>Generic interface counter records read.</summary>
    public long InterfaceCounterRecords { get; internal set; }
    /// <summary>Discarded-packet samples (packets the device dropped and reported).</summary>
    public long DiscardedPacketSamples { get; internal set; }
    /// <summary>Samples of an unknown format or enterprise, skipped whole.</summary>
    public long UnknownSamples { get; internal set; }
    /// <summary>Flow records of an unknown format or enterprise, skipped.</summary>
    public long UnknownFlowRecords { get; internal set; }
    /// <summary>Counter records other than generic interface counters, skipped.</summary>
    public long OtherCounterRecords { get; internal set; }
    /// <summary>Samples dropped because they were malformed.</summary>
    public long BadSamples { get; internal set; }
    /// <summary>Sampled headers in which no IP header could be found (non-IP traffic, unknown header protocol, cut short).</summary>
    public long HeadersWithoutIp { get; internal set; }
}
