using System.Runtime.CompilerServices;

namespace FlowActors.Detection;

/// <summary>
/// The storage of a host's small per-peer/per-port tables: entries in one array that grows by doubling up to a cap
/// and is then reused in place (no allocation per update once grown), with the snapshot framing they share.
/// Each table keeps its own lookup and its own choice of which entry gives way when full.
/// </summary>
/// <typeparam name="TEntry">The table's entry, a struct held in the array.</typeparam>
internal abstract class CappedTable<TEntry> where TEntry : struct
{
    private protected TEntry[] _entries;
    private protected readonly int _cap;

    private readonly int _firstLength;

    /// <param name="cap">Most entries.</param>
    /// <param name="initialLength">Entries allocated with the table (0: none until the first <see cref="Append"/>).</param>
    /// <param name="firstLength">Length of the first array when <paramref name="initialLength"/> is 0 (at most the cap).</param>
    private protected CappedTable(int cap, int initialLength, int firstLength = 1)
    {
        _cap = cap;
        _entries = initialLength == 0 ? [] : new TEntry[initialLength];
        _firstLength = Math.Clamp(firstLength, 1, Math.Max(1, cap));
    }

    /// <summary>Entries in use.</summary>
    public int Count { get; private protected set; }

    /// <summary>The entries in use.</summary>
    public ReadOnlySpan<TEntry> Entries => _entries.AsSpan(0, Count);

    /// <summary>Entry <paramref name="i"/>, to update in place.</summary>
    public ref TEntry At(int i) => ref _entries[i];

    /// <summary>Empties the table, keeping its arrays (a reused entry is reset by the table that reuses it).</summary>
    public void Clear() => Count = 0;

    /// <summary>Bytes of the entry array, its header included.</summary>
    private protected int EntryArrayBytes => 24 + (_entries.Length * Unsafe.SizeOf<TEntry>());

    /// <summary>
    /// Index of a free entry for a new key: the next one, after doubling the array while it is below the cap; or -1
    /// when the table is full and the caller must choose the entry that gives way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected int Append()
    {
        if (Count < _entries.Length) return Count++;
        if (_entries.Length >= _cap) return -1;
        int length = _entries.Length == 0 ? _firstLength : Math.Min(_cap, _entries.Length * 2);
        Array.Resize(ref _entries, length);
        Resized(length);
        return Count++;
    }

    /// <summary>Called when the entry array has grown to <paramref name="length"/>, for tables that keep arrays beside it.</summary>
    private protected virtual void Resized(int length)
    {
    }

    /// <summary>
    /// Reads the entry count of a snapshot (at most the cap) and makes room for that many entries; returns them, to
    /// read in place.
    /// </summary>
    private protected Span<TEntry> ReadCount(ref LittleEndianReader r)
    {
        int n = r.Count(_cap);
        if (_entries.Length < n)
        {
            _entries = new TEntry[n];
            Resized(n);
        }

        Count = n;
        return _entries.AsSpan(0, n);
    }
}

/// <summary>An entry of a <see cref="SnapshotTable{TEntry}"/> that writes and reads its own fields.</summary>
internal interface ISnapshotEntry
{
    /// <summary>Writes the entry's fields.</summary>
    void Write(ref LittleEndianWriter w);

    /// <summary>Reads the fields <see cref="Write"/> wrote, into a default entry.</summary>
    void Read(ref LittleEndianReader r);
}

/// <summary>A <see cref="CappedTable{TEntry}"/> whose snapshot is its entry count followed by each entry.</summary>
internal abstract class SnapshotTable<TEntry> : CappedTable<TEntry> where TEntry : struct, ISnapshotEntry
{
    private protected SnapshotTable(int cap, int initialLength) : base(cap, initialLength)
    {
    }

    /// <summary>Writes the entry count, then each entry.</summary>
    public void Write(ref LittleEndianWriter w)
    {
        w.I32(Count);
        for (int i = 0; i < Count; i++) _entries[i].Write(ref w);
    }

    /// <summary>Reads what <see cref="Write"/> wrote into <paramref name="table"/> (new and empty); returns it.</summary>
    private protected static TTable ReadInto<TTable>(TTable table, ref LittleEndianReader r) where TTable : SnapshotTable<TEntry>
    {
        foreach (ref TEntry x in table.ReadCount(ref r)) x.Read(ref r);
        return table;
    }
}
