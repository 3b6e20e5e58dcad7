using System.Globalization;
using System.Text;

namespace FlowActors.Siem.Formats;

/// <summary>
/// Renders an alert as one IBM QRadar LEEF 2.0 line:
/// <c>LEEF:2.0|FlowActors|FlowActors|version|detector|^|key=value^key=value...</c>.
/// </summary>
/// <remarks>
/// LEEF has no escape sequences, so values are sanitised instead: the attribute delimiter (<c>^</c>, declared in
/// the header), tabs, CR, LF and other control characters become spaces; header fields also lose <c>|</c>.
/// <c>devTime</c> is written with its <c>devTimeFormat</c> (Java SimpleDateFormat) declared beside it.
/// </remarks>
public static class LeefFormatter
{
    /// <summary>The attribute delimiter declared in the header.</summary>
    public const char Delimiter = '^';

    /// <summary>The <c>devTimeFormat</c> written with every event.</summary>
    public const string DevTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";

    /// <summary>Renders <paramref name="alert"/> (no trailing newline).</summary>
    public static string Format(Alert alert, AlertFormatContext context)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(context);
        var sb = new StringBuilder(512);
        sb.Append("LEEF:2.0|");
        Header(sb, CefFormatter.Vendor);
        Header(sb, CefFormatter.Vendor);
        Header(sb, context.ProductVersion);
        Header(sb, alert.Detector);
        sb.Append(Delimiter).Append('|');

        var ep = AlertEndpoints.Of(alert);
        bool first = true;
        Attr(sb, ref first, "devTime", alert.Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture));
        Attr(sb, ref first, "devTimeFormat", DevTimeFormat);
        if (ep.SourceIp is { } src) Attr(sb, ref first, "src", src);
        if (ep.DestinationIp is { } dst) Attr(sb, ref first, "dst", dst);
        if (ep.DestinationPort is { } dpt) Attr(sb, ref first, "dstPort", dpt.ToString(CultureInfo.InvariantCulture));
        if (AlertEndpoints.ProtocolName(ep.IanaProtocol) is { } proto) Attr(sb, ref first, "proto", proto);
        Attr(sb, ref first, "sev", Math.Clamp(alert.Severity, 0, 10).ToString(CultureInfo.InvariantCulture));
        Attr(sb, ref first, "cat", alert.TacticName);
        Attr(sb, ref first, "identHostName", context.ObserverHostName);
        Attr(sb, ref first, "externalId", alert.Id);
        Attr(sb, ref first, "role", alert.Role);
        Attr(sb, ref first, "tacticId", alert.Tactic);
        Attr(sb, ref first, "tacticName", alert.TacticName);
        Attr(sb, ref first, "techniqueId", alert.Technique);
        Attr(sb, ref first, "techniqueName", alert.TechniqueName);
        Attr(sb, ref first, "count", alert.Count.ToString(CultureInfo.InvariantCulture));
        Attr(sb, ref first, "windowStart", Alert.FormatTime(alert.WindowStart));
        Attr(sb, ref first, "windowEnd", Alert.FormatTime(alert.WindowEnd));
        Attr(sb, ref first, "peers", string.Join(',', alert.Peers));
        Attr(sb, ref first, "ports", string.Join(',', alert.Ports));
        Attr(sb, ref first, "msg", alert.Summary);
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, string? value)
    {
        foreach (char c in value ?? string.Empty) sb.Append(c == '|' || IsBreak(c) ? ' ' : c);
        sb.Append('|');
    }

    private static void Attr(StringBuilder sb, ref bool first, string key, string? value)
    {
        if (!first) sb.Append(Delimiter);
        first = false;
        sb.Append(key).Append('=');
        foreach (char c in value ?? string.Empty) sb.Append(c == Delimiter || IsBreak(c) ? ' ' : c);
    }

    // Control characters include tab, CR, LF and NEL; U+2028/U+2029 are line breaks to many viewers too.
    private static bool IsBreak(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
