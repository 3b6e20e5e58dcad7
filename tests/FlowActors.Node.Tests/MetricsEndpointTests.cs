using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.RegularExpressions;
using FlowActors.Node.Hosting;
using FlowActors.Node.Tests.Harness;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace FlowActors.Node.Tests;

/// <summary>
/// <c>/metrics</c> of a real node (OpenTelemetry's Prometheus exporter) against the metric table in README.md: every
/// FlowActors family served is listed with its labels, every listed one is an instrument the node creates, and the
/// receive path's counters and histograms move when flows arrive.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed partial class MetricsEndpointTests(ITestOutputHelper output)
{
    private const int PortScanDatagrams = 128;

    /// <summary>One row of README's metric table.</summary>
    private sealed record ReadmeMetric(string PrometheusName, string Instrument, string Type, string Unit, IReadOnlySet<string> Labels);

    [Fact]
    public async Task Metrics_served_match_the_readme_table_and_move_with_flows()
    {
        using var instruments = new InstrumentCatalog();
        using var otlp = new OtlpHttpCollector();
        await using var node = await InProcessNode.StartAsync(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.Endpoint), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), ("OTEL_METRIC_EXPORT_INTERVAL", "500"));
        await node.WaitReadyAsync();
        int netflowPort = node.Settings.Receivers.NetFlowPort;

        Assert.Equal(PortScanDatagrams, await FlowReplay.SendAsync(FlowReplay.Capture("portscan-v9.pcap"), netflowPort));
        string port = netflowPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        PrometheusText scrape = null!;
        await Poll.UntilAsync(async () =>
        {
            scrape = await ScrapeAsync(node);
            return scrape.Sum("flowactors_receiver_datagrams_total", ("port", port)) == PortScanDatagrams
                && scrape.Sum("flowactors_host_observations_total") > 0
                && scrape.Sum("flowactors_siem_delivered_total", ("sink", "jsonl")) > 0;
        }, TimeSpan.FromSeconds(60), "the datagrams, observations and a delivered alert to show in /metrics");

        // Counters and histograms recorded where things happen.
        Assert.True(scrape.Sum("flowactors_receiver_records_total", ("port", port)) >= PortScanDatagrams);
        Assert.True(scrape.Sum("flowactors_receiver_observations_total", ("port", port)) > 0);
        Assert.True(scrape.Sum("flowactors_receiver_received_bytes_total", ("port", port)) > PortScanDatagrams * 24);
        Assert.Equal(PortScanDatagrams, scrape.Sum("flowactors_receiver_decode_duration_seconds_count", ("port", port)));
        Assert.Equal(PortScanDatagrams, scrape.Sum("flowactors_receiver_decode_duration_seconds_bucket", ("port", port), ("le", "+Inf")));
        Assert.True(scrape.Sum("flowactors_receiver_batch_size_count") > 0);
        Assert.True(scrape.Samples.Count(s => s.Name == "flowactors_receiver_batch_size_bucket") > 2, "the batch-size histogram has buckets");
        Assert.True(scrape.Sum("flowactors_siem_delivery_duration_seconds_count", ("sink", "jsonl")) > 0);
        Assert.True(scrape.Sum("flowactors_forwarder_accepted_total") > 0);
        Assert.Equal(1, scrape.Sum("flowactors_cluster_self_up"));

        // The resource: one node, named by its cluster address.
        var target = Assert.Single(scrape.Samples, s => s.Name == "target_info");
        Assert.Equal(NodeTelemetry.ServiceName, target.Labels["service_name"]);
        Assert.Matches(@"^[^:]+:[1-9][0-9]*$", target.Labels["service_instance_id"]);
        Assert.Equal(node.Services.GetService(typeof(NodeAddress)) is NodeAddress a ? a.Value : null, target.Labels["service_instance_id"]);
        Assert.False(string.IsNullOrEmpty(target.Labels["service_version"]));

        // Runtime and ASP.NET Core instrumentation are on.
        Assert.Contains(scrape.Types.Keys, k => k.StartsWith("dotnet_", StringComparison.Ordinal));
        Assert.Contains(scrape.Types.Keys, k => k.StartsWith("http_server_request_duration", StringComparison.Ordinal));

        var readme = ReadmeMetrics();
        output.WriteLine($"README lists {readme.Count} metrics; /metrics serves {scrape.Types.Keys.Count(k => k.StartsWith("flowactors_", StringComparison.Ordinal))} FlowActors families");

        // Served → README: every FlowActors family, with the type and labels listed.
        foreach (var sample in scrape.Samples.Where(s => s.Name.StartsWith("flowactors_", StringComparison.Ordinal)))
        {
            string family = scrape.FamilyOf(sample);
            Assert.True(readme.TryGetValue(family, out var row), $"{family} is served but not listed in README.md");
            Assert.Equal(row!.Type, scrape.Types[family]);
            var labels = sample.Labels.Keys.Where(k => k != "le").ToHashSet();
            Assert.True(labels.IsSubsetOf(row.Labels), $"{family} is served with labels [{string.Join(", ", labels)}], README lists [{string.Join(", ", row.Labels)}]");
        }

        // README → the node: every listed metric is an instrument of a FlowActors meter, with that name, unit and
        // type, and every instrument is listed. (Counters appear in a scrape only after their first measurement.)
        var published = instruments.Snapshot();
        foreach (var row in readme.Values)
        {
            Assert.True(published.TryGetValue(row.Instrument, out var instrument), $"README lists {row.Instrument}, which no FlowActors meter creates");
            Assert.Equal(row.Unit, instrument!.Unit ?? "");
            Assert.Equal(row.PrometheusName, PrometheusName(instrument));
            Assert.Equal(row.Type, PrometheusType(instrument));
            if (scrape.Types.ContainsKey(row.PrometheusName)) continue;
            output.WriteLine($"listed, created, not yet measured in this run: {row.PrometheusName}");
        }

        foreach (var instrument in published.Values)
        {
            Assert.True(readme.Values.Any(r => r.Instrument == instrument.Name), $"{instrument.Meter.Name} creates {instrument.Name}, which README.md does not list");
        }

        // OTEL_EXPORTER_OTLP_ENDPOINT switches OTLP export on: metrics on their interval, and the alert's trace
        // (a trace that starts at an alert is always sampled).
        await Poll.UntilAsync(() => otlp.Requests.Any(r => r.Path == "/v1/metrics" && r.Bytes > 0) && otlp.Requests.Any(r => r.Path == "/v1/traces" && r.Bytes > 0),
            TimeSpan.FromSeconds(30), "OTLP metrics and traces to reach the collector");
        Assert.All(otlp.Requests, r => Assert.Equal("application/x-protobuf", r.ContentType));
    }

    private static async Task<PrometheusText> ScrapeAsync(InProcessNode node)
    {
        using var response = await node.Client.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        return PrometheusText.Parse(text);
    }

    /// <summary>The OpenTelemetry → Prometheus name: dots to underscores, the unit's suffix, <c>_total</c> on counters.</summary>
    private static string PrometheusName(Instrument instrument)
    {
        string name = instrument.Name.Replace('.', '_');
        string suffix = instrument.Unit switch { "s" => "_seconds", "By" => "_bytes", "ms" => "_milliseconds", _ => "" };
        if (!name.EndsWith(suffix, StringComparison.Ordinal)) name += suffix;
        return PrometheusType(instrument) == "counter" ? name + "_total" : name;
    }

    private static string PrometheusType(Instrument instrument)
    {
        string kind = instrument.GetType().Name;
        return kind.StartsWith("Histogram", StringComparison.Ordinal) ? "histogram"
            : kind.StartsWith("Counter", StringComparison.Ordinal) || kind.StartsWith("ObservableCounter", StringComparison.Ordinal) ? "counter"
            : "gauge";
    }

    /// <summary>README.md's metric table (the rows under "### Metrics"), keyed by Prometheus name.</summary>
    private static Dictionary<string, ReadmeMetric> ReadmeMetrics()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        int start = readme.IndexOf("\n### Metrics\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has a ### Metrics section");
        var rows = new Dictionary<string, ReadmeMetric>(StringComparer.Ordinal);
        foreach (var line in readme[start..].Split('\n').Skip(2).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells[0].StartsWith("Prometheus", StringComparison.Ordinal) || cells[0].StartsWith("---", StringComparison.Ordinal)) continue;
            var labels = Code().Matches(cells[4]).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            string unit = Code().Match(cells[3]) is { Success: true } u ? u.Groups[1].Value : "";
            var row = new ReadmeMetric(Code().Match(cells[0]).Groups[1].Value, Code().Match(cells[1]).Groups[1].Value, cells[2], unit, labels);
            Assert.True(rows.TryAdd(row.PrometheusName, row), $"README lists {row.PrometheusName} twice");
        }

        Assert.NotEmpty(rows);
        return rows;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlowActors.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("FlowActors.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("`([^`]*)`")]
    private static partial Regex Code();

    /// <summary>Every instrument the FlowActors meters create while it lives (static meters included: their classes are initialised first).</summary>
    private sealed class InstrumentCatalog : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, Instrument> _instruments = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public InstrumentCatalog()
        {
            foreach (var type in (Type[])[typeof(FlowActors.Cluster.ClusterMetrics), typeof(FlowActors.Siem.SiemMetrics), typeof(FlowActors.Siem.Outbox.OutboxMetrics), typeof(FlowActors.Node.Configuration.ThreatIntelReloader)])
                System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(type.TypeHandle);
            _listener.InstrumentPublished = (instrument, _) =>
            {
                if (!NodeTelemetry.Meters.Contains(instrument.Meter.Name)) return;
                lock (_lock) _instruments[instrument.Name] = instrument;
            };
            _listener.Start();
        }

        public Dictionary<string, Instrument> Snapshot()
        {
            lock (_lock) return new Dictionary<string, Instrument>(_instruments, StringComparer.Ordinal);
        }

        public void Dispose() => _listener.Dispose();
    }
}

public sealed class NodeTelemetryTests
{
    private static SamplingResult Sample(Sampler sampler, string name, ActivityContext parent = default) =>
        sampler.ShouldSample(new SamplingParameters(parent, ActivityTraceId.CreateRandom(), name, ActivityKind.Internal));

    [Fact]
    public void Alert_roots_are_always_sampled_other_roots_at_the_ratio_children_follow_their_parent()
    {
        var sampler = new ParentBasedSampler(new AlertRootSampler(0));

        Assert.Equal(SamplingDecision.RecordAndSample, Sample(sampler, FlowActors.Cluster.ClusterTracing.AlertRaised).Decision);
        Assert.Equal(SamplingDecision.Drop, Sample(sampler, "GET /api/cluster/show").Decision);
        var sampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var droppedParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);
        Assert.Equal(SamplingDecision.RecordAndSample, Sample(sampler, FlowActors.Cluster.ClusterTracing.AlertAccepted, sampledParent).Decision);
        Assert.Equal(SamplingDecision.Drop, Sample(sampler, FlowActors.Cluster.ClusterTracing.AlertDelivered, droppedParent).Decision);
        Assert.Equal(SamplingDecision.RecordAndSample, Sample(new ParentBasedSampler(new AlertRootSampler(1)), "GET /metrics").Decision);
    }

    [Fact]
    public void Sample_ratio_comes_from_OTEL_TRACES_SAMPLER_ARG_and_a_bad_one_names_the_variable()
    {
        static IConfiguration With(string? value) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_TRACES_SAMPLER_ARG"] = value }).Build();

        Assert.Equal(NodeTelemetry.DefaultSampleRatio, NodeTelemetry.SampleRatio(With(null)));
        Assert.Equal(0.25, NodeTelemetry.SampleRatio(With("0.25")));
        var error = Assert.Throws<InvalidOperationException>(() => NodeTelemetry.SampleRatio(With("2")));
        Assert.Contains("OTEL_TRACES_SAMPLER_ARG", error.Message);
    }
}
