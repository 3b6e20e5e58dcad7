using System.Diagnostics;
using Akka.Actor;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace FlowActors.Cluster.Tests;

/// <summary>
/// One alert, one trace: the host window that raised it, the forwarder that journalled it and the sink that got it,
/// exported through OpenTelemetry's in-memory exporter from a running node.
/// </summary>
public sealed class AlertTracingTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = SqliteTempDirectory.Create();
    private readonly List<Activity> _spans = new();
    private TracerProvider? _tracing;
    private ClusterNode? _node;

    public Task InitializeAsync()
    {
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(ClusterTracing.SourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(_spans)
            .Build();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        _tracing?.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_port_scan_alert_is_one_trace_from_host_actor_through_forwarder_to_sink()
    {
        var sink = new CollectingSink("traced-sink");
        var options = new FlowActorsClusterOptions
        {
            Receivers = [],
            ConsoleSink = false,
            AlertsJsonLinesPath = "",
            DataDirectory = _dir.Path,
            ConnectionString = "Data Source=" + _dir.File("cluster.db"),
        };
        options.AdditionalSinks.Add(() => sink);
        _node = await ClusterNode.StartAsync("traced", options, join: null);

        // 15 unanswered SYNs to distinct ports, then a flow after the window: the host actor raises a port-scan alert.
        _node.HostRegion.Tell(new ObserveBatch(FlowAddress.Parse("10.0.0.5"), TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0)));
        await Eventually.Assert(() => Assert.NotEmpty(sink.Delivered), TimeSpan.FromSeconds(30));
        var alert = sink.Delivered.First();
        _tracing!.ForceFlush();

        Activity Span(string name) => Assert.Single(Snapshot(), a => a.OperationName == name && Equals(a.GetTagItem("flowactors.alert.id"), alert.Id));
        Activity raised = null!, accepted = null!, delivered = null!;
        await Eventually.Assert(() =>
        {
            _tracing!.ForceFlush();
            raised = Span(ClusterTracing.AlertRaised);
            accepted = Span(ClusterTracing.AlertAccepted);
            delivered = Span(ClusterTracing.AlertDelivered);
        }, TimeSpan.FromSeconds(10));

        Assert.Equal(default, raised.ParentSpanId); // the root: the host window
        Assert.Equal("port-scan", raised.GetTagItem("flowactors.alert.detector"));
        Assert.Equal(raised.TraceId, accepted.TraceId);
        Assert.Equal(raised.SpanId, accepted.ParentSpanId);
        Assert.Equal(raised.TraceId, delivered.TraceId);
        Assert.Equal(accepted.SpanId, delivered.ParentSpanId);
        Assert.Equal("traced-sink", delivered.GetTagItem("flowactors.sink"));
        Assert.Equal(ActivityStatusCode.Ok, delivered.Status);
        Assert.Equal(ActivityKind.Producer, raised.Kind);
        Assert.Equal(ActivityKind.Consumer, accepted.Kind);
    }

    private List<Activity> Snapshot()
    {
        lock (_spans) return [.. _spans];
    }
}
