using System.Globalization;
using System.Text.RegularExpressions;
using FlowActors.Siem.Formats;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// One entry of <c>Forwarder:Sinks</c>: what every sink has (name, kind, the forwarder's batching, backlog,
/// update and rate policies). Subclasses add the transport's settings; Node binds configuration onto them.
/// </summary>
public partial class SinkOptions
{
    /// <summary>Stable name under which delivery progress is recorded; defaults to the kind.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary><c>syslog</c>, <c>hec</c>, <c>webhook</c>, <c>file</c> or <c>console</c>.</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>Alerts below this severity (0-10) are not sent to this sink.</summary>
    public int MinSeverity { get; set; }

    /// <summary>Alerts per delivery call.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Alerts the forwarder keeps pending for this sink before its overflow policy applies.</summary>
    public int MaxBacklog { get; set; } = 100_000;

    /// <summary>How updates of an alert already delivered are sent: <c>all</c>, <c>first</c> or <c>every-N-minutes</c>.</summary>
    public string Updates { get; set; } = "all";

    /// <summary>Alerts per second at most (0: no limit).</summary>
    public double RateLimitPerSecond { get; set; }

    /// <summary>The name used when <see cref="Name"/> is empty.</summary>
    public string EffectiveName => string.IsNullOrWhiteSpace(Name) ? Kind.Trim().ToLowerInvariant() : Name.Trim();

    /// <summary>The option class for a <c>Kind</c> string, or null for an unknown kind.</summary>
    public static SinkOptions? ForKind(string? kind) => kind?.Trim().ToLowerInvariant() switch
    {
        SyslogSinkOptions.KindName => new SyslogSinkOptions(),
        HecSinkOptions.KindName => new HecSinkOptions(),
        WebhookSinkOptions.KindName => new WebhookSinkOptions(),
        FileSinkOptions.KindName => new FileSinkOptions(),
        ConsoleSinkOptions.KindName => new ConsoleSinkOptions(),
        _ => null,
    };

    /// <summary>
    /// Checks the settings; each message names the key (<paramref name="keyPrefix"/> + <c>:Setting</c>, e.g.
    /// <c>FlowActors:Forwarder:Sinks:2:Port</c>), the value found and the fix. Empty when all is well.
    /// </summary>
    public virtual IEnumerable<string> Validate(string keyPrefix)
    {
        if (ForKind(Kind) is null)
        {
            yield return Msg(keyPrefix, "Kind", Kind, "use syslog, hec, webhook, file or console");
        }

        if (MinSeverity is < 0 or > 10) yield return Msg(keyPrefix, "MinSeverity", MinSeverity, "use 0 to 10");
        if (BatchSize is < 1 or > 10_000) yield return Msg(keyPrefix, "BatchSize", BatchSize, "use 1 to 10000");
        if (MaxBacklog is < 1 or > 10_000_000) yield return Msg(keyPrefix, "MaxBacklog", MaxBacklog, "use 1 to 10000000 alerts");
        if (!UpdatesPattern().IsMatch(Updates ?? string.Empty))
        {
            yield return Msg(keyPrefix, "Updates", Updates, "use all, first or every-N-minutes (e.g. every-15-minutes)");
        }

        if (RateLimitPerSecond < 0 || double.IsNaN(RateLimitPerSecond))
        {
            yield return Msg(keyPrefix, "RateLimitPerSecond", RateLimitPerSecond, "use 0 (no limit) or a positive rate");
        }
    }

    /// <summary>A validation message: <c>KEY = 'value' is invalid: fix.</c></summary>
    protected static string Msg(string keyPrefix, string key, object? value, string fix) =>
        string.Create(CultureInfo.InvariantCulture, $"{Key(keyPrefix, key)} = '{value}' is invalid: {fix}.");

    /// <summary>A message for a required setting that is missing.</summary>
    protected static string Missing(string keyPrefix, string key, string fix) =>
        string.Create(CultureInfo.InvariantCulture, $"{Key(keyPrefix, key)} is required: {fix}.");

    private static string Key(string keyPrefix, string key) => string.IsNullOrEmpty(keyPrefix) ? key : keyPrefix.TrimEnd(':') + ":" + key;

    /// <summary>Checks that an optional file setting, when given, names a readable file.</summary>
    protected static IEnumerable<string> ExistingFile(string keyPrefix, string key, string? path)
    {
        if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
        {
            yield return Msg(keyPrefix, key, path, "the file does not exist; give the path of a PEM file the node can read");
        }
    }

    /// <summary>Checks an absolute http(s) URL.</summary>
    protected static IEnumerable<string> HttpUrl(string keyPrefix, string key, string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            yield return Missing(keyPrefix, key, "give the receiver's http:// or https:// URL");
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return Msg(keyPrefix, key, url, "give an absolute http:// or https:// URL");
        }
    }

    [GeneratedRegex("^(all|first|every-[1-9][0-9]{0,4}-minutes)$", RegexOptions.CultureInvariant)]
    private static partial Regex UpdatesPattern();
}

/// <summary>Settings of a syslog sink (<c>Kind = syslog</c>): RFC 5426 UDP, RFC 6587 TCP or RFC 5425 TLS.</summary>
public sealed class SyslogSinkOptions : SinkOptions
{
    /// <summary>The <c>Kind</c> string.</summary>
    public const string KindName = "syslog";

    /// <summary>Creates options with <c>Kind = syslog</c>.</summary>
    public SyslogSinkOptions() => Kind = KindName;

    /// <summary><c>udp</c>, <c>tcp</c> or <c>tls</c>.</summary>
    public string Transport { get; set; } = "udp";

    /// <summary>Receiver host name or address.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>Receiver port; 0 means the transport's standard port (514 for udp and tcp, 6514 for tls).</summary>
    public int Port { get; set; }

    /// <summary>
    /// Message format: <c>cef</c> or <c>leef</c> (an RFC 5424 message with CEF or LEEF as MSG), <c>rfc5424-json</c>
    /// (RFC 5424 with ECS JSON as MSG) or <c>json</c> (the bare ECS JSON document, no syslog header).
    /// </summary>
    public string Format { get; set; } = "cef";

    /// <summary>Syslog facility, a name (<c>local4</c>, <c>auth</c>) or a number 0-23.</summary>
    public string Facility { get; set; } = "local4";

    /// <summary>RFC 5424 APP-NAME.</summary>
    public string AppName { get; set; } = "flowactors";

    /// <summary>TCP/TLS framing: <c>octet-counting</c> (RFC 6587 3.4.1, the default) or <c>newline</c> (3.4.2).</summary>
    public string Framing { get; set; } = "octet-counting";

    /// <summary>Largest message in bytes; longer ones are cut at a UTF-8 character boundary. 0 (the default) means
    /// 2048 over UDP (what RFC 5426 receivers should accept; 480 is safe on any IPv4 path) and 8192 over TCP/TLS
    /// (rsyslog's default maximum).</summary>
    public int MaxMessageBytes { get; set; }

    /// <summary>The limit applied: <see cref="MaxMessageBytes"/>, or the transport's default.</summary>
    public int EffectiveMaxMessageBytes => MaxMessageBytes != 0 ? MaxMessageBytes
        : string.Equals(Transport?.Trim(), "udp", StringComparison.OrdinalIgnoreCase) ? 2048 : 8192;

    /// <summary>PEM file of the CA the TLS server certificate must chain to (required for <c>tls</c>).</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM file of the client certificate, for receivers that require mutual TLS.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM file of the client certificate's private key (required with <see cref="ClientCertificateFile"/>).</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>Name the server certificate must carry; defaults to <see cref="Host"/>.</summary>
    public string? ServerName { get; set; }

    /// <summary>Seconds a TCP or TLS connect (handshake included) or write may take before it counts as failed.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// TCP/TLS: bytes of the most recent frames kept and sent again after a lost connection, because what the
    /// receiver had not read yet when it stopped is gone and syslog has no acknowledgement (0: never re-send).
    /// Duplicates carry the same alert ids. Default 1 MiB (about 1,500 alerts).
    /// </summary>
    public int ReplayBytes { get; set; } = 1024 * 1024;

    /// <summary>The port used: <see cref="Port"/>, or the transport's standard port.</summary>
    public int EffectivePort => Port != 0 ? Port : string.Equals(Transport, "tls", StringComparison.OrdinalIgnoreCase) ? 6514 : 514;

    /// <inheritdoc />
    public override IEnumerable<string> Validate(string keyPrefix)
    {
        foreach (string m in base.Validate(keyPrefix)) yield return m;
        string transport = (Transport ?? string.Empty).Trim().ToLowerInvariant();
        if (transport is not ("udp" or "tcp" or "tls")) yield return Msg(keyPrefix, "Transport", Transport, "use udp, tcp or tls");
        if (string.IsNullOrWhiteSpace(Host)) yield return Missing(keyPrefix, "Host", "give the syslog receiver's host name or address");
        if (Port is < 0 or > 65535) yield return Msg(keyPrefix, "Port", Port, "use 1 to 65535 (or 0 for 514, 6514 with tls)");
        if (!AlertFormats.TryParse(Format, out _)) yield return Msg(keyPrefix, "Format", Format, "use " + AlertFormats.Accepted);
        if (!SyslogFacilities.TryParse(Facility, out _)) yield return Msg(keyPrefix, "Facility", Facility, "use a facility name such as local4 or auth, or a number 0-23");
        if (string.IsNullOrWhiteSpace(AppName) || AppName.Length > 48 || AppName.Any(c => c is <= (char)32 or >= (char)127))
        {
            yield return Msg(keyPrefix, "AppName", AppName, "use 1 to 48 printable ASCII characters without spaces");
        }

        string framing = (Framing ?? string.Empty).Trim().ToLowerInvariant();
        if (framing is not ("octet-counting" or "newline")) yield return Msg(keyPrefix, "Framing", Framing, "use octet-counting or newline");
        if (MaxMessageBytes != 0 && MaxMessageBytes is < 480 or > 1_048_576)
        {
            yield return Msg(keyPrefix, "MaxMessageBytes", MaxMessageBytes, "use 0 (the transport's default) or 480 to 1048576 (bytes)");
        }
        if (transport == "udp" && MaxMessageBytes > 65_000)
        {
            yield return Msg(keyPrefix, "MaxMessageBytes", MaxMessageBytes, "over UDP use at most 65000 bytes (one datagram); 2048 is what RFC 5426 receivers must accept");
        }

        if (ReplayBytes is < 0 or > 64 * 1024 * 1024) yield return Msg(keyPrefix, "ReplayBytes", ReplayBytes, "use 0 (no re-send) to 67108864 bytes");
        if (ConnectTimeoutSeconds is < 1 or > 300) yield return Msg(keyPrefix, "ConnectTimeoutSeconds", ConnectTimeoutSeconds, "use 1 to 300");
        if (transport == "tls" && string.IsNullOrWhiteSpace(CaFile))
        {
            yield return Missing(keyPrefix, "CaFile", "with Transport tls give the PEM file of the CA that signed the receiver's certificate");
        }

        foreach (string m in ExistingFile(keyPrefix, "CaFile", CaFile)) yield return m;
        foreach (string m in ExistingFile(keyPrefix, "ClientCertificateFile", ClientCertificateFile)) yield return m;
        foreach (string m in ExistingFile(keyPrefix, "ClientKeyFile", ClientKeyFile)) yield return m;
        if (string.IsNullOrWhiteSpace(ClientCertificateFile) != string.IsNullOrWhiteSpace(ClientKeyFile))
        {
            yield return Missing(keyPrefix, string.IsNullOrWhiteSpace(ClientKeyFile) ? "ClientKeyFile" : "ClientCertificateFile",
                "a client certificate needs both ClientCertificateFile and ClientKeyFile (PEM)");
        }

        if (transport != "tls" && (!string.IsNullOrWhiteSpace(CaFile) || !string.IsNullOrWhiteSpace(ClientCertificateFile)))
        {
            yield return Msg(keyPrefix, "Transport", Transport, "CaFile and client certificates only apply with Transport tls; set it to tls or remove them");
        }
    }
}

/// <summary>Settings of a Splunk HTTP Event Collector sink (<c>Kind = hec</c>).</summary>
public sealed class HecSinkOptions : SinkOptions
{
    /// <summary>The <c>Kind</c> string.</summary>
    public const string KindName = "hec";

    /// <summary>Creates options with <c>Kind = hec</c>.</summary>
    public HecSinkOptions() => Kind = KindName;

    /// <summary>The collector's base URL (<c>https://splunk:8088</c>) or its full event endpoint URL.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>The HEC token (a secret: from a variable or file, never logged).</summary>
    public string Token { get; set; } = string.Empty;

    /// <summary>Index to write to (empty: the token's default index).</summary>
    public string? Index { get; set; }

    /// <summary>Splunk sourcetype of the events.</summary>
    public string SourceType { get; set; } = "flowactors:alert";

    /// <summary>Use indexer acknowledgement: a batch counts as delivered only when Splunk acknowledges it.</summary>
    public bool Acknowledgement { get; set; }

    /// <summary>Seconds to wait for an acknowledgement before the batch is sent again.</summary>
    public int AckTimeoutSeconds { get; set; } = 120;

    /// <summary>Seconds an HTTP request may take.</summary>
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <inheritdoc />
    public override IEnumerable<string> Validate(string keyPrefix)
    {
        foreach (string m in base.Validate(keyPrefix)) yield return m;
        foreach (string m in HttpUrl(keyPrefix, "Url", Url)) yield return m;
        if (string.IsNullOrWhiteSpace(Token)) yield return Missing(keyPrefix, "Token", "give the HEC token (from a variable or a mounted file)");
        if (string.IsNullOrWhiteSpace(SourceType)) yield return Missing(keyPrefix, "SourceType", "give a sourcetype, e.g. flowactors:alert");
        if (AckTimeoutSeconds is < 1 or > 3600) yield return Msg(keyPrefix, "AckTimeoutSeconds", AckTimeoutSeconds, "use 1 to 3600");
        if (RequestTimeoutSeconds is < 1 or > 600) yield return Msg(keyPrefix, "RequestTimeoutSeconds", RequestTimeoutSeconds, "use 1 to 600");
    }
}

/// <summary>Settings of a generic JSON webhook sink (<c>Kind = webhook</c>): a batch is POSTed as a JSON array.</summary>
public sealed class WebhookSinkOptions : SinkOptions
{
    /// <summary>The <c>Kind</c> string.</summary>
    public const string KindName = "webhook";

    /// <summary>Creates options with <c>Kind = webhook</c>.</summary>
    public WebhookSinkOptions() => Kind = KindName;

    /// <summary>The URL batches are POSTed to.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>Bearer token sent as <c>Authorization: Bearer</c> (a secret; empty: none).</summary>
    public string? BearerToken { get; set; }

    /// <summary>Body format: <c>json</c> (the alerts' canonical JSON, the default) or <c>ecs</c> (ECS documents).</summary>
    public string Format { get; set; } = "json";

    /// <summary>Seconds an HTTP request may take.</summary>
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <inheritdoc />
    public override IEnumerable<string> Validate(string keyPrefix)
    {
        foreach (string m in base.Validate(keyPrefix)) yield return m;
        foreach (string m in HttpUrl(keyPrefix, "Url", Url)) yield return m;
        if ((Format ?? string.Empty).Trim().ToLowerInvariant() is not ("json" or "ecs")) yield return Msg(keyPrefix, "Format", Format, "use json or ecs");
        if (RequestTimeoutSeconds is < 1 or > 600) yield return Msg(keyPrefix, "RequestTimeoutSeconds", RequestTimeoutSeconds, "use 1 to 600");
    }
}

/// <summary>Settings of the JSON-lines file sink (<c>Kind = file</c>).</summary>
public sealed class FileSinkOptions : SinkOptions
{
    /// <summary>The <c>Kind</c> string.</summary>
    public const string KindName = "file";

    /// <summary>Creates options with <c>Kind = file</c>.</summary>
    public FileSinkOptions() => Kind = KindName;

    /// <summary>The file written, e.g. <c>data/alerts.jsonl</c>.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>Size at which the file is rotated to <c>PATH.1</c> (0: never rotate).</summary>
    public long MaxBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Rotated files kept (<c>PATH.1</c> .. <c>PATH.N</c>); older ones are deleted.</summary>
    public int MaxFiles { get; set; } = 5;

    /// <inheritdoc />
    public override IEnumerable<string> Validate(string keyPrefix)
    {
        foreach (string m in base.Validate(keyPrefix)) yield return m;
        if (string.IsNullOrWhiteSpace(Path)) yield return Missing(keyPrefix, "Path", "give the file to append alerts to, e.g. data/alerts.jsonl");
        if (MaxBytes != 0 && MaxBytes < 4096) yield return Msg(keyPrefix, "MaxBytes", MaxBytes, "use 0 (no rotation) or at least 4096 bytes");
        if (MaxFiles is < 1 or > 1000) yield return Msg(keyPrefix, "MaxFiles", MaxFiles, "use 1 to 1000");
    }
}

/// <summary>Settings of the console sink (<c>Kind = console</c>); it has none of its own.</summary>
public sealed class ConsoleSinkOptions : SinkOptions
{
    /// <summary>The <c>Kind</c> string.</summary>
    public const string KindName = "console";

    /// <summary>Creates options with <c>Kind = console</c>.</summary>
    public ConsoleSinkOptions() => Kind = KindName;
}
