using System.Globalization;
using FlowActors.Cluster;
using FlowActors.Siem;
using FlowActors.Siem.Outbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlowActors.Node.Hosting;

/// <summary>
/// OpenTelemetry for the node, wired once: the FlowActors meters, runtime and ASP.NET Core instrumentation, the
/// Prometheus scrape endpoint (mapped on the operator endpoint by <see cref="Operator.OperatorEndpoint"/>), and OTLP
/// export of metrics and alert traces when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or a per-signal
/// <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c> / <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) variable is set.
/// </summary>
public static class NodeTelemetry
{
    /// <summary><c>service.name</c> of every node.</summary>
    public const string ServiceName = "flowactors";

    /// <summary>Path of the Prometheus scrape endpoint on the operator endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Head-sampling ratio for traces that do not start at an alert, unless <c>OTEL_TRACES_SAMPLER_ARG</c> sets it.</summary>
    public const double DefaultSampleRatio = 0.01;

    /// <summary>Meters the node exports (ours; the runtime's and ASP.NET Core's come with their instrumentation).</summary>
    public static readonly IReadOnlyList<string> Meters = [NodeMetrics.MeterName, ClusterMetrics.MeterName, SiemMetrics.MeterName, OutboxMetrics.MeterName];

    /// <summary>
    /// Adds OpenTelemetry. Call after <c>AddAkka</c>: the providers are then built once remoting has bound, so
    /// <c>service.instance.id</c> is the node's real cluster address (host:port, also with port 0).
    /// </summary>
    /// <param name="services">The node's services.</param>
    /// <param name="configuration">The node's configuration (environment variables included).</param>
    /// <param name="prometheus">Whether the operator endpoint serves <see cref="MetricsPath"/>.</param>
    /// <param name="address">The node's cluster address once known (host:port).</param>
    public static IServiceCollection AddNodeTelemetry(this IServiceCollection services, IConfiguration configuration, bool prometheus, NodeAddress address)
    {
        bool otlpMetrics = HasEndpoint(configuration, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        bool otlpTraces = HasEndpoint(configuration, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        double ratio = SampleRatio(configuration);
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(ServiceName, serviceVersion: NodeInfo.InformationalVersion, autoGenerateServiceInstanceId: false)
                .AddDetector(provider => new NodeAddressDetector(address, provider)));
        if (prometheus || otlpMetrics)
        {
            otel.WithMetrics(metrics =>
            {
                foreach (var meter in Meters) metrics.AddMeter(meter);
                metrics.AddRuntimeInstrumentation().AddAspNetCoreInstrumentation();
                if (prometheus)
                {
                    metrics.AddPrometheusExporter(o =>
                    {
                        o.ScrapeEndpointPath = MetricsPath;
                        // Every scrape sees the counters as they are now (the default caches the answer for 300 ms).
                        o.ScrapeResponseCacheDurationMilliseconds = 0;
                        // One node, one scope per meter: the otel_scope_* labels would only repeat the metric's prefix.
                        o.ScopeInfoEnabled = false;
                    });
                }

                if (otlpMetrics) metrics.AddOtlpExporter();
            });
        }

        // Spans are made only while a tracer provider listens; without an OTLP destination there is none, and the
        // alert path creates nothing.
        if (otlpTraces)
        {
            otel.WithTracing(tracing => tracing
                .AddSource(ClusterTracing.SourceName)
                .AddAspNetCoreInstrumentation()
                .SetSampler(new ParentBasedSampler(new AlertRootSampler(ratio)))
                .AddOtlpExporter());
        }

        return services;
    }

    /// <summary>
    /// The <see cref="MetricsPath"/> handler: OpenTelemetry's Prometheus middleware, created at the first scrape rather
    /// than when routes are mapped, so the meter provider (and its resource) is built when the host starts, after
    /// remoting has bound and <see cref="NodeAddress"/> is known.
    /// </summary>
    public static RequestDelegate PrometheusScrape(IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var pipeline = new Lazy<RequestDelegate>(() => app.New().UseOpenTelemetryPrometheusScrapingEndpoint(_ => true).Build());
        return context => pipeline.Value(context);
    }

    private static bool HasEndpoint(IConfiguration configuration, string signalKey) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrWhiteSpace(configuration[signalKey]);

    /// <summary>The ratio from the standard <c>OTEL_TRACES_SAMPLER_ARG</c>, else <see cref="DefaultSampleRatio"/>.</summary>
    internal static double SampleRatio(IConfiguration configuration)
    {
        string? text = configuration["OTEL_TRACES_SAMPLER_ARG"];
        if (string.IsNullOrWhiteSpace(text)) return DefaultSampleRatio;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double ratio) && ratio is >= 0 and <= 1) return ratio;
        throw new InvalidOperationException($"OTEL_TRACES_SAMPLER_ARG is '{text}': it must be a sampling ratio between 0 and 1 (e.g. 0.01).");
    }

    /// <summary>
    /// Adds <c>service.instance.id</c> = the node's cluster address: the bound one when the actor system already runs
    /// (Akka.Hosting creates it on first resolution, binding remoting), else the configured one.
    /// </summary>
    private sealed class NodeAddressDetector(NodeAddress address, IServiceProvider provider) : IResourceDetector
    {
        public Resource Detect()
        {
            if (provider.GetService<Akka.Actor.ActorSystem>() is { } system) address.Set(((Akka.Actor.ExtendedActorSystem)system).Provider.DefaultAddress);
            return address.Value is { } value ? new Resource([new KeyValuePair<string, object>("service.instance.id", value)]) : Resource.Empty;
        }
    }
}

/// <summary>
/// The node's cluster address as <c>host:port</c>, set once remoting has bound (the port may be 0 in the
/// configuration); <c>service.instance.id</c> of its telemetry.
/// </summary>
/// <param name="configured">The address from the configuration when it names a port (not 0); null otherwise.</param>
public sealed class NodeAddress(string? configured)
{
    private volatile string? _value = configured;

    /// <summary>host:port: the bound address once the actor system has started, the configured one before.</summary>
    public string? Value => _value;

    /// <summary>Records the bound address.</summary>
    public void Set(Akka.Actor.Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _value = $"{address.Host}:{address.Port}";
    }
}

/// <summary>
/// Root sampler: a trace that starts at an alert (<see cref="ClusterTracing.AlertRaised"/>) is always recorded, any
/// other root (operator requests) at the configured ratio. Alerts are rare (a few per host per detection window,
/// updates folded in by suppression) and each trace is a handful of spans, while an operator who follows one alert
/// needs its trace to exist: a 1 % sample would lose 99 of 100. Children follow their parent
/// (<see cref="ParentBasedSampler"/>), so a sampled alert is sampled on every node it crosses.
/// </summary>
public sealed class AlertRootSampler : Sampler
{
    private readonly TraceIdRatioBasedSampler _others;

    /// <summary>Samples non-alert roots at <paramref name="ratio"/>.</summary>
    public AlertRootSampler(double ratio)
    {
        _others = new TraceIdRatioBasedSampler(ratio);
        Description = $"AlertRootSampler{{alerts=1, others={ratio.ToString(CultureInfo.InvariantCulture)}}}";
    }

    /// <inheritdoc />
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Name == ClusterTracing.AlertRaised
            ? new SamplingResult(SamplingDecision.RecordAndSample)
            : _others.ShouldSample(samplingParameters);
}
