using System.Buffers.Binary;

namespace FlowActors.Protocols.Templates;

/// <summary>
/// Walks the sets of a NetFlow v9 export packet (RFC 3954 §5, "FlowSets") or an IPFIX message (RFC 7011 §3.3):
/// both are a 2-byte id and a 2-byte length that counts its own 4-byte header.
/// </summary>
internal static class SetReader
{
    /// <summary>
    /// Reads the set at <paramref name="pos"/> and advances past it. Returns false at the end, or on a length that is
    /// shorter than the set header or runs past the datagram (recorded in <paramref name="tally"/>).
    /// </summary>
    public static bool TryNext(ReadOnlySpan<byte> datagram, ref int pos, out ushort id, out ReadOnlySpan<byte> body, ref DecodeTally tally)
    {
        id = 0;
        body = default;
        if (datagram.Length - pos < 4) return false;
        id = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(pos));
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(pos + 2));
        if (length < 4)
        {
            tally.Fail(DecodeError.BadLength);
            return false;
        }

        if (length > datagram.Length - pos)
        {
            tally.Fail(DecodeError.Truncated);
            return false;
        }

        body = datagram.Slice(pos + 4, length - 4);
        pos += length;
        return true;
    }
}
