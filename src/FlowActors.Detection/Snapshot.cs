using System.Buffers.Binary;
using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>Little-endian binary writer over a span; in measuring mode it only counts bytes.</summary>
internal ref struct SnapshotWriter
{
    private readonly Span<byte> _buffer;
    private readonly bool _measure;

    public SnapshotWriter(Span<byte> buffer, bool measure)
    {
        _buffer = buffer;
        _measure = measure;
        Position = 0;
    }

    public int Position { get; private set; }

    private Span<byte> Take(int n)
    {
        int at = Position;
        Position += n;
        if (_measure) return default;
        if (Position > _buffer.Length) throw new ArgumentException("Snapshot buffer too small; size it with SnapshotSize.");
        return _buffer.Slice(at, n);
    }

    public void U8(byte v)
    {
        var s = Take(1);
        if (!_measure) s[0] = v;
    }

    public void Bool(bool v) => U8(v ? (byte)1 : (byte)0);

    public void U16(ushort v)
    {
        var s = Take(2);
        if (!_measure) BinaryPrimitives.WriteUInt16LittleEndian(s, v);
    }

    public void U32(uint v)
    {
        var s = Take(4);
        if (!_measure) BinaryPrimitives.WriteUInt32LittleEndian(s, v);
    }

    public void I32(int v) => U32((uint)v);

    public void U64(ulong v)
    {
        var s = Take(8);
        if (!_measure) BinaryPrimitives.WriteUInt64LittleEndian(s, v);
    }

    public void I64(long v) => U64((ulong)v);

    public void F32(float v) => U32(BitConverter.SingleToUInt32Bits(v));

    public void F64(double v) => U64(BitConverter.DoubleToUInt64Bits(v));

    public void Bytes(ReadOnlySpan<byte> v)
    {
        var s = Take(v.Length);
        if (!_measure) v.CopyTo(s);
    }

    public void Address(FlowAddress a)
    {
        U8(a.IsV4 ? (byte)4 : a.IsV6 ? (byte)6 : (byte)0);
        if (a.IsNone) return;
        U64(a.Hi);
        U64(a.Lo);
    }
}

/// <summary>Reader for <see cref="SnapshotWriter"/>; throws <see cref="InvalidDataException"/> on truncation.</summary>
internal ref struct SnapshotReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    public SnapshotReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly bool AtEnd => Position == _buffer.Length;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || Position + n > _buffer.Length) throw new InvalidDataException("Snapshot is truncated.");
        var s = _buffer.Slice(Position, n);
        Position += n;
        return s;
    }

    public byte U8() => Take(1)[0];

    public bool Bool() => U8() != 0;

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public int I32() => (int)U32();

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long I64() => (long)U64();

    public float F32() => BitConverter.UInt32BitsToSingle(U32());

    public double F64() => BitConverter.UInt64BitsToDouble(U64());

    public void Bytes(Span<byte> into) => Take(into.Length).CopyTo(into);

    public int Count(int max)
    {
        int n = I32();
        if (n < 0 || n > max) throw new InvalidDataException($"Snapshot count {n} is out of range (max {max}).");
        return n;
    }

    public FlowAddress Address()
    {
        byte family = U8();
        if (family == 0) return default;
        if (family != 4 && family != 6) throw new InvalidDataException("Bad address family in snapshot.");
        ulong hi = U64();
        ulong lo = U64();
        return new FlowAddress(hi, lo, family == 4);
    }
}
