using System.Reflection;

namespace FlowActors.Siem.Formats;

/// <summary>
/// What a formatter needs besides the alert: who observed it (product version, this node's host name and
/// address) and, for syslog, the facility, app name and the format of the message body.
/// </summary>
public sealed record AlertFormatContext
{
    /// <summary>The product version of this assembly (informational version without build metadata).</summary>
    public static readonly string AssemblyVersion = ReadVersion();

    /// <summary>A context with the defaults: this assembly's version, this machine's host name, facility local4.</summary>
    public static AlertFormatContext Default { get; } = new();

    /// <summary>Product version written into CEF/LEEF headers and <c>observer.version</c>.</summary>
    public string ProductVersion { get; init; } = AssemblyVersion;

    /// <summary>Host name of the observing node (syslog HOSTNAME, CEF <c>dvchost</c>, <c>observer.hostname</c>).</summary>
    public string ObserverHostName { get; init; } = SafeHostName();

    /// <summary>IP address of the observing node, when known (CEF <c>dvc</c>, <c>observer.ip</c>).</summary>
    public string? ObserverIp { get; init; }

    /// <summary>Syslog facility code 0-23 used in the RFC 5424 PRI (default 20, local4).</summary>
    public int SyslogFacility { get; init; } = SyslogFacilities.Local4;

    /// <summary>RFC 5424 APP-NAME (default <c>flowactors</c>).</summary>
    public string AppName { get; init; } = "flowactors";

    /// <summary>Format of the MSG part of an RFC 5424 message: <see cref="AlertFormat.Cef"/>, <see cref="AlertFormat.Leef"/>
    /// or <see cref="AlertFormat.Json"/> (ECS JSON; <see cref="AlertFormat.Rfc5424Json"/> means the same here).</summary>
    public AlertFormat InnerFormat { get; init; } = AlertFormat.Cef;

    private static string ReadVersion()
    {
        var assembly = typeof(AlertFormatContext).Assembly;
        string? v = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(v)) v = assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        int plus = v.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? v[..plus] : v;
    }

    private static string SafeHostName()
    {
        try
        {
            return Environment.MachineName;
        }
        catch (InvalidOperationException)
        {
            return "localhost";
        }
    }
}

/// <summary>Syslog facility codes (RFC 5424 section 6.2.1) and their names.</summary>
public static class SyslogFacilities
{
    /// <summary>Facility 20, <c>local4</c>.</summary>
    public const int Local4 = 20;

    private static readonly string[] Names =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    /// <summary>Parses a facility name (<c>local4</c>, <c>auth</c>, ...) or a number 0-23.</summary>
    public static bool TryParse(string? text, out int facility)
    {
        facility = -1;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string t = text.Trim().ToLowerInvariant();
        if (int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
        {
            if (n is < 0 or > 23) return false;
            facility = n;
            return true;
        }

        facility = Array.IndexOf(Names, t);
        return facility >= 0;
    }
}
