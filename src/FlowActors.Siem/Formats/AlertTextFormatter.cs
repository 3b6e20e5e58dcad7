using System.Globalization;

namespace FlowActors.Siem.Formats;

/// <summary>
/// The one-line human rendering used on the console:
/// <c>ALERT 2026-11-28T17:05:00.000Z sev 6 port-scan T1046 10.0.0.5: summary [id]</c>.
/// Line breaks in the summary become spaces so that one alert stays one line.
/// </summary>
public static class AlertTextFormatter
{
    /// <summary>Renders <paramref name="alert"/> (no trailing newline).</summary>
    public static string Format(Alert alert, AlertFormatContext context)
    {
        ArgumentNullException.ThrowIfNull(alert);
        string summary = alert.Summary.ReplaceLineEndings(" ");
        return string.Create(CultureInfo.InvariantCulture,
            $"ALERT {Alert.FormatTime(alert.Time)} sev {alert.Severity} {alert.Detector} {alert.Technique} {alert.Host}: {summary} [{alert.Id}]");
    }
}
