using System.Buffers.Binary;
using System.Text;
using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// The one little-endian binary writer of FlowActors (host behaviour snapshots, the cluster's packed observation
/// batches and positional messages). Writes into a fixed span, into a buffer it grows itself, or only counts bytes
/// (measuring mode), so a caller can size an exact buffer first.
/// </summary>
public ref struct LittleEndianWriter
{
    private Span<byte> _span;
    private byte[]? _grown;
    private readonly bool _measure;
    private readonly bool _growable;

    private LittleEndianWriter(Span<byte> span, byte[]? grown, bool measure, bool growable)
    {
        _span = span;
        _grown = grown;
        _measure = measure;
        _growable = growable;
        Position = 0;
    }

    /// <summary>A writer into <paramref name="destination"/>; writing past its end throws <see cref="ArgumentException"/>.</summary>
    public static LittleEndianWriter Into(Span<byte> destination) => new(destination, null, measure: false, growable: false);

    /// <summary>A writer that only counts the bytes it would write (read <see cref="Position"/> at the end).</summary>
    public static LittleEndianWriter Measuring() => new(default, null, measure: true, growable: false);

    /// <summary>A writer into its own buffer of <paramref name="initialCapacity"/> bytes, doubled as needed; see <see cref="ToArray"/>.</summary>
    public static LittleEndianWriter Growable(int initialCapacity)
    {
        var buffer = new byte[Math.Max(16, initialCapacity)];
        return new(buffer, buffer, measure: false, growable: true);
    }

    /// <summary>Bytes written (or counted) so far.</summary>
    public int Position { get; private set; }

    /// <summary>The bytes written so far, as a new array (the buffer itself when it is exactly full).</summary>
    public readonly byte[] ToArray()
    {
        if (_measure) throw new InvalidOperationException("A measuring writer holds no bytes.");
        if (_grown is not null && _grown.Length == Position) return _grown;
        return _span[..Position].ToArray();
    }

    private Span<byte> Take(int n)
    {
        int at = Position;
        Position += n;
        if (_measure) return default;
        if (Position > _span.Length)
        {
            if (!_growable) throw new ArgumentException("Buffer too small for what is written; size it with a measuring writer.");
            var bigger = new byte[Math.Max(Position, _span.Length * 2)];
            _span[..at].CopyTo(bigger);
            _grown = bigger;
            _span = bigger;
        }
        return _span.Slice(at, n);
    }

    /// <summary>One byte.</summary>
    public void U8(byte v)
    {
        var s = Take(1);
        if (!_measure) s[0] = v;
    }

    /// <summary>A boolean as one byte (1 or 0).</summary>
    public void Bool(bool v) => U8(v ? (byte)1 : (byte)0);

    /// <summary>Two bytes, little-endian.</summary>
    public void U16(ushort v)
    {
        var s = Take(2);
        if (!_measure) BinaryPrimitives.WriteUInt16LittleEndian(s, v);
    }

    /// <summary>Four bytes, little-endian.</summary>
    public void U32(uint v)
    {
        var s = Take(4);
        if (!_measure) BinaryPrimitives.WriteUInt32LittleEndian(s, v);
    }

    /// <summary>Four bytes, little-endian two's complement.</summary>
    public void I32(int v) => U32((uint)v);

    /// <summary>Eight bytes, little-endian.</summary>
    public void U64(ulong v)
    {
        var s = Take(8);
        if (!_measure) BinaryPrimitives.WriteUInt64LittleEndian(s, v);
    }

    /// <summary>Eight bytes, little-endian two's complement.</summary>
    public void I64(long v) => U64((ulong)v);

    /// <summary>IEEE 754 single, little-endian.</summary>
    public void F32(float v) => U32(BitConverter.SingleToUInt32Bits(v));

    /// <summary>IEEE 754 double, little-endian.</summary>
    public void F64(double v) => U64(BitConverter.DoubleToUInt64Bits(v));

    /// <summary>The bytes as they are, without a length (the reader knows how many).</summary>
    public void Bytes(ReadOnlySpan<byte> v)
    {
        var s = Take(v.Length);
        if (!_measure) v.CopyTo(s);
    }

    /// <summary>A 4-byte length, then the bytes.</summary>
    public void SizedBytes(ReadOnlySpan<byte> v)
    {
        I32(v.Length);
        Bytes(v);
    }

    /// <summary>Null as length -1, else the UTF-8 byte length (4 bytes) then the bytes.</summary>
    public void String(string? s)
    {
        if (s is null)
        {
            I32(-1);
            return;
        }

        int n = Encoding.UTF8.GetByteCount(s);
        I32(n);
        var into = Take(n);
        if (!_measure) Encoding.UTF8.GetBytes(s, into);
    }

    /// <summary>Family byte (0 none, 4, 6), then, unless none, the address's two 64-bit halves (the snapshot layout).</summary>
    public void Address(FlowAddress a)
    {
        U8(a.IsV4 ? (byte)4 : a.IsV6 ? (byte)6 : (byte)0);
        if (a.IsNone) return;
        U64(a.Hi);
        U64(a.Lo);
    }

    /// <summary>Family byte (0 none, 4, 6), then 4 or 16 address bytes in network order (the packed message layout).</summary>
    public void CompactAddress(FlowAddress a)
    {
        if (a.IsNone)
        {
            U8(0);
            return;
        }

        if (a.IsV4)
        {
            U8(4);
            var s = Take(4);
            if (!_measure) BinaryPrimitives.WriteUInt32BigEndian(s, a.V4);
            return;
        }

        U8(6);
        var v6 = Take(16);
        if (!_measure) a.WriteBytes(v6);
    }

    /// <summary>Starts a tagged section: its tag (2 bytes) and a 4-byte length that <see cref="EndSection"/> fills in.</summary>
    /// <returns>The position to pass to <see cref="EndSection"/>.</returns>
    public int BeginSection(ushort tag)
    {
        U16(tag);
        I32(0);
        return Position;
    }

    /// <summary>Ends the section begun at <paramref name="start"/> by writing its length.</summary>
    public readonly void EndSection(int start)
    {
        if (!_measure) BinaryPrimitives.WriteInt32LittleEndian(_span.Slice(start - 4, 4), Position - start);
    }
}

/// <summary>
/// Reader for <see cref="LittleEndianWriter"/>'s bytes. Truncation, impossible lengths and counts throw
/// <see cref="InvalidDataException"/>, never an index error.
/// </summary>
public ref struct LittleEndianReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    /// <summary>A reader at the start of <paramref name="buffer"/>.</summary>
    public LittleEndianReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    /// <summary>Bytes read so far.</summary>
    public int Position { get; private set; }

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool AtEnd => Position == _buffer.Length;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _buffer.Length - Position) throw new InvalidDataException($"Data truncated: wanted {n} bytes at offset {Position} of {_buffer.Length}.");
        var s = _buffer.Slice(Position, n);
        Position += n;
        return s;
    }

    /// <summary>One byte.</summary>
    public byte U8() => Take(1)[0];

    /// <summary>A boolean (any non-zero byte is true).</summary>
    public bool Bool() => U8() != 0;

    /// <summary>Two bytes, little-endian.</summary>
    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    /// <summary>Four bytes, little-endian.</summary>
    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    /// <summary>Four bytes, little-endian two's complement.</summary>
    public int I32() => (int)U32();

    /// <summary>Eight bytes, little-endian.</summary>
    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Eight bytes, little-endian two's complement.</summary>
    public long I64() => (long)U64();

    /// <summary>IEEE 754 single.</summary>
    public float F32() => BitConverter.UInt32BitsToSingle(U32());

    /// <summary>IEEE 754 double.</summary>
    public double F64() => BitConverter.UInt64BitsToDouble(U64());

    /// <summary>Fills <paramref name="into"/> with the next bytes.</summary>
    public void Bytes(Span<byte> into) => Take(into.Length).CopyTo(into);

    /// <summary>Skips <paramref name="n"/> bytes.</summary>
    public void Skip(int n) => Take(n);

    /// <summary>A 4-byte length, then that many bytes, as a new array.</summary>
    public byte[] SizedBytes() => Take(I32()).ToArray();

    /// <summary>A string written by <see cref="LittleEndianWriter.String"/> (null for length -1).</summary>
    public string? String()
    {
        int n = I32();
        return n == -1 ? null : Encoding.UTF8.GetString(Take(n));
    }

    /// <summary>A string that must not be null.</summary>
    public string RequiredString() => String() ?? throw new InvalidDataException("Data has a null where a string is required.");

    /// <summary>A count of at most <paramref name="max"/>.</summary>
    public int Count(int max)
    {
        int n = I32();
        if (n < 0 || n > max) throw new InvalidDataException($"Count {n} is out of range (max {max}).");
        return n;
    }

    /// <summary>A count of items of at least <paramref name="minItemBytes"/> bytes each that must fit in what remains.</summary>
    public int CountFitting(int minItemBytes)
    {
        int n = I32();
        if (n < 0 || (long)n * minItemBytes > Remaining) throw new InvalidDataException($"Impossible item count {n} for {Remaining} remaining bytes.");
        return n;
    }

    /// <summary>An address written by <see cref="LittleEndianWriter.Address"/>.</summary>
    public FlowAddress Address()
    {
        byte family = U8();
        if (family == 0) return default;
        if (family != 4 && family != 6) throw new InvalidDataException($"Bad address family {family}; expected 0, 4 or 6.");
        ulong hi = U64();
        ulong lo = U64();
        return new FlowAddress(hi, lo, family == 4);
    }

    /// <summary>An address written by <see cref="LittleEndianWriter.CompactAddress"/>.</summary>
    public FlowAddress CompactAddress() => U8() switch
    {
        0 => FlowAddress.None,
        4 => FlowAddress.FromV4(Take(4)),
        6 => FlowAddress.FromV6(Take(16)),
        var f => throw new InvalidDataException($"Bad address family {f}; expected 0, 4 or 6."),
    };

    /// <summary>
    /// The next tagged section written by <see cref="LittleEndianWriter.BeginSection"/>: its tag and a reader over
    /// its bytes. False at the end of the data.
    /// </summary>
    public bool NextSection(out ushort tag, out LittleEndianReader section)
    {
        if (AtEnd)
        {
            tag = 0;
            section = default;
            return false;
        }

        tag = U16();
        section = new LittleEndianReader(Take(I32()));
        return true;
    }
}
