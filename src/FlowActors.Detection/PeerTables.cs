using System.Runtime.CompilerServices;
using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// Per-window table of keys (a peer, or a port) each with a distinct set: ports per target, local ports per
/// source, targets per port. Capped; when full the entry with the smallest set is replaced, so the heavy
/// hitters that matter for scans survive while one-off keys churn.
/// </summary>
internal sealed class ScanTable(int cap) : SnapshotTable<ScanTable.Entry>(cap, initialLength: 2)
{
    internal struct Entry : ISnapshotEntry
    {
        public FlowAddress Peer;
        public uint Key;
        public uint Attempts;
        public DistinctSketch Set;

        public readonly void Write(ref LittleEndianWriter w)
        {
            w.Address(Peer);
            w.U32(Key);
            w.U32(Attempts);
            Set.Write(ref w);
        }

        public void Read(ref LittleEndianReader r)
        {
            Peer = r.Address();
            Key = r.U32();
            Attempts = r.U32();
            Set.Read(ref r);
        }
    }

    /// <summary>Finds or makes the entry for (peer, key).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Entry Get(FlowAddress peer, uint key)
    {
        var e = _entries;
        int n = Count;
        for (int i = 0; i < n; i++)
        {
            ref Entry x = ref e[i];
            if (x.Key == key && x.Peer.Equals(peer)) return ref x;
        }

        return ref Insert(peer, key);
    }

    private ref Entry Insert(FlowAddress peer, uint key)
    {
        int slot = Append();
        if (slot < 0)
        {
            slot = 0;
            for (int i = 1; i < Count; i++)
            {
                ref Entry c = ref _entries[i];
                ref Entry best = ref _entries[slot];
                int cc = c.Set.Count, bc = best.Set.Count;
                if (cc < bc || (cc == bc && c.Attempts < best.Attempts)) slot = i;
            }
        }

        ref Entry x = ref _entries[slot];
        x.Peer = peer;
        x.Key = key;
        x.Attempts = 0;
        x.Set.Clear();
        return ref x;
    }

    public int HeapBytes()
    {
        int b = 40 + EntryArrayBytes;
        for (int i = 0; i < Count; i++) b += _entries[i].Set.HeapBytes;
        return b;
    }

    public static ScanTable Read(ref LittleEndianReader r, int cap) => ReadInto(new ScanTable(cap), ref r);
}

/// <summary>
/// Per-window tally of (peer, key) with flows, bytes, sum of squared sizes and longest duration: top talkers,
/// brute-force session statistics, block-list hits, new admin peers, rare-port sessions. Capped; when full a new
/// key replaces the entry with the fewest bytes only if it already carries more.
/// </summary>
internal sealed class TallyTable(int cap) : SnapshotTable<TallyTable.Entry>(cap, initialLength: 2)
{
    internal struct Entry : ISnapshotEntry
    {
        public FlowAddress Peer;
        public uint Key;
        public uint Flows;
        public ulong Bytes;
        public double SumSquares;
        public long MaxDurationMs;

        public readonly void Write(ref LittleEndianWriter w)
        {
            w.Address(Peer);
            w.U32(Key);
            w.U32(Flows);
            w.U64(Bytes);
            w.F64(SumSquares);
            w.I64(MaxDurationMs);
        }

        public void Read(ref LittleEndianReader r)
        {
            Peer = r.Address();
            Key = r.U32();
            Flows = r.U32();
            Bytes = r.U64();
            SumSquares = r.F64();
            MaxDurationMs = r.I64();
        }
    }

    /// <summary>Adds one flow record's numbers to (peer, key).</summary>
    public void Add(FlowAddress peer, uint key, ulong bytes, long durationMs)
    {
        var e = _entries;
        int n = Count;
        for (int i = 0; i < n; i++)
        {
            ref Entry x = ref e[i];
            if (x.Key == key && x.Peer.Equals(peer))
            {
                Accumulate(ref x, bytes, durationMs);
                return;
            }
        }

        int slot = Append();
        if (slot < 0)
        {
            slot = 0;
            for (int i = 1; i < n; i++)
            {
                if (e[i].Bytes < e[slot].Bytes) slot = i;
            }

            if (e[slot].Bytes >= bytes) return;
        }

        ref Entry y = ref _entries[slot];
        y = default;
        y.Peer = peer;
        y.Key = key;
        Accumulate(ref y, bytes, durationMs);
    }

    private static void Accumulate(ref Entry x, ulong bytes, long durationMs)
    {
        x.Flows++;
        x.Bytes += bytes;
        x.SumSquares += (double)bytes * bytes;
        if (durationMs > x.MaxDurationMs) x.MaxDurationMs = durationMs;
    }

    public int HeapBytes() => 40 + EntryArrayBytes;

    public static TallyTable Read(ref LittleEndianReader r, int cap) => ReadInto(new TallyTable(cap), ref r);
}

/// <summary>
/// A bounded set of 32-bit keys with least-recently-used eviction: a host's history of admin peers and
/// service ports. Grows lazily to its cap.
/// </summary>
internal sealed class LruSet
{
    private uint[] _keys = new uint[4];
    private long[] _used = new long[4];
    private readonly int _cap;

    public LruSet(int cap) => _cap = cap;

    public int Count { get; private set; }

    /// <summary>True when present (does not refresh).</summary>
    public bool Contains(uint key) => _keys.AsSpan(0, Count).Contains(key);

    /// <summary>True (and refreshed) when present; otherwise inserted, evicting the least recently used at the cap.</summary>
    public bool TouchOrAdd(uint key, long now)
    {
        int i = _keys.AsSpan(0, Count).IndexOf(key);
        if (i >= 0)
        {
            _used[i] = now;
            return true;
        }

        int slot;
        if (Count < _keys.Length)
        {
            slot = Count++;
        }
        else if (_keys.Length < _cap)
        {
            int size = Math.Min(_cap, _keys.Length * 2);
            Array.Resize(ref _keys, size);
            Array.Resize(ref _used, size);
            slot = Count++;
        }
        else
        {
            slot = 0;
            for (int j = 1; j < Count; j++)
            {
                if (_used[j] < _used[slot]) slot = j;
            }
        }

        _keys[slot] = key;
        _used[slot] = now;
        return false;
    }

    public int HeapBytes() => 40 + 24 + _keys.Length * 4 + 24 + _used.Length * 8;

    public void Write(ref LittleEndianWriter w)
    {
        w.I32(Count);
        for (int i = 0; i < Count; i++)
        {
            w.U32(_keys[i]);
            w.I64(_used[i]);
        }
    }

    public static LruSet Read(ref LittleEndianReader r, int cap)
    {
        var s = new LruSet(cap);
        int n = r.Count(cap);
        if (s._keys.Length < n)
        {
            s._keys = new uint[n];
            s._used = new long[n];
        }

        for (int i = 0; i < n; i++)
        {
            s._keys[i] = r.U32();
            s._used[i] = r.I64();
        }

        s.Count = n;
        return s;
    }
}

/// <summary>
/// Per external peer, the intervals between the host's connections and their sizes (rings of
/// <see cref="RingSize"/>), for RITA-style beacon scoring. LRU-capped by peers.
/// </summary>
/// <remarks>
/// Intervals (seconds) and sizes (bytes) are stored as half-precision floats: 11 significant bits are far finer
/// than beacon jitter (60 s is held to 0.03 s, 3600 s to 2 s) and halve the ring memory.
/// </remarks>
/// <remarks>
/// Most hosts only ever fill the candidate ring, so the entries and rings are allocated on the first promotion, and
/// then at the cap at once (6 by default): growing 2, 4, 6 allocated each host's rings three times, and at 50,000
/// hosts those growing arrays were the largest share of what young collections promoted.
/// </remarks>
internal sealed class BeaconTable(int cap) : CappedTable<BeaconTable.Entry>(cap, initialLength: 0, firstLength: cap)
{
    /// <summary>Intervals and sizes kept per peer.</summary>
    public const int RingSize = 16;

    internal struct Entry
    {
        public FlowAddress Peer;
        public long LastStartMs;
        public long FirstStartMs;
        public uint Connections;
        public ushort Port;
        public byte Position;
        public byte Filled;
        public bool Dirty;
        public bool Irregular;
        public bool ReportedCommon;
    }

    /// <summary>Peers seen once, remembered as (32-bit address hash, low 32 bits of start ms) until a second connection promotes them.</summary>
    public const int Candidates = 16;

    private Half[] _intervals = [];
    private Half[] _sizes = [];
    private readonly ulong[] _candidates = new ulong[Candidates];
    private int _nextCandidate;

    /// <summary>Intervals in seconds.</summary>
    public ReadOnlySpan<Half> Intervals(int i) => _intervals.AsSpan(i * RingSize, _entries[i].Filled);

    /// <summary>Sizes in bytes (saturating at 65504).</summary>
    public ReadOnlySpan<Half> Sizes(int i) => _sizes.AsSpan(i * RingSize, _entries[i].Filled);

    /// <summary>Connections recorded for <paramref name="peer"/> (0 when not tracked).</summary>
    public uint ConnectionsTo(FlowAddress peer)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_entries[i].Peer.Equals(peer)) return _entries[i].Connections;
        }

        return 0;
    }

    /// <summary>Records a new connection starting at <paramref name="startMs"/>; true when the peer was just promoted from a one-off candidate to a tracked, repeated channel.</summary>
    public bool Record(FlowAddress peer, ushort port, long startMs, ulong bytes, long minIntervalMs, long maxIntervalMs)
    {
        var e = _entries;
        int n = Count;
        int i = 0;
        for (; i < n; i++)
        {
            if (e[i].Peer.Equals(peer)) break;
        }

        Half size = (Half)(float)Math.Min(bytes, 65_504UL);
        if (i == n)
        {
            // One-off peers (most of browsing) stay in the small candidate ring; only a peer seen again within
            // the interval range takes a tracked slot, so a beacon's first contact is not flushed by browsing.
            uint hash = (uint)peer.GetStableHashCode();
            uint start = (uint)startMs;
            for (int c = 0; c < Candidates; c++)
            {
                ulong cand = _candidates[c];
                if (cand == 0 || (uint)(cand >> 32) != hash) continue;
                long gap = (uint)(start - (uint)cand);
                if (gap < minIntervalMs) return false;
                _candidates[c] = 0;
                if (gap > maxIntervalMs) break;
                i = Slot();
                ref Entry y = ref _entries[i];
                y = default;
                y.Peer = peer;
                y.Port = port;
                y.LastStartMs = startMs;
                y.FirstStartMs = startMs - gap;
                y.Connections = 2;
                _intervals[i * RingSize] = (Half)(float)(gap / 1000.0);
                _sizes[i * RingSize] = size;
                y.Position = 1;
                y.Filled = 1;
                y.Dirty = true;
                return true;
            }

            _candidates[_nextCandidate] = ((ulong)hash << 32) | start | (start == 0 && hash == 0 ? 1UL : 0UL);
            _nextCandidate = (_nextCandidate + 1) % Candidates;
            return false;
        }

        ref Entry x = ref _entries[i];
        long interval = startMs - x.LastStartMs;
        if (interval < minIntervalMs)
        {
            return false; // a burst of connections is one beacon; records out of order are ignored too
        }

        x.LastStartMs = startMs;
        x.Connections++;
        x.Port = port;
        if (interval > maxIntervalMs)
        {
            x.Filled = 0; // the pattern broke: start over
            x.Position = 0;
            x.FirstStartMs = startMs;
            return false;
        }

        int at = i * RingSize + x.Position;
        _intervals[at] = (Half)(float)(interval / 1000.0);
        _sizes[at] = size;
        x.Position = (byte)((x.Position + 1) % RingSize);
        if (x.Filled < RingSize) x.Filled++;
        x.Dirty = true;
        return false;
    }

    /// <summary>The rings grow with the entries: <see cref="RingSize"/> intervals and sizes per entry.</summary>
    private protected override void Resized(int length)
    {
        Array.Resize(ref _intervals, length * RingSize);
        Array.Resize(ref _sizes, length * RingSize);
    }

    private int Slot()
    {
        int free = Append();
        if (free >= 0) return free;

        // Evict a peer already shown to be irregular (ordinary browsing) before any other, then the one with the
        // shortest history, then the least recently used: busy hosts keep room for peers that may be beacons.
        int slot = 0;
        for (int j = 1; j < Count; j++)
        {
            ref Entry c = ref _entries[j];
            ref Entry best = ref _entries[slot];
            if (c.Irregular != best.Irregular)
            {
                if (c.Irregular) slot = j;
            }
            else if (c.Filled != best.Filled)
            {
                if (c.Filled < best.Filled) slot = j;
            }
            else if (c.LastStartMs < best.LastStartMs)
            {
                slot = j;
            }
        }

        return slot;
    }

    public void MarkIrregular(int i, bool irregular) => _entries[i].Irregular = irregular;

    /// <summary>Marks a channel many hosts share as reported (once, below the forwarding severity).</summary>
    public void MarkReportedCommon(int i) => _entries[i].ReportedCommon = true;

    public void ClearDirty(int i) => _entries[i].Dirty = false;

    public int HeapBytes() => 48 + EntryArrayBytes + 24 + (_intervals.Length * 2) + 24 + (_sizes.Length * 2) + 24 + (Candidates * 8);

    public void Write(ref LittleEndianWriter w)
    {
        w.U8((byte)_nextCandidate);
        foreach (ulong c in _candidates) w.U64(c);
        w.I32(Count);
        for (int i = 0; i < Count; i++)
        {
            ref Entry x = ref _entries[i];
            w.Address(x.Peer);
            w.I64(x.LastStartMs);
            w.I64(x.FirstStartMs);
            w.U32(x.Connections);
            w.U16(x.Port);
            w.U8(x.Position);
            w.U8(x.Filled);
            w.Bool(x.Dirty);
            w.Bool(x.Irregular);
            w.Bool(x.ReportedCommon);
            for (int k = 0; k < x.Filled; k++)
            {
                w.U16(BitConverter.HalfToUInt16Bits(_intervals[i * RingSize + k]));
                w.U16(BitConverter.HalfToUInt16Bits(_sizes[i * RingSize + k]));
            }
        }
    }

    public static BeaconTable Read(ref LittleEndianReader r, int cap, byte version)
    {
        var t = new BeaconTable(cap);
        t._nextCandidate = r.U8();
        if (t._nextCandidate >= Candidates) throw new InvalidDataException("Beacon candidate position out of range.");
        for (int c = 0; c < Candidates; c++) t._candidates[c] = r.U64();
        var entries = t.ReadCount(ref r);
        for (int i = 0; i < entries.Length; i++)
        {
            ref Entry x = ref entries[i];
            x.Peer = r.Address();
            x.LastStartMs = r.I64();
            x.FirstStartMs = version >= 2 ? r.I64() : x.LastStartMs; // version 1 did not keep when tracking began
            x.Connections = r.U32();
            x.Port = r.U16();
            x.Position = r.U8();
            x.Filled = r.U8();
            x.Dirty = r.Bool();
            x.Irregular = r.Bool();
            x.ReportedCommon = version >= 2 && r.Bool();
            if (x.Filled > RingSize || x.Position >= RingSize) throw new InvalidDataException("Beacon ring out of range.");
            for (int k = 0; k < x.Filled; k++)
            {
                t._intervals[i * RingSize + k] = BitConverter.UInt16BitsToHalf(r.U16());
                t._sizes[i * RingSize + k] = BitConverter.UInt16BitsToHalf(r.U16());
            }
        }

        return t;
    }
}
