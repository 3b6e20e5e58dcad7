namespace FlowActors.Siem.Formats;

/// <summary>The wire formats a sink can render an alert in (the configuration strings are <c>cef|leef|json|rfc5424-json</c>).</summary>
public enum AlertFormat
{
    /// <summary>ArcSight Common Event Format (<c>cef</c>).</summary>
    Cef,

    /// <summary>IBM QRadar Log Event Extended Format 2.0 (<c>leef</c>).</summary>
    Leef,

    /// <summary>ECS (Elastic Common Schema 8.x) JSON (<c>json</c>).</summary>
    Json,

    /// <summary>An RFC 5424 syslog message whose MSG is ECS JSON (<c>rfc5424-json</c>).</summary>
    Rfc5424Json,
}

/// <summary>Parsing and naming of <see cref="AlertFormat"/> configuration strings.</summary>
public static class AlertFormats
{
    /// <summary>The accepted configuration strings, for messages that list them.</summary>
    public const string Accepted = "cef, leef, json or rfc5424-json";

    /// <summary>Parses <c>cef</c>, <c>leef</c>, <c>json</c> or <c>rfc5424-json</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out AlertFormat format)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "cef":
                format = AlertFormat.Cef;
                return true;
            case "leef":
                format = AlertFormat.Leef;
                return true;
            case "json":
                format = AlertFormat.Json;
                return true;
            case "rfc5424-json":
                format = AlertFormat.Rfc5424Json;
                return true;
            default:
                format = default;
                return false;
        }
    }

    /// <summary>The configuration string of <paramref name="format"/>.</summary>
    public static string Name(AlertFormat format) => format switch
    {
        AlertFormat.Cef => "cef",
        AlertFormat.Leef => "leef",
        AlertFormat.Json => "json",
        AlertFormat.Rfc5424Json => "rfc5424-json",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown alert format"),
    };
}
