using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using FlowActors.Node.Configuration;
using FlowActors.Protocols;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowActors.Node.Operator;

/// <summary><c>flowctl exporters|hosts|forwarder ...</c>: answered by asking the receivers, host entities and the forwarder singleton.</summary>
internal static class FlowRoutes
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Most host entities <c>hosts top</c> asks in one call.</summary>
    public const int MaxHostsAsked = 1_000;

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/exporters/list", async (ActorRegistry registry) =>
        {
            var stats = await AskReceivers(registry);
            if (stats.Error is not null) return stats.Error;
            return Results.Json(new
            {
                ports = stats.Value!.Ports,
                exporters = stats.Value.Exporters
                    .OrderBy(e => e.Exporter, StringComparer.Ordinal)
                    .Select(e => new
                    {
                        exporter = e.Exporter,
                        datagrams = e.Datagrams,
                        records = e.Records,
                        decode_errors = e.DecodeErrors,
                        templates_learned = e.TemplatesLearned,
                        records_undecodable = e.RecordsUndecodable,
                        last_seen = e.LastSeenUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(e.LastSeenUnixMs) : (DateTimeOffset?)null,
                    }),
                // Senders outside the exporter allowlist: who is trying to inject flows, and how often.
                refused_exporters = stats.Value.RefusedExporters
                    .OrderBy(e => e.Exporter, StringComparer.Ordinal)
                    .Select(e => new
                    {
                        exporter = e.Exporter,
                        datagrams_refused = e.Datagrams,
                        last_seen = e.LastSeenUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(e.LastSeenUnixMs) : (DateTimeOffset?)null,
                    }),
            }, OperatorEndpoint.Json);
        });

        app.MapGet("/api/exporters/templates", async (ActorRegistry registry, string? exporter) =>
        {
            var stats = await AskReceivers(registry);
            if (stats.Error is not null) return stats.Error;
            var templates = stats.Value!.Templates
                .Where(t => string.IsNullOrEmpty(exporter) || t.Exporter == exporter)
                .OrderBy(t => t.Exporter, StringComparer.Ordinal).ThenBy(t => t.Version).ThenBy(t => t.Domain).ThenBy(t => t.TemplateId)
                .ToArray();
            return Results.Json(new { templates }, OperatorEndpoint.Json);
        });

        app.MapGet("/api/hosts/show", async (ActorRegistry registry, NodeSettings settings, string? ip) =>
        {
            if (string.IsNullOrEmpty(ip) || !FlowAddress.TryParse(ip, out var address))
            {
                return OperatorEndpoint.Error($"'{ip}' is not an IP address", 400);
            }

            if (!settings.Networks.IsMonitored(address))
            {
                return OperatorEndpoint.Error($"{ip} is not in a monitored network (FlowActors:Networks:Monitored); only monitored hosts have state", 404);
            }

            if (!registry.TryGet<HostRegionMarker>(out var region)) return OperatorEndpoint.Error("the host shard region is not started yet", 503);
            try
            {
                var report = await region.Ask<HostStateReport>(new GetHostState(address), AskTimeout);
                return Results.Json(View(report), OperatorEndpoint.Json);
            }
            catch (AskTimeoutException)
            {
                return OperatorEndpoint.Error($"host {ip} did not answer within {AskTimeout.TotalSeconds:0} s", 504);
            }
        });

        app.MapGet("/api/hosts/top", async (ActorRegistry registry, int? limit) =>
        {
            if (!registry.TryGet<HostRegionMarker>(out var region)) return OperatorEndpoint.Error("the host shard region is not started yet", 503);
            int n = Math.Clamp(limit ?? 20, 1, MaxHostsAsked);
            CurrentShardRegionState state;
            try
            {
                state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout);
            }
            catch (AskTimeoutException)
            {
                return OperatorEndpoint.Error("the host shard region did not answer", 504);
            }

            // Only hosts in memory on this node: each of its host shards reports its busiest (a passivated host is not started just to be counted).
            var asks = new List<Task<ShardHosts>>();
            foreach (var shard in state.Shards)
            {
                if (int.TryParse(shard.ShardId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
                    asks.Add(region.Ask<ShardHosts>(new GetShardHosts(number, n), AskTimeout));
            }

            var reports = new List<HostStateReport>();
            foreach (var ask in asks)
            {
                try
                {
                    reports.AddRange((await ask).Hosts);
                }
                catch (AskTimeoutException)
                {
                    // A shard that does not answer is left out of the ranking.
                }
            }

            var hosts = reports.OrderByDescending(r => r.FlowsObserved).ThenBy(r => r.Host).Take(n)
                .Select(r => new { host = r.Host.ToString(), flows_observed = r.FlowsObserved, windows_closed = r.WindowsClosed, alerts_raised = r.AlertsRaised, unacknowledged_alerts = r.UnacknowledgedAlerts, event_time = EventTime(r.EventTimeMs) })
                .ToArray();
            return Results.Json(new { scope = "hosts active on this node", hosts }, OperatorEndpoint.Json);
        });

        app.MapGet("/api/forwarder/status", async (ActorRegistry registry) =>
        {
            if (!registry.TryGet<ForwarderProxyMarker>(out var proxy)) return OperatorEndpoint.Error("the forwarder proxy is not started yet", 503);
            try
            {
                var status = await proxy.Ask<ForwarderStatus>(GetForwarderStatus.Instance, AskTimeout);
                return Results.Json(status, OperatorEndpoint.Json);
            }
            catch (AskTimeoutException)
            {
                return OperatorEndpoint.Error($"the forwarder singleton did not answer within {AskTimeout.TotalSeconds:0} s (is a node with the forwarder role up?)", 504);
            }
        });
    }

    private static object View(HostStateReport r) => new
    {
        host = r.Host.ToString(),
        node_address = r.NodeAddress,
        flows_observed = r.FlowsObserved,
        windows_closed = r.WindowsClosed,
        event_time = EventTime(r.EventTimeMs),
        batches_applied = r.BatchesApplied,
        alerts_raised = r.AlertsRaised,
        unacknowledged_alerts = r.UnacknowledgedAlerts,
        alerts_dropped = r.AlertsDropped,
        restored_from_snapshot = r.RestoredFromSnapshot,
        snapshot_bytes = r.SnapshotBytes,
        late_observations = r.LateObservations,
    };

    private static DateTimeOffset? EventTime(long unixMs) => unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs) : null;

    private static async Task<(ReceiverStats? Value, IResult? Error)> AskReceivers(ActorRegistry registry)
    {
        if (!registry.TryGet<ReceiverMarker>(out var receivers))
        {
            return (null, OperatorEndpoint.Error("this node runs no receivers (it lacks the edge role); ask an edge node", 404));
        }

        try
        {
            return (await receivers.Ask<ReceiverStats>(GetReceiverStats.Instance, AskTimeout), null);
        }
        catch (AskTimeoutException)
        {
            return (null, OperatorEndpoint.Error($"the receivers did not answer within {AskTimeout.TotalSeconds:0} s", 504));
        }
    }
}
