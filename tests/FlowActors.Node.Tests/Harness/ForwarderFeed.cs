using Akka.Actor;
using Akka.Hosting;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using FlowActors.Detection;
using Microsoft.Extensions.DependencyInjection;

namespace FlowActors.Node.Tests.Harness;

/// <summary>Hands alerts to an in-process node's forwarder singleton as a host actor would, and waits for the acknowledgement.</summary>
public static class ForwarderFeed
{
    /// <summary>An alert with the given id and detector (the rest fixed).</summary>
    public static Alert Alert(string id, string detector = "port-scan", int severity = 6, string host = "10.99.0.10") => new(
        id, new DateTime(2026, 11, 20, 10, 0, 0, DateTimeKind.Utc), host, "actor", ["10.99.0.20"], [22], detector,
        "TA0007", "Discovery", "T1046", "Network Service Discovery", severity, $"{host} {detector}",
        new Dictionary<string, double> { ["distinct_ports"] = 15 },
        new DateTime(2026, 11, 20, 9, 55, 0, DateTimeKind.Utc), new DateTime(2026, 11, 20, 10, 0, 0, DateTimeKind.Utc), 1);

    /// <summary>Sends each alert and waits until the forwarder has journalled it.</summary>
    public static async Task AcceptAsync(InProcessNode node, params Alert[] alerts)
    {
        var system = node.Services.GetRequiredService<ActorSystem>();
        var registry = ActorRegistry.For(system);
        IActorRef? proxy = null;
        await Poll.UntilAsync(() => Task.FromResult(registry.TryGet<ForwarderProxyMarker>(out proxy)), TimeSpan.FromSeconds(30), "the forwarder proxy");
        foreach (var alert in alerts)
        {
            // The singleton may still be starting: like a host actor, resend until acknowledged.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                try
                {
                    await proxy!.Ask<AlertAccepted>(new ForwardAlert(alert), TimeSpan.FromSeconds(3));
                    break;
                }
                catch (AskTimeoutException) when (DateTime.UtcNow < deadline)
                {
                }
            }
        }
    }
}
