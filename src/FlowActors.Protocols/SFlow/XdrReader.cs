using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FlowActors.Protocols.SFlow;

/// <summary>
/// A bounds-checked cursor over XDR (RFC 4506) data as sFlow v5 uses it: big-endian, every item a multiple of
/// four bytes, opaque data padded to the next four-byte boundary.
/// </summary>
/// <remarks>Every read checks what is left and returns false instead of throwing, so malformed input can never escape.</remarks>
internal ref struct XdrReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public XdrReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_data.Slice(_position));
        _position += 4;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadUInt64(out ulong value)
    {
        if (Remaining < 8)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt64BigEndian(_data.Slice(_position));
        _position += 8;
        return true;
    }

    /// <summary>Reads <paramref name="length"/> bytes plus XDR padding to a four-byte boundary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadFixedOpaque(int length, out ReadOnlySpan<byte> value)
    {
        // The padded length is computed in long so a length near int.MaxValue cannot wrap.
        long padded = ((long)length + 3) & ~3L;
        if (length < 0 || padded > Remaining)
        {
            value = default;
            return false;
        }

        value = _data.Slice(_position, length);
        _position += (int)padded;
        return true;
    }

    /// <summary>Reads variable-length opaque data: a 32-bit length, the bytes, padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadOpaque(out ReadOnlySpan<byte> value)
    {
        if (!TryReadUInt32(out uint length) || length > int.MaxValue)
        {
            value = default;
            return false;
        }

        return TryReadFixedOpaque((int)length, out value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TrySkip(int count)
    {
        if (count < 0 || count > Remaining) return false;
        _position += count;
        return true;
    }

    /// <summary>
    /// Reads an sFlow <c>address</c> union: type 1 = IPv4 (4 bytes), 2 = IPv6 (16 bytes), 0 = unknown (no bytes).
    /// Returns false on truncation or an undefined type.
    /// </summary>
    public bool TryReadAddress(out FlowAddress address)
    {
        address = default;
        return TryReadUInt32(out uint type) && TryReadAddressBody(type, out address);
    }

    /// <summary>Reads the body of an sFlow <c>address</c> whose type word has been read already.</summary>
    public bool TryReadAddressBody(uint type, out FlowAddress address)
    {
        address = default;
        switch (type)
        {
            case 0:
                return true;
            case 1:
                if (Remaining < 4) return false;
                address = FlowAddress.FromV4(_data.Slice(_position, 4));
                _position += 4;
                return true;
            case 2:
                if (Remaining < 16) return false;
                address = FlowAddress.FromV6(_data.Slice(_position, 16));
                _position += 16;
                return true;
            default:
                return false;
        }
    }
}
