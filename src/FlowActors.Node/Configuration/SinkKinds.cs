using System.Reflection;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Sinks;
using Microsoft.Extensions.Logging;

namespace FlowActors.Node.Configuration;

/// <summary>
/// The one place that maps a sink kind onto its contract options class (<see cref="SinkOptions"/> and its
/// subclasses in FlowActors.Siem): the configuration keys are that class's settable properties, so every setting
/// is defined (with its default and its validation) once, there. Adding a kind is a case in <see cref="OptionsFor"/>.
/// </summary>
public static class SinkKinds
{
    /// <summary>Keys whose values are secrets: masked in <c>flowctl node config</c>, never logged, never echoed in errors.</summary>
    // Initialised first: Keys below uses it.
    public static readonly IReadOnlyList<string> SecretKeys = ["Token", "BearerToken"];

    /// <summary>Keys every sink entry may have: the <see cref="SinkOptions"/> properties, and <c>Enabled</c>.</summary>
    public static readonly IReadOnlyList<string> CommonKeys = ["Enabled", .. SettableProperties(typeof(SinkOptions), declaredOnly: false).Select(p => p.Name)];

    /// <summary>Each kind's own keys (besides <see cref="CommonKeys"/>): its options class's properties, and a <c>*File</c> key per secret.</summary>
    public static readonly IReadOnlyDictionary<SinkKind, string[]> Keys = Enum.GetValues<SinkKind>().ToDictionary(
        k => k,
        k => SettableProperties(OptionsFor(k).GetType(), declaredOnly: true)
            .SelectMany(p => IsSecret(p.Name) ? new[] { p.Name, p.Name + "File" } : new[] { p.Name })
            .ToArray());

    /// <summary>The configuration names of the kinds.</summary>
    public const string KindList = "syslog, hec, webhook, file or console";

    /// <summary>Parses a <c>Kind</c> value (<c>jsonl</c> also reads as file, <c>splunk</c> as hec).</summary>
    public static bool TryParse(string text, out SinkKind kind)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text.Trim().ToLowerInvariant())
        {
            case FileSinkOptions.KindName:
            case "jsonl":
                kind = SinkKind.File;
                return true;
            case ConsoleSinkOptions.KindName:
                kind = SinkKind.Console;
                return true;
            case SyslogSinkOptions.KindName:
                kind = SinkKind.Syslog;
                return true;
            case HecSinkOptions.KindName:
            case "splunk":
                kind = SinkKind.Hec;
                return true;
            case WebhookSinkOptions.KindName:
                kind = SinkKind.Webhook;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>A fresh options object of <paramref name="kind"/>'s class, holding its defaults.</summary>
    public static SinkOptions OptionsFor(SinkKind kind) => kind switch
    {
        SinkKind.File => new FileSinkOptions(),
        SinkKind.Console => new ConsoleSinkOptions(),
        SinkKind.Syslog => new SyslogSinkOptions(),
        SinkKind.Hec => new HecSinkOptions(),
        SinkKind.Webhook => new WebhookSinkOptions(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown sink kind"),
    };

    /// <summary>Whether <paramref name="key"/> holds a secret.</summary>
    public static bool IsSecret(string key) => SecretKeys.Contains(key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether this build can create sinks of <paramref name="kind"/> (every kind: all are built by <see cref="SinkFactory"/>).</summary>
    public static bool IsAvailable(SinkKind kind) => Enum.IsDefined(kind);

    /// <summary>The kind's own settings of <paramref name="options"/> (not the common ones), as configuration would spell them.</summary>
    public static IEnumerable<(string Key, object? Value)> OwnSettings(SinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return SettableProperties(options.GetType(), declaredOnly: true).Select(p => (p.Name, p.GetValue(options)));
    }

    /// <summary>
    /// Creates the sink for a validated entry through <see cref="SinkFactory.Create"/>. Called on the forwarder's node
    /// when the sink is first delivered to; construction never touches the network or the file, so an unreachable
    /// receiver or an unwritable path is a delivery failure of that sink only, retried.
    /// </summary>
    public static Func<IAlertSink> Factory(SinkSettings sink, AlertFormatContext? context = null, ILoggerFactory? logging = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var options = sink.Options;
        var ctx = context ?? AlertFormatContext.Default;
        return () => SinkFactory.Create(options, ctx, logging);
    }

    internal static PropertyInfo[] SettableProperties(Type type, bool declaredOnly)
    {
        var flags = BindingFlags.Public | BindingFlags.Instance | (declaredOnly ? BindingFlags.DeclaredOnly : 0);
        return type.GetProperties(flags).Where(p => p.CanWrite && p.SetMethod!.IsPublic).ToArray();
    }
}
