namespace FlowActors.Protocols;

/// <summary>Identifies one sequence-number stream: an exporter, its protocol version and its observation domain / source id / sub-agent.</summary>
/// <param name="Exporter">Exporter (or sFlow agent) address.</param>
/// <param name="Version">Protocol version (5, 9, 10, <see cref="FlowRecord.SFlowVersion"/>).</param>
/// <param name="Domain">Observation domain, source id, engine type/id (v5) or sFlow sub-agent id.</param>
public readonly record struct SequenceStreamKey(FlowAddress Exporter, ushort Version, uint Domain);

/// <summary>Accounting of one sequence stream.</summary>
public sealed class SequenceStreamStats : ILruNode<SequenceStreamStats>
{
    internal SequenceStreamKey Key;

    private LruLinks<SequenceStreamStats> _lru;

    ref LruLinks<SequenceStreamStats> ILruNode<SequenceStreamStats>.Links(int list) => ref _lru;

    /// <summary>Sequence number expected next.</summary>
    public uint Expected { get; internal set; }
    /// <summary>Datagrams seen on this stream.</summary>
    public long Datagrams { get; internal set; }
    /// <summary>Units received (flows for v5, packets for v9, records for IPFIX, datagrams for sFlow).</summary>
    public long Received { get; internal set; }
    /// <summary>Units missing according to the sequence numbers (net of late arrivals).</summary>
    public long Lost { get; internal set; }
    /// <summary>Gaps observed (a jump forward).</summary>
    public long Gaps { get; internal set; }
    /// <summary>Datagrams that arrived with a sequence number behind the expected one.</summary>
    public long Reordered { get; internal set; }
    /// <summary>Times the stream restarted (a jump too large to be loss, usually an exporter reboot).</summary>
    public long Resets { get; internal set; }
    /// <summary>Last time (ms, caller's clock) this stream was seen; used to evict idle streams.</summary>
    public long LastSeenMs { get; internal set; }
}

/// <summary>
/// Counts expected vs received sequence numbers per stream: gaps, reorders and resets.
/// Bounded: at most <see cref="MaxStreams"/> streams are tracked; the least recently seen is evicted to make room.
/// </summary>
/// <remarks>
/// Sequence numbers wrap at 2^32 (RFC 3954 §5.1, RFC 7011 §3.1, sFlow v5). A forward jump larger than
/// <see cref="ResetThreshold"/> or a backward one larger than it is treated as an exporter restart, not as loss.
/// </remarks>
public sealed class SequenceTracker
{
    // O(1): the least recently observed stream is evicted first.
    private readonly LruTable<SequenceStreamKey, SequenceStreamStats> _streams;

    /// <summary>Creates a tracker.</summary>
    public SequenceTracker(int maxStreams = 16_384, uint resetThreshold = 1_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreams, 1);
        _streams = new(maxStreams, static k => new SequenceStreamStats { Key = k }, static s => s.Key);
        ResetThreshold = resetThreshold;
    }

    /// <summary>Most streams tracked at once.</summary>
    public int MaxStreams => _streams.MaxCount;

    /// <summary>Jumps at least this large (either way) count as a restart.</summary>
    public uint ResetThreshold { get; }

    /// <summary>Streams evicted to stay within <see cref="MaxStreams"/>.</summary>
    public long Evicted => _streams.Evicted;

    /// <summary>Total gaps over all streams.</summary>
    public long TotalGaps { get; private set; }

    /// <summary>Total lost units over all streams.</summary>
    public long TotalLost { get; private set; }

    /// <summary>Total reordered datagrams over all streams.</summary>
    public long TotalReordered { get; private set; }

    /// <summary>Number of streams tracked.</summary>
    public int Count => _streams.Count;

    /// <summary>A snapshot view of the streams (allocates; for operators and tests).</summary>
    public IReadOnlyDictionary<SequenceStreamKey, SequenceStreamStats> Streams => _streams.Items;

    /// <summary>
    /// Records a datagram whose header carries <paramref name="sequence"/> and which holds <paramref name="units"/> units
    /// (the amount by which the exporter advances the sequence for it).
    /// </summary>
    /// <returns>The stream's statistics after the update.</returns>
    public SequenceStreamStats Observe(in SequenceStreamKey key, uint sequence, uint units, long nowMs)
    {
        var s = _streams.GetOrAdd(key, out bool isNew);
        if (isNew) s.Expected = sequence;

        s.Datagrams++;
        s.Received += units;
        s.LastSeenMs = nowMs;
        uint ahead = unchecked(sequence - s.Expected);
        if (ahead == 0)
        {
            s.Expected = unchecked(sequence + units);
        }
        else if (ahead < ResetThreshold)
        {
            s.Gaps++;
            s.Lost += ahead;
            TotalGaps++;
            TotalLost += ahead;
            s.Expected = unchecked(sequence + units);
        }
        else if (unchecked(s.Expected - sequence) <= ResetThreshold)
        {
            // Behind the expected number: a late datagram that fills part of an earlier gap.
            s.Reordered++;
            TotalReordered++;
            long fill = Math.Min(units, s.Lost);
            s.Lost -= fill;
            TotalLost -= fill;
        }
        else
        {
            s.Resets++;
            s.Expected = unchecked(sequence + units);
        }

        return s;
    }
}
