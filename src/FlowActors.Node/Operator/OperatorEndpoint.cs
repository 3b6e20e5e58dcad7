using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlowActors.Node.Configuration;
using FlowActors.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FlowActors.Node.Operator;

/// <summary>
/// The operator endpoint: probes (<c>/healthz/live</c>, <c>/healthz/ready</c>), Prometheus <c>/metrics</c> and the
/// JSON <c>/api/{palette}/{command}</c> routes that <c>flowctl</c> calls. Every mutating call must carry
/// <c>Authorization: Bearer TOKEN</c> (the configured token, or the one generated into the data directory) and pass
/// <see cref="CrossSiteGuard"/>; with a configured token every <c>/api</c> call needs it; probes and metrics too when
/// <see cref="OperatorSettings.ProtectProbesAndMetrics"/> is set.
/// </summary>
public static class OperatorEndpoint
{
    /// <summary>JSON as the endpoint writes it (snake_case, like the alert record).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = false,
    };

    /// <summary>Maps every route onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, OperatorSettings settings)
    {
        byte[] token = Encoding.UTF8.GetBytes(settings.Token);
        bool loopbackBind = System.Net.IPAddress.IsLoopback(settings.BindAddress);
        var metrics = app.Services.GetRequiredService<NodeMetrics>();
        app.Use(async (context, next) =>
        {
            string path = context.Request.Path.Value ?? "";
            string group = path.StartsWith("/api/", StringComparison.Ordinal) ? "api"
                : path.StartsWith("/healthz", StringComparison.Ordinal) ? "probe"
                : path == "/metrics" ? "metrics" : "other";
            bool mutating = CrossSiteGuard.IsMutating(context.Request.Method);
            if (group is "api" or "other" && CrossSiteGuard.Check(context.Request, loopbackBind) is { } refusal)
            {
                context.Response.StatusCode = refusal.Status;
                await context.Response.WriteAsJsonAsync(new ErrorResponse(refusal.Error), Json);
                metrics.CountRequest(group, context.Response.StatusCode);
                return;
            }

            bool needsToken = mutating
                || (token.Length > 0 && settings.TokenOrigin == OperatorTokenOrigin.Configured && group is "api" or "other")
                || (token.Length > 0 && settings.ProtectProbesAndMetrics);
            if (needsToken && !HasToken(context.Request, token))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(new ErrorResponse(token.Length == 0
                    ? "this route changes state and needs a bearer token, but the node has none"
                    : $"a bearer token is required: pass --token or set FLOWCTL_TOKEN (flowctl on this machine reads {OperatorToken.FileName} from the node's data directory)"), Json);
                metrics.CountRequest(group, context.Response.StatusCode);
                return;
            }

            await next(context);
            metrics.CountRequest(group, context.Response.StatusCode);
        });

        app.MapHealthChecks("/healthz/live", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(NodeReadiness.LiveTag),
            ResponseWriter = NodeReadiness.JsonWriter("live", Json),
        });
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(NodeReadiness.ReadyTag),
            ResponseWriter = NodeReadiness.JsonWriter("ready", Json),
        });
        // OpenTelemetry's Prometheus exporter, behind the same token rule as the probes (the middleware above).
        app.MapGet(NodeTelemetry.MetricsPath, NodeTelemetry.PrometheusScrape(app));

        ClusterRoutes.Map(app);
        ShardingRoutes.Map(app);
        AlertRoutes.Map(app);
        FlowRoutes.Map(app);
        NodeRoutes.Map(app);

        app.MapFallback((HttpContext context) =>
            Results.Json(new ErrorResponse($"no such operator route: {context.Request.Method} {context.Request.Path}"), Json, statusCode: 404));
    }

    private static bool HasToken(HttpRequest request, byte[] expected)
    {
        if (expected.Length == 0) return false;
        string? header = request.Headers.Authorization;
        const string prefix = "Bearer ";
        if (header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
        // Constant-time: the comparison must not tell an attacker how many leading bytes were right.
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>Body of every error response.</summary>
    /// <param name="Error">What went wrong.</param>
    public sealed record ErrorResponse(string Error);

    /// <summary>A JSON error with the given status.</summary>
    internal static IResult Error(string message, int status) => Results.Json(new ErrorResponse(message), Json, statusCode: status);
}
