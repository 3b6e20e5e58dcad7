using System.Collections;
using System.Runtime.CompilerServices;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Actors;

/// <summary>
/// A shard's hosts in memory, by address: an open-addressing table (linear probing, backward-shift deletion) whose
/// entries hold the address, the <see cref="HostUnit"/> and the host's place in the shard's current stage.
/// </summary>
/// <remarks>
/// <para>Why not a <see cref="Dictionary{TKey,TValue}"/>: the stage looks up every observation's host, and at 50,000
/// hosts most lookups are cold. A dictionary probe reads its bucket array and then its entry array, and the stage then
/// read the unit for its stage slot: three cache misses. Here the key, the unit reference and the stage slot share one
/// entry, so a lookup that finds its host at its home index reads one or two lines, and the stage does not touch the
/// unit at all (the apply does, once per host).</para>
/// <para>The index is taken from the high bits of the address's stable hash times a Fibonacci constant: the shard of a
/// host is that same hash modulo the shard count, so its low bits are correlated within a shard.</para>
/// <para>Grows at 70 % load and shrinks below 1/8 (not below <see cref="MinCapacity"/>), so a cardinality storm that
/// passivates leaves no large table behind. Not thread-safe: only its shard actor uses it.</para>
/// </remarks>
internal sealed class HostTable : IEnumerable<HostUnit>
{
    /// <summary>The smallest capacity (entries); a power of two.</summary>
    public const int MinCapacity = 16;

    private Entry[] _entries = [];
    private int _shift; // 64 - log2(capacity)
    private int _count;
    private int _growAt;

    /// <summary>One slot: <see cref="Unit"/> is null when empty.</summary>
    public struct Entry
    {
        /// <summary>The host's address.</summary>
        public FlowAddress Key;

        /// <summary>The host, or null for an empty slot.</summary>
        public HostUnit? Unit;

        /// <summary>The stage this entry's <see cref="StageSlot"/> belongs to (see <c>HostShardActor.Stage</c>).</summary>
        public long StageEpoch;

        /// <summary>The host's slot in the stage of <see cref="StageEpoch"/>.</summary>
        public int StageSlot;
    }

    /// <summary>An empty table of <see cref="MinCapacity"/> entries.</summary>
    public HostTable() => Allocate(MinCapacity);

    /// <summary>Hosts held.</summary>
    public int Count => _count;

    /// <summary>Entries allocated (a power of two).</summary>
    public int Capacity => _entries.Length;

    /// <summary>The entry of <paramref name="host"/>, or a null reference (<see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>) when absent.</summary>
    /// <remarks>The reference is valid until the next <see cref="Set"/> or <see cref="Remove"/>, which may move entries.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Entry Find(FlowAddress host)
    {
        var entries = _entries;
        int mask = entries.Length - 1;
        int i = Home(host);
        while (true)
        {
            ref var e = ref entries[i];
            if (e.Unit is null) return ref Unsafe.NullRef<Entry>();
            if (e.Key.Equals(host)) return ref e;
            i = (i + 1) & mask;
        }
    }

    /// <summary>The unit of <paramref name="host"/>, if held.</summary>
    public bool TryGetValue(FlowAddress host, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HostUnit? unit)
    {
        ref var e = ref Find(host);
        unit = Unsafe.IsNullRef(ref e) ? null : e.Unit;
        return unit is not null;
    }

    /// <summary>The unit of <paramref name="host"/>; throws when absent.</summary>
    public HostUnit this[FlowAddress host] =>
        TryGetValue(host, out var unit) ? unit : throw new KeyNotFoundException($"host {host} is not in the table");

    /// <summary>Adds <paramref name="unit"/> for <paramref name="host"/>, or replaces the one held (its stage slot reset).</summary>
    public void Set(FlowAddress host, HostUnit unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (_count >= _growAt) Resize(_entries.Length * 2);
        var entries = _entries;
        int mask = entries.Length - 1;
        int i = Home(host);
        while (true)
        {
            ref var e = ref entries[i];
            if (e.Unit is null)
            {
                e = new Entry { Key = host, Unit = unit, StageEpoch = -1 };
                _count++;
                return;
            }
            if (e.Key.Equals(host))
            {
                e.Unit = unit;
                e.StageEpoch = -1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// <summary>Removes <paramref name="host"/>; false when it was not held.</summary>
    public bool Remove(FlowAddress host)
    {
        var entries = _entries;
        int mask = entries.Length - 1;
        int i = Home(host);
        while (true)
        {
            ref var e = ref entries[i];
            if (e.Unit is null) return false;
            if (e.Key.Equals(host)) break;
            i = (i + 1) & mask;
        }

        // Backward shift: move each later entry of the run back into the hole unless the hole lies before its home
        // (cyclically), so every entry stays reachable from its home without tombstones.
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            ref var next = ref entries[j];
            if (next.Unit is null) break;
            int home = Home(next.Key);
            bool movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
            if (!movable) continue;
            entries[hole] = next;
            hole = j;
        }
        entries[hole] = default;
        _count--;
        if (_count < entries.Length / 8 && entries.Length > MinCapacity) Resize(entries.Length / 2);
        return true;
    }

    /// <summary>The hosts held, in table order. The table must not change while enumerating.</summary>
    public Enumerator GetEnumerator() => new(_entries);

    IEnumerator<HostUnit> IEnumerable<HostUnit>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Enumerates the units held without allocating.</summary>
    public struct Enumerator : IEnumerator<HostUnit>
    {
        private readonly Entry[] _entries;
        private int _i;

        internal Enumerator(Entry[] entries)
        {
            _entries = entries;
            _i = -1;
        }

        /// <inheritdoc />
        public readonly HostUnit Current => _entries[_i].Unit!;

        readonly object IEnumerator.Current => Current;

        /// <inheritdoc />
        public bool MoveNext()
        {
            while (++_i < _entries.Length)
            {
                if (_entries[_i].Unit is not null) return true;
            }
            return false;
        }

        /// <inheritdoc />
        public void Reset() => _i = -1;

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(FlowAddress host) => (int)((host.GetStableHashCode() * 0x9E3779B97F4A7C15UL) >> _shift);

    private void Allocate(int capacity)
    {
        _entries = new Entry[capacity];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
        _growAt = capacity / 10 * 7;
    }

    private void Resize(int capacity)
    {
        var old = _entries;
        Allocate(Math.Max(MinCapacity, capacity));
        var entries = _entries;
        int mask = entries.Length - 1;
        foreach (ref var e in old.AsSpan())
        {
            if (e.Unit is null) continue;
            int i = Home(e.Key);
            while (entries[i].Unit is not null) i = (i + 1) & mask;
            entries[i] = e;
        }
    }
}
