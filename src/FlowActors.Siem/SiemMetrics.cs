using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlowActors.Siem;

/// <summary>
/// Transport-level counters of the SIEM sinks (meter <c>FlowActors.Siem</c>), each tagged with the sink's name
/// (<c>sink</c>). Delivery counts, backlog and latency belong to the forwarder; these say what the wire did.
/// </summary>
public static class SiemMetrics
{
    /// <summary>The meter name to subscribe to (OpenTelemetry <c>AddMeter</c>).</summary>
    public const string MeterName = "FlowActors.Siem";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>TLS handshakes that failed, including server certificates refused.</summary>
    public static readonly Counter<long> TlsFailures = Meter.CreateCounter<long>(
        "flowactors.siem.tls_failures", "{handshake}", "TLS handshakes that failed or whose server certificate was refused");

    /// <summary>Connections (re)established after the first one.</summary>
    public static readonly Counter<long> Reconnects = Meter.CreateCounter<long>(
        "flowactors.siem.reconnects", "{connection}", "Connections re-established after a failure");

    /// <summary>Connection attempts that failed (refused, unreachable, timed out).</summary>
    public static readonly Counter<long> ConnectFailures = Meter.CreateCounter<long>(
        "flowactors.siem.connect_failures", "{attempt}", "Connection attempts that failed");

    /// <summary>Bytes written to receivers (frames, request bodies, file lines).</summary>
    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>(
        "flowactors.siem.sent", "By", "Bytes handed to receivers");

    /// <summary>Syslog messages sent again after a lost connection (duplicates by design, same ids).</summary>
    public static readonly Counter<long> Replayed = Meter.CreateCounter<long>(
        "flowactors.siem.replayed", "{message}", "Syslog messages re-sent after a lost TCP/TLS connection");

    /// <summary>Syslog messages cut to the configured maximum size.</summary>
    public static readonly Counter<long> MessagesTruncated = Meter.CreateCounter<long>(
        "flowactors.siem.messages_truncated", "{message}", "Syslog messages truncated to the configured maximum size");

    /// <summary>HTTP responses that were not a success (tagged with <c>status</c>).</summary>
    public static readonly Counter<long> HttpErrors = Meter.CreateCounter<long>(
        "flowactors.siem.http_errors", "{response}", "HTTP responses other than 2xx, and requests that got none");

    /// <summary>HEC batches whose acknowledgement did not arrive in time.</summary>
    public static readonly Counter<long> AckTimeouts = Meter.CreateCounter<long>(
        "flowactors.siem.hec_ack_timeouts", "{batch}", "HEC batches not acknowledged within the timeout");

    /// <summary>File writes or opens that failed (disk full, permissions).</summary>
    public static readonly Counter<long> FileFailures = Meter.CreateCounter<long>(
        "flowactors.siem.file_failures", "{failure}", "Alert file writes or opens that failed");

    /// <summary>Alert files reopened because their path named another file (rotated or deleted from outside).</summary>
    public static readonly Counter<long> FileReopens = Meter.CreateCounter<long>(
        "flowactors.siem.file_reopens", "{reopen}", "Alert files reopened after being moved or deleted");

    /// <summary>Alert files rotated by size.</summary>
    public static readonly Counter<long> FileRotations = Meter.CreateCounter<long>(
        "flowactors.siem.file_rotations", "{rotation}", "Alert files rotated because they reached MaxBytes");

    internal static KeyValuePair<string, object?> Sink(string name) => new("sink", name);

    internal static void Add(Counter<long> counter, long value, string sink) => counter.Add(value, Sink(sink));

    internal static void Add(Counter<long> counter, long value, string sink, KeyValuePair<string, object?> tag)
    {
        var tags = new TagList { Sink(sink), tag };
        counter.Add(value, tags);
    }
}
