using FlowActors.Protocols;

namespace FlowActors.Protocols.Tests;

/// <summary>The one CIDR set: exporter allowlist, monitored networks, threat intel and detection allowlists use it.</summary>
public sealed class PrefixSetTests
{
    [Fact]
    public void Addresses_inside_any_prefix_of_either_family_match_and_others_do_not()
    {
        Assert.True(PrefixSet.TryBuild(["192.0.2.1", "198.51.100.0/24 # lab", "", "2001:db8::/32", "10.0.0.0/8"], out var set, out var error));
        Assert.Null(error);
        Assert.Equal(4, set.Count);

        Assert.True(set.Contains(FlowAddress.Parse("192.0.2.1")));
        Assert.False(set.Contains(FlowAddress.Parse("192.0.2.2")));
        Assert.True(set.Contains(FlowAddress.Parse("198.51.100.254")));
        Assert.False(set.Contains(FlowAddress.Parse("198.51.101.1")));
        Assert.True(set.Contains(FlowAddress.Parse("10.255.255.255")));
        Assert.True(set.Contains(FlowAddress.Parse("2001:db8:1::9")));
        Assert.False(set.Contains(FlowAddress.Parse("2001:db9::9")));
    }

    [Theory]
    [InlineData(5)] // answered by the linear scan (16 IPv4 prefixes or fewer)
    [InlineData(16)]
    [InlineData(17)] // answered by one hash set per prefix length
    [InlineData(400)]
    public void Both_lookup_paths_agree_with_a_brute_force_check(int prefixes)
    {
        var random = new Random(prefixes);
        var list = new List<(uint Network, int Length)>();
        for (int i = 0; i < prefixes; i++)
        {
            int length = random.Next(0, 4) switch { 0 => 8, 1 => 16, 2 => 24, _ => random.Next(1, 33) };
            uint mask = uint.MaxValue << (32 - length);
            list.Add(((uint)random.Next() << 1 & mask, length));
        }
        Assert.True(PrefixSet.TryBuild(list.Select(p => $"{FlowAddress.FromV4(p.Network)}/{p.Length}"), out var set, out _));
        for (int i = 0; i < 20_000; i++)
        {
            // Half inside a listed prefix (a random address within it), half anywhere.
            uint a = (uint)random.Next() << 1 ^ (uint)random.Next(2);
            if (i % 2 == 0)
            {
                var (network, length) = list[random.Next(list.Count)];
                a = network | (a & ~(uint.MaxValue << (32 - length)));
            }
            bool expected = list.Any(p => (a & (uint.MaxValue << (32 - p.Length))) == p.Network);
            Assert.Equal(expected, set.Contains(FlowAddress.FromV4(a)));
        }
    }

    [Fact]
    public void A_malformed_entry_is_refused_with_its_text()
    {
        Assert.False(PrefixSet.TryBuild(["192.0.2.0/24", "router-1"], out var set, out var error));
        Assert.Equal(0, set.Count);
        Assert.StartsWith("'router-1' is not an address or CIDR prefix", error, StringComparison.Ordinal);
        Assert.False(PrefixSet.TryBuild(["10.0.0.0/33"], out _, out _));
        Assert.False(PrefixSet.TryBuild(["fc00::/129"], out _, out _));
    }

    [Theory]
    [InlineData("10.0.0.0/8", null)]
    [InlineData("fc00::/7", null)]
    [InlineData("0.0.0.0/0", null)]
    [InlineData("10.0.0.1/32", null)]
    [InlineData("10.0.0.0", "(address/length)")]
    [InlineData("ten/8", "whose address is an IP address")]
    [InlineData("10.0.0.0/33", "whose length is 0-32 for this address family")]
    [InlineData("fc00::/129", "whose length is 0-128 for this address family")]
    [InlineData("10.0.0.1/8", "with no host bits set")]
    [InlineData("2001:db8::1/64", "with no host bits set")]
    public void A_configured_network_must_say_exactly_what_it_means(string text, string? problem)
    {
        Assert.Equal(problem, PrefixSet.DescribeInvalidNetwork(text));
    }
}
