using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Serialization;

/// <summary>Little-endian binary writer over a growable buffer (the serializer's output side).</summary>
internal sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public WireWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void U8(byte v) { _buffer.GetSpan(1)[0] = v; _buffer.Advance(1); }
    public void Bool(bool v) => U8(v ? (byte)1 : (byte)0);
    public void U16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), v); _buffer.Advance(2); }
    public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), v); _buffer.Advance(4); }
    public void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), v); _buffer.Advance(4); }
    public void I64(long v) { BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); }
    public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); }
    public void F64(double v) { BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); }

    /// <summary>Family byte (0 none, 4, 6) then 4 or 16 address bytes.</summary>
    public void Address(FlowAddress a)
    {
        if (a.IsNone) { U8(0); return; }
        if (a.IsV4) { U8(4); BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), a.V4); _buffer.Advance(4); return; }
        U8(6);
        a.WriteBytes(_buffer.GetSpan(16));
        _buffer.Advance(16);
    }

    /// <summary>Null marker as length -1, else UTF-8 length then bytes.</summary>
    public void String(string? s)
    {
        if (s is null) { I32(-1); return; }
        int n = Encoding.UTF8.GetByteCount(s);
        I32(n);
        Encoding.UTF8.GetBytes(s, _buffer.GetSpan(n));
        _buffer.Advance(n);
    }

    public void Bytes(ReadOnlySpan<byte> b)
    {
        I32(b.Length);
        b.CopyTo(_buffer.GetSpan(b.Length));
        _buffer.Advance(b.Length);
    }
}

/// <summary>Reader matching <see cref="WireWriter"/>; any truncation or impossible length throws <see cref="SerializationException"/>.</summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public WireReader(ReadOnlySpan<byte> data) { _data = data; _pos = 0; }

    public readonly int Remaining => _data.Length - _pos;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _data.Length - _pos) throw new SerializationException($"FlowActors message truncated: wanted {n} bytes at offset {_pos} of {_data.Length}.");
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }

    public byte U8() => Take(1)[0];
    public bool Bool() => U8() != 0;
    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public double F64() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public FlowAddress Address() => U8() switch
    {
        0 => FlowAddress.None,
        4 => FlowAddress.FromV4(Take(4)),
        6 => FlowAddress.FromV6(Take(16)),
        var f => throw new SerializationException($"FlowActors message has address family {f}; expected 0, 4 or 6."),
    };

    public string? String()
    {
        int n = I32();
        return n == -1 ? null : Encoding.UTF8.GetString(Take(n));
    }

    public string RequiredString() => String() ?? throw new SerializationException("FlowActors message has a null where a string is required.");

    public byte[] Bytes() => Take(I32()).ToArray();

    /// <summary>A count of items each at least <paramref name="minItemBytes"/> long that must fit in what remains.</summary>
    public int Count(int minItemBytes)
    {
        int n = I32();
        if (n < 0 || (long)n * minItemBytes > Remaining) throw new SerializationException($"FlowActors message has an impossible item count {n}.");
        return n;
    }
}
