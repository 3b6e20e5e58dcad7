using Akka.Actor;
using Akka.Cluster;

namespace FlowActors.Node.Hosting;

/// <summary>One readiness condition and whether it holds.</summary>
/// <param name="Name">What is checked.</param>
/// <param name="Ok">Whether it holds.</param>
/// <param name="Detail">What was seen.</param>
public sealed record ReadinessCheck(string Name, bool Ok, string Detail);

/// <summary>Readiness: this node is an Up member and the actors its roles need are in place.</summary>
public sealed class NodeReadiness(IServiceProvider services)
{
    private readonly List<Func<ActorSystem, ReadinessCheck>> _checks = new();

    /// <summary>Adds a condition evaluated on every readiness probe.</summary>
    public void Add(Func<ActorSystem, ReadinessCheck> check)
    {
        lock (_checks) _checks.Add(check);
    }

    /// <summary>Evaluates every condition.</summary>
    public IReadOnlyList<ReadinessCheck> Evaluate()
    {
        var system = services.GetService(typeof(ActorSystem)) as ActorSystem;
        if (system is null || system.WhenTerminated.IsCompleted)
        {
            return [new ReadinessCheck("actor-system", false, system is null ? "not started" : "terminated")];
        }

        var self = Akka.Cluster.Cluster.Get(system).SelfMember;
        var results = new List<ReadinessCheck>
        {
            new("cluster-member-up", self.Status == MemberStatus.Up, $"{self.Address} is {self.Status}"),
        };
        Func<ActorSystem, ReadinessCheck>[] checks;
        lock (_checks) checks = _checks.ToArray();
        foreach (var check in checks) results.Add(check(system));
        return results;
    }
}
