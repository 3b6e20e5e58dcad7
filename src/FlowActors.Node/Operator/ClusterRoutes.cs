using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowActors.Node.Operator;

/// <summary><c>flowctl cluster ...</c>: show, status, leader, leave, down-unreachable.</summary>
internal static class ClusterRoutes
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/api/cluster/show", (ActorSystem system) =>
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var state = cluster.State;
            var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
            var members = state.Members
                .Select(m => new MemberView(m.Address.ToString(), m.Status.ToString(), m.Roles.OrderBy(r => r, StringComparer.Ordinal).ToArray(), m.AppVersion.ToString(), !unreachable.Contains(m.Address), m.Address == cluster.SelfAddress))
                .ToArray();
            return Results.Json(new { self = cluster.SelfAddress.ToString(), leader = state.Leader?.ToString(), members }, OperatorEndpoint.Json);
        });

        app.MapGet("/api/cluster/status", (ActorSystem system) =>
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var state = cluster.State;
            var self = cluster.SelfMember;
            return Results.Json(new
            {
                self = cluster.SelfAddress.ToString(),
                status = self.Status.ToString(),
                roles = self.Roles.OrderBy(r => r, StringComparer.Ordinal).ToArray(),
                leader = state.Leader?.ToString(),
                is_leader = state.Leader == cluster.SelfAddress,
                members = state.Members.Count,
                members_up = state.Members.Count(m => m.Status == MemberStatus.Up),
                unreachable = state.Unreachable.Count,
            }, OperatorEndpoint.Json);
        });

        app.MapGet("/api/cluster/leader", (ActorSystem system) =>
        {
            var state = Akka.Cluster.Cluster.Get(system).State;
            var roleLeaders = state.AllRoles
                .Where(r => !r.StartsWith("dc-", StringComparison.Ordinal))
                .OrderBy(r => r, StringComparer.Ordinal)
                .ToDictionary(r => r, r => state.RoleLeader(r)?.ToString());
            return Results.Json(new { leader = state.Leader?.ToString(), role_leaders = roleLeaders }, OperatorEndpoint.Json);
        });

        app.MapPost("/api/cluster/leave", (ActorSystem system, string? address) =>
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            Address target = cluster.SelfAddress;
            if (!string.IsNullOrEmpty(address))
            {
                var member = cluster.State.Members.FirstOrDefault(m => m.Address.ToString() == address);
                if (member is null) return OperatorEndpoint.Error($"{address} is not a member (see: flowctl cluster show)", 404);
                target = member.Address;
            }

            // Leave is graceful: the member's shards and singletons are handed over before it is removed.
            cluster.Leave(target);
            return Results.Json(new { leaving = target.ToString() }, OperatorEndpoint.Json, statusCode: 202);
        });

        app.MapPost("/api/cluster/down-unreachable", (ActorSystem system) =>
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var downed = new List<string>();
            foreach (var member in cluster.State.Unreachable)
            {
                cluster.Down(member.Address);
                downed.Add(member.Address.ToString());
            }

            return Results.Json(new { downed }, OperatorEndpoint.Json);
        });
    }

    /// <summary>One member as <c>flowctl cluster show</c> lists it.</summary>
    internal sealed record MemberView(string Address, string Status, string[] Roles, string AppVersion, bool Reachable, bool Self);
}
