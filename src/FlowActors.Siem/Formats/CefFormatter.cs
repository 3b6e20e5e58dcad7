using System.Globalization;
using System.Text;

namespace FlowActors.Siem.Formats;

/// <summary>
/// Renders an alert as one ArcSight Common Event Format (CEF:0) line:
/// <c>CEF:0|FlowActors|FlowActors|version|detector|name|severity|extension</c>.
/// </summary>
/// <remarks>
/// Escaping follows the ArcSight "Implementing ArcSight CEF" specification: in the header <c>\</c> and <c>|</c>
/// are backslash-escaped (line breaks are not allowed there and become spaces); in extension values <c>\</c>,
/// <c>=</c>, CR and LF are escaped as <c>\\</c>, <c>\=</c>, <c>\r</c>, <c>\n</c>. Times are milliseconds since
/// the epoch. Custom strings: cs1 technique id, cs2 technique name, cs3 tactic (id and name), cs4 role,
/// cs5 peers, cs6 ports; cn1 is the count of findings folded into the alert.
/// </remarks>
public static class CefFormatter
{
    /// <summary>Device vendor and product written in the header.</summary>
    public const string Vendor = "FlowActors";

    /// <summary>Renders <paramref name="alert"/> (no trailing newline).</summary>
    public static string Format(Alert alert, AlertFormatContext context)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(context);
        var sb = new StringBuilder(512);
        sb.Append("CEF:0|");
        Header(sb, Vendor);
        Header(sb, Vendor);
        Header(sb, context.ProductVersion);
        Header(sb, alert.Detector);
        Header(sb, Name(alert));
        sb.Append(Math.Clamp(alert.Severity, 0, 10).ToString(CultureInfo.InvariantCulture)).Append('|');

        var ep = AlertEndpoints.Of(alert);
        bool first = true;
        Ext(sb, ref first, "rt", Millis(alert.Time));
        if (ep.SourceIp is { } src) Ext(sb, ref first, "src", src);
        if (ep.DestinationIp is { } dst) Ext(sb, ref first, "dst", dst);
        if (ep.DestinationPort is { } dpt) Ext(sb, ref first, "dpt", dpt.ToString(CultureInfo.InvariantCulture));
        if (AlertEndpoints.ProtocolName(ep.IanaProtocol) is { } proto) Ext(sb, ref first, "proto", proto);
        Ext(sb, ref first, "cnt", alert.Count.ToString(CultureInfo.InvariantCulture));
        Ext(sb, ref first, "start", Millis(alert.WindowStart));
        Ext(sb, ref first, "end", Millis(alert.WindowEnd));
        Ext(sb, ref first, "externalId", alert.Id);
        Ext(sb, ref first, "cat", alert.TacticName);
        Ext(sb, ref first, "dvchost", context.ObserverHostName);
        if (!string.IsNullOrEmpty(context.ObserverIp)) Ext(sb, ref first, "dvc", context.ObserverIp);
        Ext(sb, ref first, "cs1Label", "techniqueId");
        Ext(sb, ref first, "cs1", alert.Technique);
        Ext(sb, ref first, "cs2Label", "techniqueName");
        Ext(sb, ref first, "cs2", alert.TechniqueName);
        Ext(sb, ref first, "cs3Label", "tactic");
        Ext(sb, ref first, "cs3", alert.Tactic + " " + alert.TacticName);
        Ext(sb, ref first, "cs4Label", "role");
        Ext(sb, ref first, "cs4", alert.Role);
        Ext(sb, ref first, "cs5Label", "peers");
        Ext(sb, ref first, "cs5", string.Join(',', alert.Peers));
        Ext(sb, ref first, "cs6Label", "ports");
        Ext(sb, ref first, "cs6", string.Join(',', alert.Ports));
        Ext(sb, ref first, "cn1Label", "count");
        Ext(sb, ref first, "cn1", alert.Count.ToString(CultureInfo.InvariantCulture));
        // msg last: the spec lets a value run to the next " key=", and a summary is the likeliest to be long.
        Ext(sb, ref first, "msg", alert.Summary);
        return sb.ToString();
    }

    /// <summary>The CEF Name field: the technique name with its id, e.g. <c>T1046 Network Service Discovery</c>.</summary>
    public static string Name(Alert alert) => alert.Technique + " " + alert.TechniqueName;

    private static string Millis(DateTime t) =>
        new DateTimeOffset(DateTime.SpecifyKind(t.ToUniversalTime(), DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static void Header(StringBuilder sb, string? value)
    {
        foreach (char c in value ?? string.Empty)
        {
            switch (c)
            {
                case '\\':
                    sb.Append(@"\\");
                    break;
                case '|':
                    sb.Append(@"\|");
                    break;
                case '\r' or '\n':
                    sb.Append(' ');
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        sb.Append('|');
    }

    private static void Ext(StringBuilder sb, ref bool first, string key, string? value)
    {
        if (!first) sb.Append(' ');
        first = false;
        sb.Append(key).Append('=');
        foreach (char c in value ?? string.Empty)
        {
            switch (c)
            {
                case '\\':
                    sb.Append(@"\\");
                    break;
                case '=':
                    sb.Append(@"\=");
                    break;
                case '\r':
                    sb.Append(@"\r");
                    break;
                case '\n':
                    sb.Append(@"\n");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
    }
}
