using Akka.Actor;
using Akka.Cluster.Sharding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowActors.Node.Operator;

/// <summary><c>flowctl sharding ...</c>: regions, region-stats, shard-stats.</summary>
internal static class ShardingRoutes
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/sharding/regions", async (ActorSystem system) =>
        {
            var sharding = ClusterSharding.Get(system);
            var regions = new List<object>();
            foreach (var typeName in sharding.ShardTypeNames.OrderBy(t => t, StringComparer.Ordinal))
            {
                var region = sharding.ShardRegion(typeName);
                var stats = await TryAsk<ShardRegionStats>(region, GetShardRegionStats.Instance);
                regions.Add(new
                {
                    type_name = typeName,
                    region = region.Path.ToStringWithoutAddress(),
                    shards = stats?.Stats.Count,
                    entities = stats?.Stats.Values.Sum(),
                });
            }

            return Results.Json(regions, OperatorEndpoint.Json);
        });

        app.MapGet("/api/sharding/region-stats", async (ActorSystem system, string? type) =>
        {
            if (!TryRegion(system, type, out var typeName, out var region, out var error)) return error!;
            var stats = await TryAsk<ShardRegionStats>(region!, GetShardRegionStats.Instance);
            if (stats is null) return OperatorEndpoint.Error($"region '{typeName}' did not answer within {AskTimeout.TotalSeconds:0} s", 504);
            var shards = stats.Stats.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new { shard = kv.Key, entities = kv.Value }).ToArray();
            return Results.Json(new { type_name = typeName, shards, failed = stats.Failed.OrderBy(s => s, StringComparer.Ordinal).ToArray() }, OperatorEndpoint.Json);
        });

        app.MapGet("/api/sharding/shard-stats", async (ActorSystem system, string? type) =>
        {
            if (!TryRegion(system, type, out var typeName, out var region, out var error)) return error!;
            var stats = await TryAsk<ClusterShardingStats>(region!, new GetClusterShardingStats(AskTimeout), AskTimeout + TimeSpan.FromSeconds(1));
            if (stats is null) return OperatorEndpoint.Error($"cluster sharding stats for '{typeName}' did not arrive within {AskTimeout.TotalSeconds:0} s", 504);
            var regions = stats.Regions
                .OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal)
                .Select(kv => new
                {
                    address = kv.Key.ToString(),
                    shards = kv.Value.Stats.Count,
                    entities = kv.Value.Stats.Values.Sum(),
                    failed = kv.Value.Failed.Count,
                })
                .ToArray();
            return Results.Json(new { type_name = typeName, regions }, OperatorEndpoint.Json);
        });
    }

    private static bool TryRegion(ActorSystem system, string? type, out string typeName, out IActorRef? region, out IResult? error)
    {
        var sharding = ClusterSharding.Get(system);
        typeName = string.IsNullOrEmpty(type) ? "host" : type;
        region = null;
        error = null;
        if (!sharding.ShardTypeNames.Contains(typeName))
        {
            error = OperatorEndpoint.Error($"no shard region '{typeName}' on this node (known: {string.Join(", ", sharding.ShardTypeNames.OrderBy(t => t, StringComparer.Ordinal))})", 404);
            return false;
        }

        region = sharding.ShardRegion(typeName);
        return true;
    }

    private static async Task<T?> TryAsk<T>(IActorRef actor, object message, TimeSpan? timeout = null)
        where T : class
    {
        try
        {
            return await actor.Ask<T>(message, timeout ?? AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
