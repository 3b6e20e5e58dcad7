using System.Runtime.CompilerServices;

namespace FlowActors.Detection;

/// <summary>What a single flow record says about a connection attempt.</summary>
public enum AttemptKind : byte
{
    /// <summary>An ordinary record (completed or non-TCP); the initiator is inferred from the ports.</summary>
    Ordinary = 0,

    /// <summary>
    /// Initiator side of a failed or unanswered TCP attempt: SYN seen, ACK never seen. Cumulative flags of the
    /// client's record of every completed handshake contain ACK, so SYN-without-ACK means the client never
    /// completed it: unanswered (S0), refused (REJ), or reset after a SYN-ACK as a half-open scanner does.
    /// </summary>
    FailedAttempt = 1,

    /// <summary>
    /// Responder side of a refused TCP attempt: RST without SYN, FIN or PSH in at most 2 packets — the
    /// RST/ACK a closed port sends back.
    /// </summary>
    Refusal = 2,

    /// <summary>
    /// Responder side of a handshake: SYN and ACK without FIN or PSH in at most 3 packets — the SYN-ACK an open
    /// port sends to a probe (optionally followed by an RST). The sender answered; it did not connect.
    /// </summary>
    Answer = 3,
}

/// <summary>
/// The rules that turn unidirectional flow records into connection facts (who initiated, did it fail).
/// Exporters such as softflowd and most routers export each direction as its own record with the OR of all
/// TCP flags seen, so the handshake's outcome must be read from one side's flags.
/// </summary>
public static class FlowRules
{
    private const ushort Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    /// <summary>Classifies a TCP record by its cumulative flags (see <see cref="AttemptKind"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static AttemptKind Classify(byte protocol, ushort tcpFlags, ulong packets)
    {
        if (protocol != 6 || tcpFlags == 0) return AttemptKind.Ordinary;
        if ((tcpFlags & (Syn | Ack)) == Syn) return AttemptKind.FailedAttempt;
        if ((tcpFlags & (Syn | Fin | Psh | Rst)) == Rst && packets <= 2) return AttemptKind.Refusal;
        if ((tcpFlags & (Syn | Ack | Fin | Psh)) == (Syn | Ack) && packets <= 1) return AttemptKind.Answer;
        return AttemptKind.Ordinary;
    }

    /// <summary>
    /// For an ordinary record: true when its source is the connection's initiator (the client). ICMP: echo,
    /// timestamp, information and address-mask requests are initiated by their source. TCP/UDP: the side on a
    /// well-known service port (below 1024 or in the registered list) is the server; failing that, the higher
    /// (ephemeral) port is the client.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool SourceIsInitiator(byte protocol, ushort srcPort, ushort dstPort)
    {
        if (protocol == 1)
        {
            int type = dstPort >> 8;
            return type is 8 or 13 or 15 or 17;
        }

        if (protocol == 58)
        {
            return dstPort >> 8 == 128;
        }

        bool srcService = IsServicePort(srcPort), dstService = IsServicePort(dstPort);
        if (srcService != dstService) return dstService;
        return srcPort >= dstPort;
    }

    /// <summary>True for ports below 1024 and registered service ports commonly served (databases, RDP, web alternates, ...).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsServicePort(ushort port) => (ServicePorts[port >> 6] & (1UL << (port & 63))) != 0;

    /// <summary>True for an ICMP or ICMPv6 echo request (type carried in the port as type * 256 + code).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsEchoRequest(byte protocol, ushort icmpTypeCode) =>
        (protocol == 1 && icmpTypeCode >> 8 == 8) || (protocol == 58 && icmpTypeCode >> 8 == 128);

    /// <summary>The built-in registered ports above 1023 treated as well-known services.</summary>
    public static IReadOnlyList<int> RegisteredServicePorts { get; } =
    [
        1080, 1194, 1433, 1434, 1521, 1701, 1723, 1812, 1813, 1883, 2049, 2082, 2083, 2181, 2375, 2376, 2379, 2380,
        3128, 3268, 3269, 3306, 3389, 3478, 3479, 4500, 4789, 5000, 5001, 5060, 5061, 5222, 5223, 5228, 5353, 5355,
        5432, 5601, 5671, 5672, 5900, 5938, 5985, 5986, 6379, 6443, 6514, 8000, 8008, 8080, 8081, 8088, 8443, 8883,
        8888, 9000, 9042, 9090, 9092, 9100, 9200, 9300, 9418, 9443, 10250, 11211, 19302, 27017, 50000, 51820,
    ];

    // Declared after RegisteredServicePorts: static initializers run in text order.
    private static readonly ulong[] ServicePorts = BuildServicePorts();

    private static ulong[] BuildServicePorts()
    {
        var bits = new ulong[1024];
        for (int p = 1; p < 1024; p++) bits[p >> 6] |= 1UL << (p & 63);
        foreach (int p in RegisteredServicePorts) bits[p >> 6] |= 1UL << (p & 63);
        return bits;
    }
}

/// <summary>A fixed set of ports as a 8 KB bit map (one probe per lookup).</summary>
internal sealed class PortSet
{
    private readonly ulong[] _bits = new ulong[1024];

    public PortSet(IEnumerable<int> ports)
    {
        foreach (int p in ports)
        {
            if (p is >= 0 and <= 65535)
            {
                _bits[p >> 6] |= 1UL << (p & 63);
                IsEmpty = false;
            }
        }
    }

    public bool IsEmpty { get; } = true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(ushort port) => (_bits[port >> 6] & (1UL << (port & 63))) != 0;
}
