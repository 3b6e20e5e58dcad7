using System.Buffers;
using System.Runtime.CompilerServices;

namespace FlowActors.Protocols;

/// <summary>
/// A reusable, bounded output buffer of <see cref="FlowRecord"/>s backed by <see cref="ArrayPool{T}"/>.
/// Decoders append into it; the caller reads <see cref="Records"/> and calls <see cref="Clear"/> before the next datagram.
/// </summary>
/// <remarks>
/// Growth is capped by <see cref="MaxCapacity"/>: a record that does not fit is counted in <see cref="Dropped"/>
/// rather than growing the buffer without bound. After warm-up no call allocates.
/// </remarks>
public sealed class FlowRecordBuffer : IDisposable
{
    private FlowRecord[] _items;
    private int _count;

    /// <summary>Creates a buffer.</summary>
    /// <param name="initialCapacity">Records allocated up front.</param>
    /// <param name="maxCapacity">Hard cap on records held at once.</param>
    public FlowRecordBuffer(int initialCapacity = 256, int maxCapacity = 65_536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCapacity, initialCapacity);
        _items = ArrayPool<FlowRecord>.Shared.Rent(initialCapacity);
        MaxCapacity = maxCapacity;
    }

    /// <summary>Hard cap on the number of records held.</summary>
    public int MaxCapacity { get; }

    /// <summary>Number of records held.</summary>
    public int Count => _count;

    /// <summary>Records that did not fit because the buffer was at <see cref="MaxCapacity"/> (cumulative).</summary>
    public long Dropped { get; private set; }

    /// <summary>The records appended since the last <see cref="Clear"/>.</summary>
    public ReadOnlySpan<FlowRecord> Records => _items.AsSpan(0, _count);

    /// <summary>The records, writable (for stages that post-process in place, e.g. sampling).</summary>
    public Span<FlowRecord> RecordsMutable => _items.AsSpan(0, _count);

    /// <summary>Reference to record <paramref name="index"/>.</summary>
    public ref FlowRecord this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
            return ref _items[index];
        }
    }

    /// <summary>
    /// Appends a zeroed record and returns a reference to fill in, or a null reference when full
    /// (check with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>); the drop is counted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref FlowRecord Append()
    {
        // ArrayPool may hand out more than asked for: the cap is MaxCapacity, not the array's length.
        if (_count >= MaxCapacity || (_count == _items.Length && !Grow()))
        {
            Dropped++;
            return ref Unsafe.NullRef<FlowRecord>();
        }

        ref FlowRecord r = ref _items[_count++];
        r = default;
        return ref r;
    }

    /// <summary>Removes the last appended record (used when a record turns out to be malformed mid-way).</summary>
    public void RemoveLast()
    {
        if (_count > 0) _count--;
    }

    /// <summary>Truncates to <paramref name="count"/> records (rolls back a partially decoded set).</summary>
    public void Truncate(int count)
    {
        if ((uint)count <= (uint)_count) _count = count;
    }

    /// <summary>Forgets the records (keeps the storage).</summary>
    public void Clear() => _count = 0;

    private bool Grow()
    {
        if (_items.Length >= MaxCapacity) return false;
        int size = Math.Min(MaxCapacity, _items.Length * 2);
        var bigger = ArrayPool<FlowRecord>.Shared.Rent(size);
        _items.AsSpan(0, _count).CopyTo(bigger);
        ArrayPool<FlowRecord>.Shared.Return(_items);
        _items = bigger;
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var items = _items;
        _items = [];
        _count = 0;
        if (items.Length > 0) ArrayPool<FlowRecord>.Shared.Return(items);
    }
}
