namespace FlowActors.Siem.Tests.Support;

/// <summary>Alerts for format and transport tests: ordinary ones and ones full of hostile characters.</summary>
public static class TestAlerts
{
    /// <summary>Start of the test alerts' detection window.</summary>
    public static readonly DateTime T0 = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>A port scan by <paramref name="host"/> against 10.0.0.9, ports 22, 80, 443.</summary>
    public static Alert PortScan(string id = "0123456789abcdef0123456789abcdef", string host = "10.0.0.5", int count = 1) => new(
        id, T0.AddSeconds(42), host, Alert.ActorRole, ["10.0.0.9", "10.0.0.10"], [22, 80, 443], "port-scan",
        "TA0007", "Discovery", "T1046", "Network Service Discovery", 6,
        $"{host} probed 15 ports on 10.0.0.9 with failed or unanswered connections within 5 min: vertical port scan.",
        new Dictionary<string, double> { ["distinct_ports"] = 15, ["failed_attempts"] = 31, ["threshold_ports"] = 15 },
        T0, T0.AddMinutes(5), count);

    /// <summary>A SYN flood against <paramref name="host"/> (target role, TCP, a sub-technique).</summary>
    public static Alert SynFlood(string id = "fedcba9876543210fedcba9876543210", string host = "10.0.0.7") => new(
        id, T0.AddMinutes(5), host, Alert.TargetRole, ["198.51.100.23"], [443], "syn-flood",
        "TA0040", "Impact", "T1499.001", "Endpoint Denial of Service: OS Exhaustion Flood", 9,
        $"{host} received 52000 half-open TCP connection attempts from 1 source(s) on 1 port(s) within 5 min: SYN flood.",
        new Dictionary<string, double> { ["half_open_attempts"] = 52000, ["score"] = double.NaN },
        T0, T0.AddMinutes(5), 3);

    /// <summary>The characters every escaping rule has to survive.</summary>
    public const string HostileText = "pipe | equals = backslash \\ end\\ cr \r lf \n crlf \r\n bracket ] quote \" tab \t caret ^ "
        + "non-ASCII: é ü ß 日本語 emoji 🚨 and a trailing backslash \\";

    /// <summary>An alert whose free-text and list fields carry <see cref="HostileText"/>; the summary is very long when asked.</summary>
    public static Alert Hostile(string id = "hostile-id|=\\]\"", bool veryLong = false) => new(
        id, T0.AddSeconds(1), "10.0.0.66", Alert.ActorRole, ["10.0.0.99"], [8080], "brute-force|x=y\\z",
        "TA0006", "Credential Access", "T1110", "Brute Force | \\ = ] \" é", 7,
        veryLong ? string.Concat(Enumerable.Repeat(HostileText + " ", 400)) : HostileText,
        new Dictionary<string, double> { ["attempts"] = 120 }, T0, T0.AddMinutes(5), 2);

    /// <summary><paramref name="n"/> distinct port-scan alerts (ids <c>alert-000000</c> ...).</summary>
    public static List<Alert> Many(int n, string prefix = "alert") =>
        Enumerable.Range(0, n).Select(i => PortScan($"{prefix}-{i:D6}", $"10.1.{i / 250 % 250}.{(i % 250) + 1}")).ToList();
}
