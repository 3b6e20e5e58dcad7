using FlowActors.Cluster.Messages;

namespace FlowActors.Node.Hosting;

/// <summary>Whether the receivers' report shows every configured UDP port bound with all its receive loops running.</summary>
public static class ReceiverReadiness
{
    /// <summary>Name of the readiness check.</summary>
    public const string Name = "flow-receivers";

    /// <summary>
    /// The check for <paramref name="ports"/> (as the receivers report them; <see cref="PortStats.Sockets"/> counts
    /// running loops) against the configured <paramref name="expectedPorts"/> with <paramref name="socketsPerPort"/> each.
    /// </summary>
    public static ReadinessCheck Evaluate(IReadOnlyList<PortStats> ports, IReadOnlyList<int> expectedPorts, int socketsPerPort)
    {
        var problems = new List<string>();
        foreach (int port in expectedPorts)
        {
            var bound = ports.FirstOrDefault(p => p.Port == port);
            if (bound is null) problems.Add($"UDP {port} not bound (in use by another process, or not opened yet: see the log)");
            else if (bound.Sockets < socketsPerPort) problems.Add($"UDP {port}: {bound.Sockets} of {socketsPerPort} receive loops running");
        }

        return problems.Count == 0
            ? new ReadinessCheck(Name, true, $"{expectedPorts.Count} UDP ports open, {socketsPerPort} receive loop(s) each")
            : new ReadinessCheck(Name, false, string.Join("; ", problems));
    }
}
