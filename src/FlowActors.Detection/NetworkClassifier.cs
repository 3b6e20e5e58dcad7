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

    /// <summary>
    /// Splits a flow into the observations of its monitored ends: the source host's outbound one and the destination
    /// host's inbound one, each marking whether the peer is monitored too. The one place that does it, for the receivers
    /// and the offline <see cref="FlowAnalyzer"/>. Allocation-free.
    /// </summary>
    /// <param name="record">The flow.</param>
    /// <param name="outbound">The source end's observation, valid when the result has <see cref="MonitoredEnds.Source"/>.</param>
    /// <param name="inbound">The destination end's observation, valid when the result has <see cref="MonitoredEnds.Destination"/>.</param>
    /// <returns>Which ends are monitored.</returns>
    public MonitoredEnds Split(in FlowRecord record, out FlowObservation outbound, out FlowObservation inbound)
    {
        bool srcIn = _set.Contains(record.SrcAddr);
        bool dstIn = _set.Contains(record.DstAddr);
        outbound = srcIn ? FlowObservation.FromOutbound(in record, dstIn) : default;
        inbound = dstIn ? FlowObservation.FromInbound(in record, srcIn) : default;
        return (srcIn ? MonitoredEnds.Source : MonitoredEnds.None) | (dstIn ? MonitoredEnds.Destination : MonitoredEnds.None);
    }
}

/// <summary>Which ends of a flow lie in the monitored networks (<see cref="NetworkClassifier.Split"/>).</summary>
[Flags]
public enum MonitoredEnds
{
    /// <summary>Neither: the flow concerns no monitored host.</summary>
    None = 0,
    /// <summary>The source is a monitored host (an outbound observation).</summary>
    Source = 1,
    /// <summary>The destination is a monitored host (an inbound observation).</summary>
    Destination = 2,
}
