using System.Runtime.CompilerServices;

namespace FlowActors.Protocols.SFlow;

/// <summary>
/// Decodes sFlow v5 datagrams (sflow.org/sflow_version_5.txt): every flow sample becomes one <see cref="FlowRecord"/>
/// (one sampled packet, <see cref="FlowRecord.Version"/> = <see cref="FlowRecord.SFlowVersion"/>), counter samples
/// update <see cref="Agents"/> and <see cref="CountersReceived"/>, discarded-packet samples are counted.
/// </summary>
/// <remarks>
/// <para>sFlow carries no flow times, so a record's start and end are the receive time. Its exporter is the agent
/// address from the datagram (not the UDP source, which may be a relay), its observation domain the sub-agent id.</para>
/// <para>Never throws on bad input: a malformed sample is dropped and counted and decoding goes on with the next one,
/// since each sample carries its own length. Every loop is bounded by the bytes left. Not thread-safe: one decoder
/// per receiving thread.</para>
/// </remarks>
public sealed class SFlowV5Decoder
{
    private readonly SamplingPolicy _sampling;
    private readonly SequenceTracker _sequences;

    /// <summary>Creates a decoder.</summary>
    /// <param name="sampling">Resolves the sampling rate of each sample (exporter overrides and defaults).</param>
    /// <param name="sequences">Datagram sequence accounting per (agent, sub-agent), shared with the other decoders.</param>
    public SFlowV5Decoder(SamplingPolicy sampling, SequenceTracker sequences)
    {
        _sampling = sampling ?? throw new ArgumentNullException(nameof(sampling));
        _sequences = sequences ?? throw new ArgumentNullException(nameof(sequences));
    }

    /// <summary>Per-agent sample counts and latest interface counters (bounded).</summary>
    public SFlowAgentRegistry Agents { get; } = new();

    /// <summary>Cumulative decoder counters.</summary>
    public SFlowDecoderStats Stats { get; } = new();

    /// <summary>Called with each generic interface counters record as it is decoded (on the decoding thread).</summary>
    public SFlowCountersHandler? CountersReceived { get; set; }

    /// <summary>True when <paramref name="datagram"/> starts with the sFlow v5 version word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSFlowV5(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(datagram) == SFlowFormats.DatagramVersion;

    /// <summary>Decodes one datagram, appending a record per flow sample to <paramref name="output"/>.</summary>
    /// <param name="datagram">The UDP payload.</param>
    /// <param name="exporter">The datagram's source address; used as the agent when the datagram names none.</param>
    /// <param name="receivedAtUnixMs">Receive time (UTC ms), which becomes each record's start and end.</param>
    /// <param name="output">Where records go.</param>
    public DecodeResult Decode(ReadOnlySpan<byte> datagram, FlowAddress exporter, long receivedAtUnixMs, FlowRecordBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Stats.Datagrams++;
        if (datagram.Length < 4) return new DecodeResult(DecodeError.TooShort, 0, 0);

        var reader = new XdrReader(datagram);
        reader.TryReadUInt32(out uint version);
        if (version != SFlowFormats.DatagramVersion) return new DecodeResult(DecodeError.UnknownVersion, 0, 0);
        if (datagram.Length < SFlowDatagramHeader.MinimumLength) return new DecodeResult(DecodeError.TooShort, FlowRecord.SFlowVersion, 0);

        var headerError = SFlowDatagramHeader.TryRead(ref reader, out var header);
        if (headerError != DecodeError.None) return new DecodeResult(headerError, FlowRecord.SFlowVersion, 0);

        FlowAddress agent = header.Agent.IsNone ? exporter : header.Agent;
        // sFlow numbers datagrams per agent and sub-agent: each datagram advances the sequence by one.
        _sequences.Observe(new SequenceStreamKey(agent, FlowRecord.SFlowVersion, header.SubAgentId), header.SequenceNumber, 1, receivedAtUnixMs);
        var agentState = Agents.GetOrAdd(agent, receivedAtUnixMs);
        agentState.Datagrams++;

        int records = 0;
        var error = DecodeError.None;
        for (uint i = 0; i < header.SampleCount; i++)
        {
            // Each sample takes at least 8 bytes (format and length), so a huge count cannot spin.
            if (!reader.TryReadUInt32(out uint format) || !reader.TryReadOpaque(out var body))
            {
                error = First(error, DecodeError.Truncated);
                break;
            }

            switch (format)
            {
                case SFlowFormats.FlowSample:
                case SFlowFormats.FlowSampleExpanded:
                {
                    ref FlowRecord record = ref output.Append();
                    if (Unsafe.IsNullRef(ref record))
                    {
                        return new DecodeResult(DecodeError.OutputFull, FlowRecord.SFlowVersion, records);
                    }

                    if (SFlowFlowSample.TryDecode(body, format == SFlowFormats.FlowSampleExpanded, header, agent, receivedAtUnixMs, _sampling, Stats, ref record))
                    {
                        records++;
                        Stats.FlowSamples++;
                        agentState.FlowSamples++;
                    }
                    else
                    {
                        output.RemoveLast();
                        Stats.BadSamples++;
                        error = First(error, DecodeError.BadSample);
                    }

                    break;
                }
                case SFlowFormats.CountersSample:
                case SFlowFormats.CountersSampleExpanded:
                    Stats.CounterSamples++;
                    agentState.CounterSamples++;
                    if (!SFlowCounterSample.TryDecode(body, format == SFlowFormats.CountersSampleExpanded, header, receivedAtUnixMs, agentState, Stats, CountersReceived))
                    {
                        Stats.BadSamples++;
                        error = First(error, DecodeError.BadSample);
                    }

                    break;
                case SFlowFormats.DiscardedPacket:
                    if (SFlowDiscardedPacketSample.TryRead(body, out _))
                    {
                        Stats.DiscardedPacketSamples++;
                        agentState.DiscardedPacketSamples++;
                    }
                    else
                    {
                        Stats.BadSamples++;
                        error = First(error, DecodeError.BadSample);
                    }

                    break;
                default:
                    // Other enterprises' samples are legal and skipped whole, thanks to their length.
                    Stats.UnknownSamples++;
                    break;
            }
        }

        return new DecodeResult(error, FlowRecord.SFlowVersion, records);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static DecodeError First(DecodeError current, DecodeError next) => current == DecodeError.None ? next : current;
}
