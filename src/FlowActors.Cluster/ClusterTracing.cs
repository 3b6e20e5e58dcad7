using System.Diagnostics;

namespace FlowActors.Cluster;

/// <summary>
/// The <c>FlowActors</c> <see cref="ActivitySource"/>: one trace per alert, from the host window that raised it through
/// the forwarder's journal to each sink's delivery. The context travels with the alert as a W3C <c>traceparent</c>
/// string (<see cref="Messages.ForwardAlert.TraceParent"/>, <see cref="Messages.AlertJournaled.TraceParent"/>), so
/// it crosses nodes and survives a forwarder restart. With no listener (no OTLP endpoint) nothing is created.
/// </summary>
public static class ClusterTracing
{
    /// <summary>Name of the activity source (OpenTelemetry <c>AddSource</c>).</summary>
    public const string SourceName = "FlowActors";

    /// <summary>Span raised by a host actor when a window produces an alert (the trace's root).</summary>
    public const string AlertRaised = "flowactors.alert.raise";

    /// <summary>Span of the forwarder accepting (journalling) an alert.</summary>
    public const string AlertAccepted = "flowactors.alert.accept";

    /// <summary>Span of one sink delivering an alert.</summary>
    public const string AlertDelivered = "flowactors.alert.deliver";

    /// <summary>The source.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts a span whose parent is <paramref name="traceParent"/> (null or malformed: no span, since an untraced alert stays untraced).</summary>
    internal static Activity? StartChild(string name, ActivityKind kind, string? traceParent)
    {
        if (traceParent is null || !Source.HasListeners()) return null;
        if (!ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent)) return null;
        return Source.StartActivity(name, kind, parent);
    }

    /// <summary>The W3C traceparent of <paramref name="activity"/> when it is recorded; null otherwise.</summary>
    internal static string? TraceParentOf(Activity? activity) =>
        activity is { Recorded: true, IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;
}
