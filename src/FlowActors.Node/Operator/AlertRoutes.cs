using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Hosting;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowActors.Node.Operator;

/// <summary>
/// The pull API and <c>flowctl alerts recent|tail</c>: alerts as the forwarder singleton journalled them, asked through
/// the singleton proxy, so every node answers for the whole cluster.
/// </summary>
/// <remarks>
/// <c>GET /api/alerts?after=CURSOR&amp;limit=N</c> returns up to N alerts journalled after CURSOR (a journal sequence
/// number; 0 or none for the oldest kept), each with its <c>cursor</c>, and <c>next</c>: pass it as <c>after</c> to
/// resume. A poller that resumes from the last cursor it processed sees every alert at least once. The forwarder keeps
/// the last <c>Forwarder:PullWindow</c> alerts (default 10,000) for pulling; a poller that falls further behind gets
/// the oldest kept alerts with <c>truncated: true</c> and <c>oldest</c>, so it knows it missed some.
/// </remarks>
internal static class AlertRoutes
{
    /// <summary>Most alerts one call returns.</summary>
    public const int MaxLimit = 1_000;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/alerts", (ActorRegistry registry, long? after, int? limit) =>
            PullAsync(registry, new PullAlerts(Math.Max(0, after ?? 0), Math.Clamp(limit ?? 100, 1, MaxLimit))));

        app.MapGet("/api/alerts/recent", (ActorRegistry registry, int? limit) =>
            PullAsync(registry, new PullAlerts(null, Math.Clamp(limit ?? 20, 1, MaxLimit))));

        app.MapGet("/api/alerts/tail", (ActorRegistry registry, long? after, int? limit) =>
            PullAsync(registry, new PullAlerts(Math.Max(0, after ?? 0), Math.Clamp(limit ?? 100, 1, MaxLimit))));
    }

    private static async Task<IResult> PullAsync(ActorRegistry registry, PullAlerts query)
    {
        if (!registry.TryGet<ForwarderProxyMarker>(out var proxy)) return OperatorEndpoint.Error("the forwarder proxy is not started yet", 503);
        PulledAlerts pulled;
        try
        {
            pulled = await proxy.Ask<PulledAlerts>(query, AskTimeout);
        }
        catch (AskTimeoutException)
        {
            return OperatorEndpoint.Error($"the forwarder singleton did not answer within {AskTimeout.TotalSeconds:0} s (is a node with the forwarder role up?)", 504);
        }

        return Results.Text(ToJson(pulled), "application/json");
    }

    /// <summary>The answer as JSON: each alert in its canonical form plus its <c>cursor</c>.</summary>
    internal static string ToJson(PulledAlerts pulled)
    {
        var alerts = new JsonArray();
        foreach (var item in pulled.Alerts)
        {
            var node = JsonNode.Parse(item.Alert.ToJsonLine())!.AsObject();
            node["cursor"] = item.Cursor;
            alerts.Add(node);
        }

        var body = new JsonObject
        {
            ["alerts"] = alerts,
            ["next"] = pulled.Next,
            ["oldest"] = pulled.Oldest,
            ["truncated"] = pulled.Truncated,
            ["window"] = pulled.Window,
        };
        return body.ToJsonString();
    }
}
