using System.Globalization;
using System.Text;

namespace FlowActors.Siem.Formats;

/// <summary>
/// Renders an alert as one RFC 5424 syslog message:
/// <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME - MSGID [flowactors@32473 id="..." technique="..." ...] MSG</c>.
/// </summary>
/// <remarks>
/// PRI is facility × 8 + severity (section 6.2.1), the facility from the context and the syslog severity mapped
/// from the alert's (<see cref="SyslogSeverity"/>). TIMESTAMP is the alert's event time in UTC with milliseconds.
/// Header fields are cut to the RFC's lengths and to printable US-ASCII (anything else becomes <c>_</c>, an empty
/// field <c>-</c>). PARAM-VALUEs escape <c>"</c>, <c>\</c> and <c>]</c> with a backslash (section 6.3.3). MSG is
/// CEF, LEEF or ECS JSON per <see cref="AlertFormatContext.InnerFormat"/>, written without a BOM (MSG-ANY).
/// SD-ID <c>flowactors@32473</c> uses the private enterprise number that RFC 5612 reserves for documentation.
/// </remarks>
public static class Rfc5424Formatter
{
    /// <summary>The SD-ID of the structured-data element every message carries.</summary>
    public const string SdId = "flowactors@32473";

    /// <summary>Renders <paramref name="alert"/> (no trailing newline; framing is the transport's job).</summary>
    public static string Format(Alert alert, AlertFormatContext context)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(context);
        int facility = Math.Clamp(context.SyslogFacility, 0, 23);
        var sb = new StringBuilder(768);
        sb.Append('<').Append((facility * 8) + SyslogSeverity(alert.Severity)).Append(">1 ");
        sb.Append(alert.Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ');
        HeaderField(sb, context.ObserverHostName, 255);
        HeaderField(sb, context.AppName, 48);
        sb.Append("- ");
        HeaderField(sb, alert.Detector, 32);

        sb.Append('[').Append(SdId);
        Param(sb, "id", alert.Id);
        Param(sb, "detector", alert.Detector);
        Param(sb, "host", alert.Host);
        Param(sb, "role", alert.Role);
        Param(sb, "severity", alert.Severity.ToString(CultureInfo.InvariantCulture));
        Param(sb, "tactic", alert.Tactic);
        Param(sb, "technique", alert.Technique);
        Param(sb, "count", alert.Count.ToString(CultureInfo.InvariantCulture));
        sb.Append("] ");

        sb.Append(context.InnerFormat switch
        {
            AlertFormat.Leef => LeefFormatter.Format(alert, context),
            AlertFormat.Json or AlertFormat.Rfc5424Json => EcsJsonFormatter.Format(alert, context),
            _ => CefFormatter.Format(alert, context),
        });
        return sb.ToString();
    }

    /// <summary>
    /// The syslog severity (0 emergency .. 7 debug) for an alert severity 0-10: 9-10 critical (2), 7-8 error (3),
    /// 5-6 warning (4), 3-4 notice (5), 0-2 informational (6).
    /// </summary>
    public static int SyslogSeverity(int alertSeverity) => alertSeverity switch
    {
        >= 9 => 2,
        >= 7 => 3,
        >= 5 => 4,
        >= 3 => 5,
        _ => 6,
    };

    private static void HeaderField(StringBuilder sb, string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            sb.Append("- ");
            return;
        }

        int n = 0;
        foreach (char c in value)
        {
            if (n++ == maxLength) break;
            sb.Append(c is > (char)32 and < (char)127 ? c : '_');
        }

        sb.Append(' ');
    }

    private static void Param(StringBuilder sb, string name, string? value)
    {
        sb.Append(' ').Append(name).Append("=\"");
        foreach (char c in value ?? string.Empty)
        {
            if (c is '"' or '\\' or ']') sb.Append('\\');
            // A line break inside SD would end the message under newline framing.
            sb.Append(char.IsControl(c) ? ' ' : c);
        }

        sb.Append('"');
    }
}
