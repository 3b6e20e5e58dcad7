using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FlowActors.Detection;

/// <summary>
/// One finding about one monitored host: the single alert shape rendered as JSON lines, ECS and CEF
/// (see DESIGN.md "Alert record").
/// </summary>
/// <param name="Id">Deterministic id: the same host, detector, role and suppression episode give the same id.</param>
/// <param name="Time">Event time of the (latest) finding, UTC.</param>
/// <param name="Host">The monitored IP the alert concerns.</param>
/// <param name="Role"><c>actor</c> when the host did it, <c>target</c> when it was done to the host.</param>
/// <param name="Peers">Top peer addresses involved.</param>
/// <param name="Ports">Ports involved (most significant first).</param>
/// <param name="Detector">Detector name, e.g. <c>port-scan</c>.</param>
/// <param name="Tactic">ATT&amp;CK tactic id.</param>
/// <param name="TacticName">ATT&amp;CK tactic name.</param>
/// <param name="Technique">ATT&amp;CK technique id.</param>
/// <param name="TechniqueName">ATT&amp;CK technique name.</param>
/// <param name="Severity">0 (informational) to 10 (critical).</param>
/// <param name="Summary">One sentence for a SOC analyst.</param>
/// <param name="Evidence">Observed and baseline numbers behind the finding.</param>
/// <param name="WindowStart">Start of the (first) detection window, UTC.</param>
/// <param name="WindowEnd">End of the (latest) detection window, UTC.</param>
/// <param name="Count">Findings folded into this alert by suppression (1 for a fresh alert).</param>
public sealed record Alert(
    string Id,
    DateTime Time,
    string Host,
    string Role,
    IReadOnlyList<string> Peers,
    IReadOnlyList<int> Ports,
    string Detector,
    string Tactic,
    string TacticName,
    string Technique,
    string TechniqueName,
    int Severity,
    string Summary,
    IReadOnlyDictionary<string, double> Evidence,
    DateTime WindowStart,
    DateTime WindowEnd,
    int Count)
{
    /// <summary>Role of a host that performed the behaviour.</summary>
    public const string ActorRole = "actor";

    /// <summary>
    /// The severity from which alerts are meant to be forwarded to a SIEM by default. Detectors keep findings they
    /// are unsure of (common software, background radiation) below it; filters downstream can use it as their cut.
    /// </summary>
    public const int DefaultForwardingSeverity = 5;

    /// <summary>Role of a host the behaviour was aimed at.</summary>
    public const string TargetRole = "target";

    /// <summary>Writes the alert as one JSON object (snake_case field names, times ISO 8601 UTC with milliseconds).</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("id", Id);
        writer.WriteString("time", FormatTime(Time));
        writer.WriteString("host", Host);
        writer.WriteString("role", Role);
        writer.WriteStartArray("peers");
        foreach (string p in Peers) writer.WriteStringValue(p);
        writer.WriteEndArray();
        writer.WriteStartArray("ports");
        foreach (int p in Ports) writer.WriteNumberValue(p);
        writer.WriteEndArray();
        writer.WriteString("detector", Detector);
        writer.WriteStartObject("tactic");
        writer.WriteString("id", Tactic);
        writer.WriteString("name", TacticName);
        writer.WriteEndObject();
        writer.WriteStartObject("technique");
        writer.WriteString("id", Technique);
        writer.WriteString("name", TechniqueName);
        writer.WriteEndObject();
        writer.WriteNumber("severity", Severity);
        writer.WriteString("summary", Summary);
        writer.WriteStartObject("evidence");
        foreach (var kv in Evidence)
        {
            double v = kv.Value;
            if (double.IsFinite(v)) writer.WriteNumber(kv.Key, Math.Round(v, 4));
            else writer.WriteNull(kv.Key);
        }

        writer.WriteEndObject();
        writer.WriteString("window_start", FormatTime(WindowStart));
        writer.WriteString("window_end", FormatTime(WindowEnd));
        writer.WriteNumber("count", Count);
        writer.WriteEndObject();
    }

    /// <summary>The alert as a single JSON line (no trailing newline).</summary>
    public string ToJsonLine()
    {
        using var stream = new MemoryStream(512);
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteJson(writer);
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Parses a line written by <see cref="ToJsonLine"/>.</summary>
    /// <exception cref="FormatException">The text is not an alert line.</exception>
    public static Alert FromJsonLine(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var peers = new List<string>();
            foreach (var p in r.GetProperty("peers").EnumerateArray()) peers.Add(p.GetString() ?? string.Empty);
            var ports = new List<int>();
            foreach (var p in r.GetProperty("ports").EnumerateArray()) ports.Add(p.GetInt32());
            var evidence = new Dictionary<string, double>();
            foreach (var e in r.GetProperty("evidence").EnumerateObject())
            {
                evidence[e.Name] = e.Value.ValueKind == JsonValueKind.Number ? e.Value.GetDouble() : double.NaN;
            }

            var tactic = r.GetProperty("tactic");
            var technique = r.GetProperty("technique");
            return new Alert(
                r.GetProperty("id").GetString()!, ParseTime(r.GetProperty("time").GetString()!),
                r.GetProperty("host").GetString()!, r.GetProperty("role").GetString()!, peers, ports,
                r.GetProperty("detector").GetString()!, tactic.GetProperty("id").GetString()!,
                tactic.GetProperty("name").GetString()!, technique.GetProperty("id").GetString()!,
                technique.GetProperty("name").GetString()!, r.GetProperty("severity").GetInt32(),
                r.GetProperty("summary").GetString()!, evidence,
                ParseTime(r.GetProperty("window_start").GetString()!), ParseTime(r.GetProperty("window_end").GetString()!),
                r.GetProperty("count").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"Not an alert JSON line: {e.Message}", e);
        }
    }

    /// <summary>Formats a UTC time as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public static string FormatTime(DateTime time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>Value equality including list and evidence contents (records compare references otherwise).</summary>
    public bool ContentEquals(Alert? other) =>
        other is not null && Id == other.Id && Time == other.Time && Host == other.Host && Role == other.Role
        && Peers.SequenceEqual(other.Peers) && Ports.SequenceEqual(other.Ports) && Detector == other.Detector
        && Tactic == other.Tactic && Technique == other.Technique && Severity == other.Severity && Summary == other.Summary
        && Evidence.Count == other.Evidence.Count
        && Evidence.All(kv => other.Evidence.TryGetValue(kv.Key, out double v) && v.Equals(kv.Value))
        && WindowStart == other.WindowStart && WindowEnd == other.WindowEnd && Count == other.Count;
}
