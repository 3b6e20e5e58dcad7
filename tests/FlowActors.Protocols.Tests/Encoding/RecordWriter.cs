using System.Buffers.Binary;
using System.Net;

namespace FlowActors.Protocols.Tests.Encoding;

/// <summary>Writes big-endian values the way exporters put them on the wire; for building test datagrams.</summary>
public sealed class RecordWriter
{
    private readonly List<byte> _bytes = new();

    public int Length => _bytes.Count;

    public RecordWriter U8(ulong v) { _bytes.Add((byte)v); return this; }

    public RecordWriter U16(ulong v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); _bytes.AddRange(b.ToArray()); return this; }

    public RecordWriter U32(ulong v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v); _bytes.AddRange(b.ToArray()); return this; }

    public RecordWriter U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); _bytes.AddRange(b.ToArray()); return this; }

    /// <summary>An unsigned integer on <paramref name="length"/> bytes (reduced-size or non-standard encodings).</summary>
    public RecordWriter Unsigned(ulong v, int length)
    {
        for (int i = length - 1; i >= 0; i--) _bytes.Add(i >= 8 ? (byte)0 : (byte)(v >> (8 * i)));
        return this;
    }

    public RecordWriter Ip(string address) { _bytes.AddRange(IPAddress.Parse(address).GetAddressBytes()); return this; }

    public RecordWriter Bytes(params byte[] b) { _bytes.AddRange(b); return this; }

    public RecordWriter Zeros(int n) { for (int i = 0; i < n; i++) _bytes.Add(0); return this; }

    /// <summary>An IPFIX variable-length field (RFC 7011 §7): 1-byte length, or 255 and a 2-byte length when <paramref name="longForm"/> or 255+ bytes.</summary>
    public RecordWriter VarLen(byte[] value, bool longForm = false)
    {
        if (longForm || value.Length >= 255)
        {
            U8(255);
            U16((ulong)value.Length);
        }
        else
        {
            U8((ulong)value.Length);
        }

        return Bytes(value);
    }

    public byte[] ToArray() => _bytes.ToArray();
}
