using FlowActors.Siem.Sinks;

namespace FlowActors.Node.Configuration;

/// <summary>
/// The one place that knows the sink kinds: their configuration keys, which keys are secrets, and how an entry
/// becomes an <see cref="IAlertSink"/>. Adding a kind is a row in <see cref="Keys"/> and a case in
/// <see cref="Factory"/>.
/// </summary>
public static class SinkKinds
{
    /// <summary>Keys every sink entry may have.</summary>
    public static readonly IReadOnlyList<string> CommonKeys =
        ["Name", "Kind", "Enabled", "MinSeverity", "BatchSize", "MaxBacklog", "Updates", "RateLimitPerSecond"];

    /// <summary>Each kind's own keys (besides <see cref="CommonKeys"/>).</summary>
    public static readonly IReadOnlyDictionary<SinkKind, string[]> Keys = new Dictionary<SinkKind, string[]>
    {
        [SinkKind.File] = ["Path", "MaxBytes", "MaxFiles"],
        [SinkKind.Console] = [],
        [SinkKind.Syslog] = ["Transport", "Host", "Port", "Format", "Facility", "AppName", "Framing", "MaxMessageBytes", "CaFile", "ClientCertificateFile", "ClientKeyFile", "ServerName"],
        [SinkKind.Hec] = ["Url", "Token", "TokenFile", "Index", "SourceType", "Acknowledgement", "AckTimeoutSeconds"],
        [SinkKind.Webhook] = ["Url", "BearerToken", "BearerTokenFile"],
    };

    /// <summary>Keys whose values are secrets: masked in <c>flowctl node config</c>, never logged, never echoed in errors.</summary>
    public static readonly IReadOnlyList<string> SecretKeys = ["Token", "BearerToken"];

    /// <summary>The configuration names of the kinds.</summary>
    public const string KindList = "syslog, hec, webhook, file or console";

    /// <summary>Parses a <c>Kind</c> value (<c>jsonl</c> also reads as file).</summary>
    public static bool TryParse(string text, out SinkKind kind)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text.Trim().ToLowerInvariant())
        {
            case "file":
            case "jsonl":
                kind = SinkKind.File;
                return true;
            case "console":
                kind = SinkKind.Console;
                return true;
            case "syslog":
                kind = SinkKind.Syslog;
                return true;
            case "hec":
            case "splunk":
                kind = SinkKind.Hec;
                return true;
            case "webhook":
                kind = SinkKind.Webhook;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>Whether <paramref name="key"/> holds a secret.</summary>
    public static bool IsSecret(string key) => SecretKeys.Contains(key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether this build can create sinks of <paramref name="kind"/>.</summary>
    public static bool IsAvailable(SinkKind kind) => kind is SinkKind.File or SinkKind.Console;

    /// <summary>
    /// Creates the sink for a validated entry. Called on the forwarder's node when the sink is first delivered to,
    /// so a sink that cannot be created (an unwritable path) fails there, on its own, and is retried.
    /// </summary>
    public static Func<IAlertSink> Factory(SinkSettings sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return sink.Kind switch
        {
            SinkKind.File => () => new JsonLinesFileSink(sink.Path!, sink.Name),
            SinkKind.Console => () => new ConsoleSink(null, sink.Name),
            _ => throw new InvalidOperationException($"{sink.Key}:Kind {sink.Kind.ToString().ToLowerInvariant()} is not available in this build."),
        };
    }
}
