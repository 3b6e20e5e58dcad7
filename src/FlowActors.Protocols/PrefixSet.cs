using System.Globalization;

namespace FlowActors.Protocols;

/// <summary>
/// An immutable set of IPv4/IPv6 prefixes answering "is this address inside any of them" without allocating:
/// one hash set per prefix length in use, probed longest first. A handful of lengths covers real lists, so a
/// lookup is a few masked hash probes however many prefixes there are. The one CIDR set of the code base: the
/// exporter allowlist, the monitored networks, threat-intel lists and detection allowlists are all built on it.
/// </summary>
public sealed class PrefixSet
{
    private readonly int[] _v4Lengths;
    private readonly HashSet<uint>[] _v4Sets;
    private readonly int[] _v6Lengths;
    private readonly HashSet<UInt128>[] _v6Sets;

    // Few IPv4 prefixes (the monitored networks: RFC 1918 and a few more) are answered by a scan of (network, mask)
    // pairs: a compare each, where one hash probe per length cost 3 % of a node's CPU (it runs twice per record).
    private const int LinearV4Limit = 16;
    private readonly uint[]? _v4Networks;
    private readonly uint[]? _v4Masks;

    /// <summary>Number of prefixes held (after removing exact duplicates).</summary>
    public int Count { get; }

    private PrefixSet(Dictionary<int, HashSet<uint>> v4, Dictionary<int, HashSet<UInt128>> v6)
    {
        _v4Lengths = v4.Keys.OrderByDescending(k => k).ToArray();
        _v4Sets = _v4Lengths.Select(l => v4[l]).ToArray();
        _v6Lengths = v6.Keys.OrderByDescending(k => k).ToArray();
        _v6Sets = _v6Lengths.Select(l => v6[l]).ToArray();
        Count = v4.Values.Sum(s => s.Count) + v6.Values.Sum(s => s.Count);
        int v4Count = v4.Values.Sum(s => s.Count);
        if (v4Count <= LinearV4Limit)
        {
            var pairs = _v4Lengths.SelectMany(l => v4[l].Select(n => (Network: n, Mask: l == 0 ? 0u : uint.MaxValue << (32 - l)))).ToArray();
            _v4Networks = pairs.Select(p => p.Network).ToArray();
            _v4Masks = pairs.Select(p => p.Mask).ToArray();
        }
    }

    /// <summary>An empty set.</summary>
    public static PrefixSet Empty { get; } = new(new(), new());

    /// <summary>True when <paramref name="address"/> lies inside one of the prefixes.</summary>
    public bool Contains(FlowAddress address)
    {
        if (address.IsV4)
        {
            uint a = address.V4;
            if (_v4Networks is { } networks)
            {
                var masks = _v4Masks!;
                for (int i = 0; i < networks.Length; i++)
                {
                    if ((a & masks[i]) == networks[i]) return true;
                }

                return false;
            }

            var lengths = _v4Lengths;
            for (int i = 0; i < lengths.Length; i++)
            {
                int l = lengths[i];
                uint mask = l == 0 ? 0u : uint.MaxValue << (32 - l);
                if (_v4Sets[i].Contains(a & mask)) return true;
            }

            return false;
        }

        if (address.IsV6)
        {
            var a = new UInt128(address.Hi, address.Lo);
            var lengths = _v6Lengths;
            for (int i = 0; i < lengths.Length; i++)
            {
                int l = lengths[i];
                UInt128 mask = l == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - l);
                if (_v6Sets[i].Contains(a & mask)) return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Builds a set from CIDR or bare-address strings. Blank entries and <c>#</c> comments are skipped.
    /// Returns false with a message for the first malformed entry.
    /// </summary>
    public static bool TryBuild(IEnumerable<string> entries, out PrefixSet set, out string? error)
    {
        var v4 = new Dictionary<int, HashSet<uint>>();
        var v6 = new Dictionary<int, HashSet<UInt128>>();
        foreach (string raw in entries)
        {
            string entry = StripComment(raw);
            if (entry.Length == 0) continue;
            if (!TryParseCidr(entry, out var address, out int length))
            {
                set = Empty;
                error = $"'{entry}' is not an address or CIDR prefix (e.g. 10.0.0.0/8 or fd00::/8)";
                return false;
            }

            if (address.IsV4)
            {
                uint mask = length == 0 ? 0u : uint.MaxValue << (32 - length);
                if (!v4.TryGetValue(length, out var s)) v4[length] = s = new HashSet<uint>();
                s.Add(address.V4 & mask);
            }
            else
            {
                UInt128 mask = length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);
                if (!v6.TryGetValue(length, out var s)) v6[length] = s = new HashSet<UInt128>();
                s.Add(new UInt128(address.Hi, address.Lo) & mask);
            }
        }

        set = new PrefixSet(v4, v6);
        error = null;
        return true;
    }

    /// <summary>Removes a trailing <c>#</c> or <c>;</c> comment and surrounding white space.</summary>
    public static string StripComment(string line)
    {
        int hash = line.AsSpan().IndexOfAny('#', ';');
        return (hash >= 0 ? line[..hash] : line).Trim();
    }

    /// <summary>
    /// Why <paramref name="text"/> is not a network in CIDR form (address/length, no host bits set), as a phrase that
    /// completes "must list CIDR prefixes ..."; null when it is one. Stricter than <see cref="TryParseCidr"/>:
    /// configured networks must say exactly what they mean ("10.0.0.1/8" is more likely a typo than a network).
    /// </summary>
    public static string? DescribeInvalidNetwork(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        int slash = text.IndexOf('/');
        if (slash <= 0) return "(address/length)";
        if (!FlowAddress.TryParse(text.AsSpan(0, slash), out var address)) return "whose address is an IP address";
        int max = address.IsV4 ? 32 : 128;
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > max)
        {
            return $"whose length is 0-{max.ToString(CultureInfo.InvariantCulture)} for this address family";
        }

        bool hostBits = address.IsV4
            ? (address.V4 & (length == 0 ? uint.MaxValue : ~(uint.MaxValue << (32 - length)))) != 0
            : (new UInt128(address.Hi, address.Lo) & (length == 0 ? UInt128.MaxValue : ~(UInt128.MaxValue << (128 - length)))) != UInt128.Zero;
        return hostBits ? "with no host bits set" : null;
    }

    /// <summary>Parses <c>a.b.c.d/n</c>, <c>x::/n</c> or a bare address (full length).</summary>
    public static bool TryParseCidr(string text, out FlowAddress address, out int length)
    {
        int slash = text.IndexOf('/');
        string addr = slash >= 0 ? text[..slash] : text;
        if (!FlowAddress.TryParse(addr.Trim(), out address))
        {
            length = 0;
            return false;
        }

        int max = address.IsV4 ? 32 : 128;
        if (slash < 0)
        {
            length = max;
            return true;
        }

        return int.TryParse(text.AsSpan(slash + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out length)
               && length >= 0 && length <= max;
    }
}
