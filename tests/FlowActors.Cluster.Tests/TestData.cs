using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

/// <summary>Builders for alerts and observations used across tests.</summary>
internal static class TestData
{
    public static readonly DateTime T0 = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    public static Alert Alert(string id, string host = "10.0.0.5") => new(
        id, T0.AddSeconds(42), host, "actor", ["10.0.0.9", "2001:db8::1"], [22, 80, 443], "port-scan",
        "TA0007", "Discovery", "T1046", "Network Service Discovery", 6,
        $"{host} probed 15 ports on 10.0.0.9",
        new Dictionary<string, double> { ["distinct_ports"] = 15, ["threshold"] = 15 },
        T0, T0.AddMinutes(5), 1);

    public static long Ms(DateTime t) => (long)(t - DateTime.UnixEpoch).TotalMilliseconds;

    /// <summary>Outbound SYN-only TCP attempts from <paramref name="host"/> to <paramref name="target"/> on <paramref name="ports"/> consecutive ports.</summary>
    public static FlowObservation[] SynProbes(string host, string target, int ports, DateTime at, ushort firstPort = 1000)
    {
        var h = FlowAddress.Parse(host);
        var t = FlowAddress.Parse(target);
        var list = new FlowObservation[ports];
        for (int i = 0; i < ports; i++)
        {
            long start = Ms(at) + i * 100;
            list[i] = new FlowObservation(h, t, 40000, (ushort)(firstPort + i), 6, 0x02, true, true, 1, 60, start, start + 1);
        }
        return list;
    }

    /// <summary>
    /// A scan of <paramref name="target"/> in the 5-minute window starting at <paramref name="at"/>, followed by one benign
    /// flow six minutes later that moves event time past the window's end and allowed lateness, so the window closes
    /// and its detectors run.
    /// </summary>
    public static FlowObservation[] ScanThenCloseWindow(string host, string target, DateTime at) =>
        [.. SynProbes(host, target, 15, at), .. Sessions(host, 1, at.AddMinutes(6))];

    /// <summary>Benign completed TCP sessions (SYN+ACK+FIN seen) from <paramref name="host"/>.</summary>
    public static FlowObservation[] Sessions(string host, int count, DateTime at)
    {
        var h = FlowAddress.Parse(host);
        var list = new FlowObservation[count];
        for (int i = 0; i < count; i++)
        {
            long start = Ms(at) + i * 10;
            list[i] = new FlowObservation(h, FlowAddress.Parse("192.0.2.10"), (ushort)(50000 + i), 443, 6, 0x1B, true, false, 12, 4000, start, start + 500);
        }
        return list;
    }
}
