using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FlowActors.Siem.Formats;

/// <summary>
/// Renders an alert as one Elastic Common Schema (ECS 8.x) JSON document, with ECS types: ports and severity
/// are numbers, addresses and ids strings, times ISO 8601 UTC. Evidence and the fields ECS has no place for
/// go under <c>flowactors.*</c>.
/// </summary>
public static class EcsJsonFormatter
{
    /// <summary>The ECS version the documents declare in <c>ecs.version</c>.</summary>
    public const string EcsVersion = "8.11.0";

    /// <summary>Writer options for ECS documents: non-ASCII text is written as UTF-8, not as \u escapes
    /// (control characters, quotes and backslashes are still escaped, so a document stays one line).</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Renders <paramref name="alert"/> as one JSON line (no trailing newline).</summary>
    public static string Format(Alert alert, AlertFormatContext context)
    {
        using var stream = new MemoryStream(1024);
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            Write(writer, alert, context);
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Writes <paramref name="alert"/> as one ECS JSON object (for embedding, e.g. as a Splunk HEC event).</summary>
    public static void Write(Utf8JsonWriter writer, Alert alert, AlertFormatContext context)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(context);
        var ep = AlertEndpoints.Of(alert);
        writer.WriteStartObject();
        writer.WriteString("@timestamp", Alert.FormatTime(alert.Time));
        writer.WriteStartObject("ecs");
        writer.WriteString("version", EcsVersion);
        writer.WriteEndObject();

        writer.WriteStartObject("event");
        writer.WriteString("kind", "alert");
        writer.WriteStartArray("category");
        writer.WriteStringValue("network");
        writer.WriteStringValue("intrusion_detection");
        writer.WriteEndArray();
        writer.WriteStartArray("type");
        writer.WriteStringValue("info");
        writer.WriteEndArray();
        writer.WriteString("id", alert.Id);
        writer.WriteString("action", alert.Detector);
        writer.WriteString("module", "flowactors");
        writer.WriteString("dataset", "flowactors.alert");
        writer.WriteString("provider", "flowactors");
        writer.WriteNumber("severity", Math.Clamp(alert.Severity, 0, 10));
        writer.WriteString("start", Alert.FormatTime(alert.WindowStart));
        writer.WriteString("end", Alert.FormatTime(alert.WindowEnd));
        writer.WriteEndObject();

        if (ep.SourceIp is { } src)
        {
            writer.WriteStartObject("source");
            writer.WriteString("ip", src);
            writer.WriteEndObject();
        }

        if (ep.DestinationIp is not null || ep.DestinationPort is not null)
        {
            writer.WriteStartObject("destination");
            if (ep.DestinationIp is { } dst) writer.WriteString("ip", dst);
            if (ep.DestinationPort is { } dpt) writer.WriteNumber("port", dpt);
            writer.WriteEndObject();
        }

        writer.WriteStartObject("network");
        if (AlertEndpoints.EcsTransport(ep.IanaProtocol) is { } transport) writer.WriteString("transport", transport);
        if (ep.IanaProtocol is { } iana) writer.WriteString("iana_number", iana.ToString(CultureInfo.InvariantCulture));
        writer.WriteString("direction", ep.Direction);
        writer.WriteEndObject();

        writer.WriteStartObject("related");
        writer.WriteStartArray("ip");
        writer.WriteStringValue(alert.Host);
        foreach (string p in alert.Peers)
        {
            if (p != alert.Host) writer.WriteStringValue(p);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();

        WriteThreat(writer, alert);

        writer.WriteStartObject("rule");
        writer.WriteString("name", alert.Detector);
        writer.WriteString("category", alert.TacticName);
        writer.WriteEndObject();

        writer.WriteString("message", alert.Summary);

        writer.WriteStartObject("observer");
        writer.WriteString("hostname", context.ObserverHostName);
        if (!string.IsNullOrEmpty(context.ObserverIp))
        {
            writer.WriteStartArray("ip");
            writer.WriteStringValue(context.ObserverIp);
            writer.WriteEndArray();
        }

        writer.WriteString("vendor", CefFormatter.Vendor);
        writer.WriteString("product", CefFormatter.Vendor);
        writer.WriteString("version", context.ProductVersion);
        writer.WriteString("type", "ids");
        writer.WriteEndObject();

        writer.WriteStartObject("flowactors");
        writer.WriteString("alert_id", alert.Id);
        writer.WriteString("host", alert.Host);
        writer.WriteString("role", alert.Role);
        writer.WriteString("detector", alert.Detector);
        writer.WriteNumber("count", alert.Count);
        writer.WriteStartArray("peers");
        foreach (string p in alert.Peers) writer.WriteStringValue(p);
        writer.WriteEndArray();
        writer.WriteStartArray("ports");
        foreach (int p in alert.Ports) writer.WriteNumberValue(p);
        writer.WriteEndArray();
        writer.WriteStartObject("evidence");
        foreach (var kv in alert.Evidence)
        {
            if (double.IsFinite(kv.Value)) writer.WriteNumber(kv.Key, Math.Round(kv.Value, 4));
            else writer.WriteNull(kv.Key);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    // ECS splits sub-techniques (T1021.001) into threat.technique (T1021) and threat.technique.subtechnique.
    private static void WriteThreat(Utf8JsonWriter writer, Alert alert)
    {
        writer.WriteStartObject("threat");
        writer.WriteString("framework", "MITRE ATT&CK");
        writer.WriteStartObject("tactic");
        writer.WriteStartArray("id");
        writer.WriteStringValue(alert.Tactic);
        writer.WriteEndArray();
        writer.WriteStartArray("name");
        writer.WriteStringValue(alert.TacticName);
        writer.WriteEndArray();
        writer.WriteStartArray("reference");
        writer.WriteStringValue($"https://attack.mitre.org/tactics/{alert.Tactic}/");
        writer.WriteEndArray();
        writer.WriteEndObject();

        string technique = alert.Technique;
        int dot = technique.IndexOf('.', StringComparison.Ordinal);
        string parentId = dot > 0 ? technique[..dot] : technique;
        string name = alert.TechniqueName;
        int colon = name.IndexOf(": ", StringComparison.Ordinal);
        string parentName = dot > 0 && colon > 0 ? name[..colon] : name;
        writer.WriteStartObject("technique");
        writer.WriteStartArray("id");
        writer.WriteStringValue(parentId);
        writer.WriteEndArray();
        writer.WriteStartArray("name");
        writer.WriteStringValue(parentName);
        writer.WriteEndArray();
        writer.WriteStartArray("reference");
        writer.WriteStringValue($"https://attack.mitre.org/techniques/{parentId}/");
        writer.WriteEndArray();
        if (dot > 0)
        {
            writer.WriteStartObject("subtechnique");
            writer.WriteStartArray("id");
            writer.WriteStringValue(technique);
            writer.WriteEndArray();
            writer.WriteStartArray("name");
            writer.WriteStringValue(colon > 0 ? name[(colon + 2)..] : name);
            writer.WriteEndArray();
            writer.WriteStartArray("reference");
            writer.WriteStringValue($"https://attack.mitre.org/techniques/{parentId}/{technique[(dot + 1)..]}/");
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
