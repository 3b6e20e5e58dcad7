using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace FlowActors.Protocols;

/// <summary>
/// An IPv4 or IPv6 address held in 16 bytes without allocation. IPv4 addresses are stored as
/// IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>) and remember that they are IPv4, so they format as dotted quads.
/// </summary>
/// <remarks>
/// <see cref="IPAddress"/> allocates and is a class; flow records hold three addresses each, so the hot path
/// uses this value type instead. <see cref="GetStableHashCode"/> is identical in every process (unlike
/// <see cref="string.GetHashCode()"/>), which makes it safe for routing across a cluster.
/// </remarks>
public readonly struct FlowAddress : IEquatable<FlowAddress>, IComparable<FlowAddress>, ISpanFormattable
{
    private const ulong V4MappedHi = 0UL;
    private const ulong V4MappedLoPrefix = 0x0000_FFFF_0000_0000UL;

    /// <summary>High 64 bits of the 128-bit address, network order.</summary>
    public readonly ulong Hi;

    /// <summary>Low 64 bits of the 128-bit address, network order.</summary>
    public readonly ulong Lo;

    private readonly byte _family; // 0 = none, 4 = IPv4, 6 = IPv6

    /// <summary>Creates an address from its 128-bit value and family.</summary>
    public FlowAddress(ulong hi, ulong lo, bool isV4)
    {
        Hi = hi;
        Lo = lo;
        _family = isV4 ? (byte)4 : (byte)6;
    }

    /// <summary>The absent address (neither family); formats as an empty string.</summary>
    public static FlowAddress None => default;

    /// <summary>True when this is an IPv4 address.</summary>
    public bool IsV4 => _family == 4;

    /// <summary>True when this is an IPv6 address.</summary>
    public bool IsV6 => _family == 6;

    /// <summary>True when no address is set.</summary>
    public bool IsNone => _family == 0;

    /// <summary>The IPv4 address as a host-order integer (meaningful only when <see cref="IsV4"/>).</summary>
    public uint V4 => (uint)Lo;

    /// <summary>Makes an IPv4 address from a host-order integer (e.g. 0x0A000001 for 10.0.0.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowAddress FromV4(uint address) => new(V4MappedHi, V4MappedLoPrefix | address, true);

    /// <summary>Reads an IPv4 address from 4 bytes in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowAddress FromV4(ReadOnlySpan<byte> fourBytes) => FromV4(BinaryPrimitives.ReadUInt32BigEndian(fourBytes));

    /// <summary>Reads an IPv6 address from 16 bytes in network order. IPv4-mapped addresses stay IPv6.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowAddress FromV6(ReadOnlySpan<byte> sixteenBytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes), BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes.Slice(8)), false);

    /// <summary>Converts from <see cref="IPAddress"/> (IPv4-mapped IPv6 becomes IPv4).</summary>
    public static FlowAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromV4(bytes);
        }

        address.TryWriteBytes(bytes, out _);
        return FromV6(bytes);
    }

    /// <summary>Converts to <see cref="IPAddress"/> (allocates; not for the hot path).</summary>
    public IPAddress ToIPAddress()
    {
        if (IsNone)
        {
            return IPAddress.None;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, V4);
            return new IPAddress(bytes[..4]);
        }

        WriteBytes(bytes);
        return new IPAddress(bytes);
    }

    /// <summary>Writes the 16-byte (IPv6 or IPv4-mapped) form in network order.</summary>
    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(8), Lo);
    }

    /// <summary>Parses dotted-quad IPv4 or RFC 4291 IPv6 text.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out FlowAddress address) =>
        TryParse(text.AsSpan(), out address);

    /// <summary>Parses dotted-quad IPv4 or RFC 4291 IPv6 text.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out FlowAddress address)
    {
        if (!text.IsEmpty && IPAddress.TryParse(text, out var ip))
        {
            address = FromIPAddress(ip);
            return true;
        }

        address = default;
        return false;
    }

    /// <summary>Parses an address or throws <see cref="FormatException"/> naming the bad text.</summary>
    public static FlowAddress Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IPv4 or IPv6 address.");

    /// <summary>
    /// A hash that is the same in every process and on every machine (a 64-bit mix of the address bits),
    /// suitable for shard routing and sketches.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong GetStableHashCode()
    {
        ulong h = Hi * 0x9E3779B97F4A7C15UL ^ Lo;
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h ^ _family;
    }

    /// <inheritdoc />
    public bool Equals(FlowAddress other) => Hi == other.Hi && Lo == other.Lo && _family == other._family;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FlowAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)GetStableHashCode();

    /// <inheritdoc />
    public int CompareTo(FlowAddress other)
    {
        int c = _family.CompareTo(other._family);
        if (c != 0) return c;
        c = Hi.CompareTo(other.Hi);
        return c != 0 ? c : Lo.CompareTo(other.Lo);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(FlowAddress left, FlowAddress right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(FlowAddress left, FlowAddress right) => !left.Equals(right);

    /// <summary>Formats as dotted quad (IPv4), RFC 5952 text (IPv6) or empty (none).</summary>
    public override string ToString()
    {
        Span<char> buffer = stackalloc char[48];
        return TryFormat(buffer, out int written) ? new string(buffer[..written]) : string.Empty;
    }

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Formats without allocating.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        if (IsNone)
        {
            charsWritten = 0;
            return true;
        }

        if (IsV4)
        {
            uint v = V4;
            charsWritten = 0;
            for (int shift = 24; shift >= 0; shift -= 8)
            {
                if (!((v >> shift) & 0xFF).TryFormat(destination[charsWritten..], out int n))
                {
                    return false;
                }

                charsWritten += n;
                if (shift > 0)
                {
                    if (charsWritten >= destination.Length) return false;
                    destination[charsWritten++] = '.';
                }
            }

            return true;
        }

        Span<byte> bytes = stackalloc byte[16];
        WriteBytes(bytes);
        return new IPAddress(bytes).TryFormat(destination, out charsWritten);
    }

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormat(destination, out charsWritten);
}
