using System.Runtime.CompilerServices;
using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// Per host, the external address/port pairs it keeps failing to reach (unanswered or refused SYNs), across
/// windows: the connection loop of an implant whose C2 server is down. Capped; a new pair replaces the one with
/// the fewest attempts. Allocated on a host's first failed external attempt.
/// </summary>
internal sealed class LoopTable(int cap) : SnapshotTable<LoopTable.Entry>(cap, initialLength: 1)
{
    internal struct Entry : ISnapshotEntry
    {
        public FlowAddress Peer;
        public long FirstMs;
        public long LastMs;
        public uint Attempts;
        public ushort Port;
        public bool Recorded;

        public readonly void Write(ref LittleEndianWriter w)
        {
            w.Address(Peer);
            w.I64(FirstMs);
            w.I64(LastMs);
            w.U32(Attempts);
            w.U16(Port);
            w.Bool(Recorded);
        }

        public void Read(ref LittleEndianReader r)
        {
            Peer = r.Address();
            FirstMs = r.I64();
            LastMs = r.I64();
            Attempts = r.U32();
            Port = r.U16();
            Recorded = r.Bool();
        }
    }

    /// <summary>Counts one failed attempt; a pair idle for longer than <paramref name="horizonMs"/> starts over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(FlowAddress peer, ushort port, long timeMs, long horizonMs)
    {
        var e = _entries;
        for (int i = 0; i < Count; i++)
        {
            ref Entry x = ref e[i];
            if (x.Port != port || !x.Peer.Equals(peer)) continue;
            if (timeMs - x.LastMs > horizonMs)
            {
                x.FirstMs = timeMs;
                x.Attempts = 0;
            }

            x.Attempts++;
            if (timeMs > x.LastMs) x.LastMs = timeMs;
            if (timeMs < x.FirstMs) x.FirstMs = timeMs;
            return;
        }

        int slot = Append();
        if (slot < 0)
        {
            slot = 0;
            for (int i = 1; i < Count; i++)
            {
                if (e[i].Attempts < e[slot].Attempts || (e[i].Attempts == e[slot].Attempts && e[i].LastMs < e[slot].LastMs)) slot = i;
            }
        }

        _entries[slot] = new Entry { Peer = peer, Port = port, FirstMs = timeMs, LastMs = timeMs, Attempts = 1 };
    }

    /// <summary>Drops pairs idle for longer than the horizon (run at window close).</summary>
    public void Expire(long nowMs, long horizonMs)
    {
        int w = 0;
        for (int i = 0; i < Count; i++)
        {
            if (nowMs - _entries[i].LastMs <= horizonMs) _entries[w++] = _entries[i];
        }

        Count = w;
    }

    public int HeapBytes() => 32 + EntryArrayBytes;

    public static LoopTable Read(ref LittleEndianReader r, int cap) => ReadInto(new LoopTable(cap), ref r);
}

/// <summary>
/// Per host, the local ports each external source has probed, accumulated across windows for
/// <see cref="InboundScanSettings.LongHorizon"/>, so slow scans add up and each scanner is reported once. Capped:
/// a new source replaces a stale one, else the unreported one with the fewest ports, else the oldest reported.
/// Allocated when a host is first probed from outside.
/// </summary>
internal sealed class ScanAccumulator(int cap) : SnapshotTable<ScanAccumulator.Entry>(cap, initialLength: 1)
{
    internal struct Entry : ISnapshotEntry
    {
        public FlowAddress Peer;
        public long FirstMs;
        public long LastMs;
        public uint Attempts;
        public bool Reported;
        public DistinctSketch Ports;

        public readonly void Write(ref LittleEndianWriter w)
        {
            w.Address(Peer);
            w.I64(FirstMs);
            w.I64(LastMs);
            w.U32(Attempts);
            w.Bool(Reported);
            Ports.Write(ref w);
        }

        public void Read(ref LittleEndianReader r)
        {
            Peer = r.Address();
            FirstMs = r.I64();
            LastMs = r.I64();
            Attempts = r.U32();
            Reported = r.Bool();
            Ports.Read(ref r);
        }
    }

    /// <summary>Finds the source's entry, starting it over when it went quiet for longer than the horizon, or makes one.</summary>
    public ref Entry Get(FlowAddress peer, long startMs, long endMs, long horizonMs)
    {
        var e = _entries;
        for (int i = 0; i < Count; i++)
        {
            ref Entry x = ref e[i];
            if (!x.Peer.Equals(peer)) continue;
            // Quiet for longer than the horizon, or (not yet reported) accumulating for longer than it: start over,
            // so only ports probed within one horizon add up. A reported scanner stays reported while it is active.
            if (endMs - x.LastMs > horizonMs || (!x.Reported && endMs - x.FirstMs > horizonMs))
            {
                x.Ports.Reset();
                x.Attempts = 0;
                x.Reported = false;
                x.FirstMs = startMs;
            }

            x.LastMs = Math.Max(x.LastMs, endMs);
            return ref x;
        }

        int slot = Append();
        if (slot < 0)
        {
            slot = 0;
            long bestRank = long.MaxValue;
            for (int i = 0; i < Count; i++)
            {
                ref Entry c = ref e[i];
                // Lower rank is evicted first: stale, then unreported by port count, then reported by age.
                long rank = endMs - c.LastMs > horizonMs ? long.MinValue
                    : !c.Reported ? c.Ports.Count - (long)int.MaxValue
                    : c.LastMs;
                if (rank < bestRank)
                {
                    bestRank = rank;
                    slot = i;
                }
            }
        }

        ref Entry y = ref _entries[slot];
        y.Ports.Reset();
        y.Peer = peer;
        y.FirstMs = startMs;
        y.LastMs = endMs;
        y.Attempts = 0;
        y.Reported = false;
        return ref y;
    }

    public int HeapBytes()
    {
        int b = 32 + EntryArrayBytes;
        for (int i = 0; i < Count; i++) b += _entries[i].Ports.HeapBytes;
        return b;
    }

    public static ScanAccumulator Read(ref LittleEndianReader r, int cap) => ReadInto(new ScanAccumulator(cap), ref r);
}

/// <summary>
/// Per host, bytes it uploaded (as the initiator) to external peer/port pairs outside the exempt ports, per window
/// over the last few windows: the no-baseline exfiltration floor. Two pairs at most; a new pair replaces the one
/// with the fewest bytes. Allocated on the first window with a heavy upload.
/// </summary>
internal sealed class UploadTable
{
    internal struct Entry
    {
        public FlowAddress Peer;
        public long LastWindow;
        public ushort Port;
    }

    public const int Cap = 2;

    private readonly Entry[] _entries = new Entry[Cap];
    private readonly uint[] _kb; // per entry a ring of per-window kilobytes, indexed by window % span
    private readonly int _span;

    public UploadTable(int spanWindows)
    {
        _span = spanWindows;
        _kb = new uint[Cap * spanWindows];
    }

    public int Count { get; private set; }

    public ReadOnlySpan<Entry> Entries => _entries.AsSpan(0, Count);

    /// <summary>Adds a closed window's upload to (peer, port).</summary>
    public void Add(FlowAddress peer, ushort port, long window, ulong bytes)
    {
        uint kb = (uint)Math.Min(bytes / 1000, uint.MaxValue);
        int i = 0;
        for (; i < Count; i++)
        {
            if (_entries[i].Port == port && _entries[i].Peer.Equals(peer)) break;
        }

        if (i == Count)
        {
            if (Count < Cap)
            {
                Count++;
            }
            else
            {
                i = Total(0, window) <= Total(1, window) ? 0 : 1;
                if (Total(i, window) * 1000.0 >= bytes) return;
            }

            _entries[i] = new Entry { Peer = peer, Port = port, LastWindow = window };
            _kb.AsSpan(i * _span, _span).Clear();
        }

        ref Entry x = ref _entries[i];
        // Windows skipped since the last upload hold nothing.
        for (long k = x.LastWindow + 1; k < window && k <= x.LastWindow + _span; k++) _kb[(i * _span) + (int)(k % _span)] = 0;
        if (window > x.LastWindow) x.LastWindow = window;
        _kb[(i * _span) + (int)(window % _span)] = kb;
    }

    /// <summary>Bytes uploaded to entry <paramref name="i"/> within the span ending with <paramref name="window"/>.</summary>
    public double Total(int i, long window)
    {
        ref Entry x = ref _entries[i];
        if (window - x.LastWindow >= _span) return 0;
        double sum = 0;
        for (long k = window - _span + 1; k <= x.LastWindow; k++)
        {
            if (k >= 0) sum += _kb[(i * _span) + (int)(k % _span)];
        }

        return sum * 1000;
    }

    public int HeapBytes() => 32 + 24 + (Cap * Unsafe.SizeOf<Entry>()) + 24 + (_kb.Length * 4);

    public void Write(ref LittleEndianWriter w)
    {
        w.I32(_span);
        w.I32(Count);
        for (int i = 0; i < Count; i++)
        {
            w.Address(_entries[i].Peer);
            w.I64(_entries[i].LastWindow);
            w.U16(_entries[i].Port);
            for (int k = 0; k < _span; k++) w.U32(_kb[(i * _span) + k]);
        }
    }

    public static UploadTable Read(ref LittleEndianReader r, int spanWindows)
    {
        int span = r.I32();
        if (span != spanWindows) throw new InvalidDataException("Snapshot upload span does not match Detection:Exfiltration:FloorSpan.");
        var t = new UploadTable(span);
        int n = r.Count(Cap);
        for (int i = 0; i < n; i++)
        {
            t._entries[i] = new Entry { Peer = r.Address(), LastWindow = r.I64(), Port = r.U16() };
            for (int k = 0; k < span; k++) t._kb[(i * span) + k] = r.U32();
        }

        t.Count = n;
        return t;
    }
}

/// <summary>
/// Per window, the host's new connections to external hosts by (protocol, port): distinct targets, failures,
/// completed sessions' sizes and the time span, for the Internet-sweep detector. Capped at a few ports; a new
/// port replaces the one with the fewest targets.
/// </summary>
internal sealed class BurstTable(int cap) : SnapshotTable<BurstTable.Entry>(cap, initialLength: 2)
{
    internal struct Entry : ISnapshotEntry
    {
        public uint Key;
        public uint Connections;
        public uint Failed;
        public uint Completed;
        public long FirstMs;
        public long LastMs;
        public double Bytes;
        public double SumSquares;
        public DistinctSketch Targets;

        public readonly void Write(ref LittleEndianWriter w)
        {
            w.U32(Key);
            w.U32(Connections);
            w.U32(Failed);
            w.U32(Completed);
            w.I64(FirstMs);
            w.I64(LastMs);
            w.F64(Bytes);
            w.F64(SumSquares);
            Targets.Write(ref w);
        }

        public void Read(ref LittleEndianReader r)
        {
            Key = r.U32();
            Connections = r.U32();
            Failed = r.U32();
            Completed = r.U32();
            FirstMs = r.I64();
            LastMs = r.I64();
            Bytes = r.F64();
            SumSquares = r.F64();
            Targets.Read(ref r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(uint key, uint targetHash, long startMs, bool failed, ulong bytes)
    {
        var e = _entries;
        int i = 0;
        for (; i < Count; i++)
        {
            if (e[i].Key == key) break;
        }

        if (i == Count)
        {
            i = Append();
            e = _entries;
            if (i < 0)
            {
                i = 0;
                for (int k = 1; k < Count; k++)
                {
                    if (e[k].Targets.Count < e[i].Targets.Count) i = k;
                }
            }

            ref Entry n = ref e[i];
            n.Targets.Clear();
            n.Key = key;
            n.Connections = n.Failed = n.Completed = 0;
            n.Bytes = n.SumSquares = 0;
            n.FirstMs = n.LastMs = startMs;
        }

        ref Entry x = ref e[i];
        x.Connections++;
        x.Targets.Add(targetHash);
        if (startMs < x.FirstMs) x.FirstMs = startMs;
        if (startMs > x.LastMs) x.LastMs = startMs;
        if (failed)
        {
            x.Failed++;
        }
        else
        {
            x.Completed++;
            x.Bytes += bytes;
            x.SumSquares += (double)bytes * bytes;
        }
    }

    public int HeapBytes()
    {
        int b = 32 + EntryArrayBytes;
        for (int i = 0; i < Count; i++) b += _entries[i].Targets.HeapBytes;
        return b;
    }

    public static BurstTable Read(ref LittleEndianReader r, int cap) => ReadInto(new BurstTable(cap), ref r);
}
