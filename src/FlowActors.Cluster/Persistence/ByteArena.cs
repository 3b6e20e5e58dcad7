namespace FlowActors.Cluster.Persistence;

/// <summary>
/// Bump allocation of byte ranges from a few large, reused chunks: the encoded host-state rows of one flush.
/// </summary>
/// <remarks>
/// Why: a flush writes thousands of rows of about 1.5 KB and holds them until the transaction commits, seconds later.
/// As one array each they outlived one or two young collections, were copied into the old generation and died there:
/// at 50,000 hosts that was about 30 MB promoted per collection and the cause of 40-90 ms pauses in which the receive
/// sockets overflowed. The chunks here are large-object-heap arrays allocated once and reused by the next flush, so
/// the collector neither copies nor scans them. Not thread-safe: one owner, and <see cref="Reset"/> only once nothing
/// still reads the ranges it handed out (the shard's flush is done).
/// </remarks>
public sealed class ByteArena
{
    private readonly int _chunkBytes;
    private readonly List<byte[]> _chunks = new();
    private int _chunk, _used;

    /// <summary>An arena growing by chunks of <paramref name="chunkBytes"/> (at least 85,000, so chunks are large objects).</summary>
    public ByteArena(int chunkBytes = 1 << 20)
    {
        _chunkBytes = Math.Max(85_000, chunkBytes);
    }

    /// <summary>Bytes held by the arena's chunks.</summary>
    public long CapacityBytes
    {
        get
        {
            long n = 0;
            foreach (var c in _chunks) n += c.Length;
            return n;
        }
    }

    /// <summary>
    /// <paramref name="bytes"/> as one array of exactly its length: the array behind it when it spans a whole array (a
    /// row read back, a state encoded on its own), else a copy (a range of an arena).
    /// </summary>
    public static byte[] ExactArray(ReadOnlyMemory<byte> bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();

    /// <summary>A range of exactly <paramref name="size"/> bytes, valid until <see cref="Reset"/>.</summary>
    public Memory<byte> Take(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (size > _chunkBytes / 4) return new byte[size]; // a rare huge row gets its own array rather than waste a chunk
        while (true)
        {
            if (_chunk < _chunks.Count)
            {
                var c = _chunks[_chunk];
                if (c.Length - _used >= size)
                {
                    var m = c.AsMemory(_used, size);
                    _used += size;
                    return m;
                }
                _chunk++;
                _used = 0;
                continue;
            }
            _chunks.Add(new byte[_chunkBytes]);
        }
    }

    /// <summary>
    /// Makes every chunk reusable. Beyond <paramref name="keepBytes"/> the extra chunks are released, so one burst
    /// (a hand-off writing every host) does not pin its peak for the rest of the run.
    /// </summary>
    public void Reset(long keepBytes = 8L << 20)
    {
        int keep = (int)Math.Max(1, Math.Min(_chunks.Count, keepBytes / _chunkBytes));
        if (_chunks.Count > keep) _chunks.RemoveRange(keep, _chunks.Count - keep);
        _chunk = 0;
        _used = 0;
    }
}
