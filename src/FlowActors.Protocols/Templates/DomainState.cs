namespace FlowActors.Protocols.Templates;

/// <summary>How an exporter numbers its NetFlow v9 packets or IPFIX messages.</summary>
internal enum SequenceNumbering : byte
{
    /// <summary>Not yet seen two consecutive messages that tell.</summary>
    Unknown = 0,
    /// <summary>As the RFC says: v9 counts packets (RFC 3954 §5.1), IPFIX data records sent before this message (RFC 7011 §3.1).</summary>
    Rfc,
    /// <summary>softflowd's IPFIX: flow data records sent up to and including this message; options records not counted.</summary>
    CountsCurrentMessage,
    /// <summary>NetFlow v9 exporters that count data records, as v5 does, instead of packets.</summary>
    CountsRecords,
}

/// <summary>
/// What an exporter announced for one observation domain / source id: sampling rates (per sampler id and
/// domain-wide), the IPFIX system init time (IE 160) that relative times count from, and sequence bookkeeping.
/// </summary>
internal sealed class DomainState : ILruNode<DomainState>
{
    public DomainKey Key;

    private LruLinks<DomainState> _lru;

    public ref LruLinks<DomainState> Links(int list) => ref _lru;

    private uint[] _samplerIds = [];
    private uint[] _samplerRates = [];
    private int _samplers;

    /// <summary>Unix ms the exporting process started (IPFIX IE 160 from an options record); -1 when unknown.</summary>
    public long SystemInitMs = -1;

    /// <summary>Rate from an options record without a sampler id (v9 34/35 with system/interface scope, IPFIX 305/306); 0 when none.</summary>
    public uint DefaultRate;

    public long LastSeenMs;

    public SequenceNumbering SequenceMode;
    public bool HasPrevious;
    public uint PreviousSequence;
    public uint PreviousAllRecords;

    /// <summary>Samplers known.</summary>
    public int SamplerCount => _samplers;

    /// <summary>Rate announced for <paramref name="samplerId"/>, 0 when unknown.</summary>
    public uint RateFor(uint samplerId)
    {
        for (int i = 0; i < _samplers; i++)
        {
            if (_samplerIds[i] == samplerId) return _samplerRates[i];
        }

        return 0;
    }

    /// <summary>Records a sampler's rate; beyond <paramref name="max"/> samplers the oldest entry is replaced.</summary>
    public void SetSamplerRate(uint samplerId, uint rate, int max)
    {
        for (int i = 0; i < _samplers; i++)
        {
            if (_samplerIds[i] == samplerId)
            {
                _samplerRates[i] = rate;
                return;
            }
        }

        if (_samplers == _samplerIds.Length)
        {
            if (_samplers >= max)
            {
                // Full: shift out the oldest sampler. Rare (a misbehaving exporter), bounded.
                Array.Copy(_samplerIds, 1, _samplerIds, 0, _samplers - 1);
                Array.Copy(_samplerRates, 1, _samplerRates, 0, _samplers - 1);
                _samplers--;
            }
            else
            {
                int size = Math.Min(max, Math.Max(4, _samplerIds.Length * 2));
                Array.Resize(ref _samplerIds, size);
                Array.Resize(ref _samplerRates, size);
            }
        }

        _samplerIds[_samplers] = samplerId;
        _samplerRates[_samplers] = rate;
        _samplers++;
    }
}

/// <summary>Bounded table of <see cref="DomainState"/>s; the least recently seen domain is evicted to make room.</summary>
internal sealed class DomainStateTable(int maxDomains)
{
    private readonly LruTable<DomainKey, DomainState> _domains = new(maxDomains, static k => new DomainState { Key = k }, static s => s.Key);

    public int Count => _domains.Count;

    public long Evicted => _domains.Evicted;

    public DomainState GetOrAdd(in DomainKey key, long nowMs)
    {
        var state = _domains.GetOrAdd(key, out _);
        state.LastSeenMs = nowMs;
        return state;
    }

    public bool TryGet(in DomainKey key, out DomainState state) => _domains.TryGet(key, out state!);
}
