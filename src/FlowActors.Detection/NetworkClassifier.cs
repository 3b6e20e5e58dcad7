using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// Decides which addresses belong to the monitored (internal) networks. Each monitored end of a flow
/// becomes a host entity; other addresses appear only as peers.
/// </summary>
public sealed class NetworkClassifier
{
    private readonly PrefixSet _set;

    /// <summary>The RFC 1918 IPv4 private ranges and the RFC 4193 IPv6 unique local range.</summary>
    public static IReadOnlyList<string> DefaultNetworks { get; } = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

    /// <summary>Classifier for <see cref="DefaultNetworks"/>.</summary>
    public static NetworkClassifier Default { get; } = new(DefaultNetworks);

    /// <summary>Creates a classifier for the given CIDR prefixes (bare addresses mean a single host).</summary>
    /// <exception cref="ArgumentException">An entry is not a CIDR prefix; the message names it.</exception>
    public NetworkClassifier(IEnumerable<string> cidrs)
    {
        ArgumentNullException.ThrowIfNull(cidrs);
        var list = cidrs.ToList();
        if (!PrefixSet.TryBuild(list, out _set, out string? error))
        {
            throw new ArgumentException($"Detection:Networks: {error}", nameof(cidrs));
        }

        Networks = list;
    }

    /// <summary>The prefixes as configured.</summary>
    public IReadOnlyList<string> Networks { get; }

    /// <summary>True when <paramref name="address"/> lies in a monitored network. Allocation-free.</summary>
    public bool IsMonitored(FlowAddress address) => _set.Contains(address);
}
