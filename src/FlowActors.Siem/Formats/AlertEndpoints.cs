namespace FlowActors.Siem.Formats;

/// <summary>
/// The network view of an alert that every format shares: which end is the source and which the destination,
/// the service port, the transport protocol when the detector implies one, and the direction.
/// </summary>
/// <remarks>
/// An alert names the monitored host, its role and its top peers. When the host is the <c>actor</c> it is the
/// source and the first peer the destination; when it is the <c>target</c> the first peer is the source. The
/// ports an alert lists are the service (destination) ports; the source port is never known, so no format writes one.
/// </remarks>
internal readonly record struct AlertEndpoints(string? SourceIp, string? DestinationIp, int? DestinationPort, int? IanaProtocol, string Direction)
{
    public static AlertEndpoints Of(Alert alert)
    {
        string? peer = alert.Peers.Count > 0 ? alert.Peers[0] : null;
        bool actor = alert.Role == Alert.ActorRole;
        string? src = actor ? alert.Host : peer;
        string? dst = actor ? peer : alert.Host;
        int? port = alert.Ports.Count > 0 && alert.Ports[0] is >= 0 and <= 65535 ? alert.Ports[0] : null;
        return new AlertEndpoints(src, dst, port, Protocol(alert), DirectionOf(alert));
    }

    /// <summary>Name of an IANA protocol number as CEF and LEEF write it (<c>TCP</c>), or null.</summary>
    public static string? ProtocolName(int? number) => number switch
    {
        6 => "TCP",
        17 => "UDP",
        1 => "ICMP",
        58 => "IPv6-ICMP",
        null => null,
        _ => number.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>ECS <c>network.transport</c> (lower case IANA name), or null.</summary>
    public static string? EcsTransport(int? number) => number switch
    {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "ipv6-icmp",
        _ => null,
    };

    // Only detectors that look at one protocol imply it; the host sweep records the protocol it saw.
    private static int? Protocol(Alert alert)
    {
        if (alert.Evidence.TryGetValue("protocol", out double p) && double.IsFinite(p) && p is >= 0 and <= 255) return (int)p;
        return alert.Detector switch
        {
            "syn-flood" or "brute-force" or "lateral-movement" => 6,
            _ => null,
        };
    }

    // ECS network.direction values: inbound, outbound, internal, external, unknown.
    private static string DirectionOf(Alert alert) => alert.Detector switch
    {
        "inbound-scan" => "inbound",
        "exfiltration" or "beaconing" => "outbound", // both count only external peers
        "lateral-movement" => "internal",
        "port-scan" when alert.Role == Alert.TargetRole => "internal",
        _ => "unknown",
    };
}
