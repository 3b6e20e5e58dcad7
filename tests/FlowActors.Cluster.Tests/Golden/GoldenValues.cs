using FlowActors.Cluster.Messages;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests.Golden;

/// <summary>
/// The fixed values whose encoded bytes are committed under Golden/ (see Golden/README.md). Never change a value:
/// committed files written from it would no longer match. Add a new name instead.
/// </summary>
internal static class GoldenValues
{
    private static readonly DateTime T0 = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>A W3C traceparent (the example of the Trace Context specification).</summary>
    public const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /// <summary>An alert using every field: IPv4 and IPv6 peers, several ports, non-ASCII text, fractional evidence.</summary>
    public static Alert Alert(string id = "port-scan:10.0.0.5:actor:1764331200000", int count = 3) => new(
        id, T0.AddSeconds(42.5), "10.0.0.5", "actor", ["10.0.0.9", "2001:db8::1"], [22, 80, 443, 65535], "port-scan",
        "TA0007", "Discovery", "T1046", "Network Service Discovery", 6,
        "10.0.0.5 probed 15 ports on 10.0.0.9 (Prüfung ✓)",
        new Dictionary<string, double> { ["distinct_ports"] = 15, ["threshold"] = 15, ["ratio"] = 0.125, ["negative"] = -3.5 },
        T0, T0.AddMinutes(5), count);

    /// <summary>A second, smaller alert (no peers, no ports, no evidence).</summary>
    public static Alert Bare() => new(
        "dns-tunnel:fd00::7:actor:1764331500000", T0.AddMinutes(7), "fd00::7", "actor", [], [], "dns-tunnel",
        "TA0011", "Command and Control", "T1071.004", "DNS", 8, "fd00::7 sent 9000 long DNS queries",
        new Dictionary<string, double>(), T0.AddMinutes(5), T0.AddMinutes(10), 1);

    private static FlowObservation Observation(string host, string peer, ushort localPort, ushort peerPort, byte proto, ushort flags, bool outbound, bool peerInternal, uint peerAs, int i) =>
        new(FlowAddress.Parse(host), FlowAddress.Parse(peer), localPort, peerPort, proto, flags, outbound, peerInternal,
            (ulong)(10 + i), (ulong)(1_500 + i), 1_764_331_200_000 + i, 1_764_331_200_100 + i, peerAs);

    /// <summary>Every persisted or alert-bearing message, and the packed batches, by golden file name.</summary>
    public static IReadOnlyList<(string Name, object Value)> Messages() =>
    [
        ("forward-alert", new ForwardAlert(Alert())),
        ("alert-accepted", new AlertAccepted("port-scan:10.0.0.5:actor:1764331200000", 3)),
        ("alert-journaled", new AlertJournaled(Alert())),
        ("sink-progress", new SinkProgress("jsonl", 1_234_567_890_123)),
        ("forwarder-snapshot", new ForwarderSnapshot(
            [new OutboxEntry(7, Alert()), new OutboxEntry(9, Bare())],
            [new SinkProgress("jsonl", 6), new SinkProgress("syslog-tls", 0)],
            ["port-scan:10.0.0.5:actor:1764331200000#3", "dns-tunnel:fd00::7:actor:1764331500000#1"])),
        // Values with a trace context (tagged format only: the positional one had no place for it).
        ("forward-alert-traced", new ForwardAlert(Alert(), TraceParent)),
        ("alert-journaled-traced", new AlertJournaled(Alert(), TraceParent)),
        ("forwarder-snapshot-traced", new ForwarderSnapshot(
            [new OutboxEntry(7, Alert(), TraceParent), new OutboxEntry(9, Bare())], [new SinkProgress("jsonl", 6)], [])),
        ("pulled-alerts", new PulledAlerts([new PulledAlert(7, Alert()), new PulledAlert(9, Bare())], 10, 3, true, 1_000)),
        ("host-snapshot", HostSnapshot()),
        ("observe-batch", new ObserveBatch(FlowAddress.Parse("10.0.0.5"),
        [
            Observation("10.0.0.5", "192.0.2.1", 40_000, 443, 6, 0x1B, true, false, 64_496, 0),
            Observation("10.0.0.5", "10.0.0.9", 22, 51_000, 6, 0x02, false, true, 0, 1),
            Observation("10.0.0.5", "2001:db8::1", 5353, 53, 17, 0, true, false, 0, 2),
        ])),
        ("shard-observations", new ShardObservations(17,
        [
            Observation("10.0.0.5", "192.0.2.1", 40_000, 443, 6, 0x1B, true, false, 64_496, 0),
            Observation("fd00::7", "2001:db8::1", 5353, 53, 17, 0, true, false, 0, 1),
        ], 2)),
    ];

    /// <summary>A host's stored state: the host-state table's blob and the host snapshot message.</summary>
    public static HostSnapshot HostSnapshot() =>
        new(FlowAddress.Parse("10.0.0.5"), 1_234_567, [0x46, 0x48, 0x02, 0x00, 0xFF, 0x7F], [Alert(), Bare()]);
}
