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
    private readonly List<Func<ActorSystem, Task<ReadinessCheck>>> _checks = new();

    /// <summary>Adds a condition evaluated on every readiness probe.</summary>
    public void Add(Func<ActorSystem, ReadinessCheck> check) => Add(system => Task.FromResult(check(system)));

    /// <summary>Adds a condition that must ask an actor; it should answer within a second or two.</summary>
    public void Add(Func<ActorSystem, Task<ReadinessCheck>> check)
    {
        lock (_checks) _checks.Add(check);
    }

    /// <summary>Whether every condition holds.</summary>
    public async Task<bool> IsReadyAsync() => (await EvaluateAsync()).All(c => c.Ok);

    /// <summary>Evaluates every condition.</summary>
    public async Task<IReadOnlyList<ReadinessCheck>> EvaluateAsync()
    {
        ActorSystem? system;
        try
        {
            system = services.GetService(typeof(ActorSystem)) as ActorSystem;
        }
        catch (InvalidOperationException)
        {
            system = null; // Akka.Hosting has not created it yet
        }

        if (system is null || system.WhenTerminated.IsCompleted)
        {
            return [new ReadinessCheck("actor-system", false, system is null ? "not started" : "terminated")];
        }

        var self = Akka.Cluster.Cluster.Get(system).SelfMember;
        var results = new List<ReadinessCheck>
        {
            new("cluster-member-up", self.Status == MemberStatus.Up, $"{self.Address} is {self.Status}"),
        };
        Func<ActorSystem, Task<ReadinessCheck>>[] checks;
        lock (_checks) checks = _checks.ToArray();
        foreach (var check in checks) results.Add(await check(system));
        return results;
    }
}
