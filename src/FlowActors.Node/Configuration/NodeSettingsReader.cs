using System.Data.Common;
using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace FlowActors.Node.Configuration;

/// <summary>One configuration value that stops the node from starting.</summary>
/// <param name="Key">Full configuration key, e.g. <c>FlowActors:Cluster:Port</c>.</param>
/// <param name="Message">What is wrong and how to fix it, naming the key and its environment variable.</param>
public sealed record SettingError(string Key, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>Thrown when the configuration holds values the node cannot start with.</summary>
public sealed class InvalidSettingsException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public InvalidSettingsException(IReadOnlyList<SettingError> errors)
        : base("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)))
    {
        Errors = errors;
    }

    /// <summary>Every bad setting, in configuration order.</summary>
    public IReadOnlyList<SettingError> Errors { get; }
}

/// <summary>
/// Reads and validates <see cref="NodeSettings"/> from the <c>FlowActors</c> configuration section. Every
/// problem is collected (not just the first), each message naming the key, the value seen, the environment
/// variable that sets it and what to set it to. Unknown keys are errors too: a misspelt setting would
/// otherwise be ignored silently.
/// </summary>
public static partial class NodeSettingsReader
{
    /// <summary>Name of the configuration section.</summary>
    public const string SectionName = "FlowActors";

    /// <summary>The three roles a node can carry.</summary>
    public static readonly IReadOnlyList<string> AllRoles = ["edge", "analytics", "forwarder"];

    /// <summary>Detection window used by the demo, so the bundled captures' alerts appear within seconds.</summary>
    public const int DemoWindowSeconds = 10;

    /// <summary>Networks monitored when none are configured: RFC 1918 and IPv6 unique-local addresses.</summary>
    public static readonly IReadOnlyList<string> DefaultMonitoredNetworks = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

    private static readonly Dictionary<string, string[]> KnownKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        [""] = ["DataDirectory", "Demo", "Cluster", "Receivers", "Networks", "Detection", "Persistence", "Forwarder", "Operator", "Health"],
        ["Cluster"] = ["SystemName", "Hostname", "PublicHostname", "Port", "Seeds", "Roles", "ShardCount", "Tls"],
        ["Receivers"] = ["BindAddress", "NetFlowPort", "IpfixPort", "SflowPort", "SocketsPerPort", "ReceiveBufferBytes", "ExporterAllowlist", "BatchSize", "FlushIntervalMs"],
        ["Networks"] = ["Monitored"],
        ["Detection"] = ["WindowSeconds", "AllowedLatenessSeconds", "PassivateAfterSeconds", "SnapshotIntervalSeconds", "Tuning", "IdleTickMilliseconds"],
        ["Persistence"] = ["Provider", "ConnectionString"],
        ["Forwarder"] = ["Sinks", "PullWindow"],
        ["Operator"] = ["Enabled", "BindAddress", "Port", "Token", "TokenFile", "ProtectProbesAndMetrics"],
        ["Health"] = ["ExitAfterNotReadySeconds"],
    };

    private static readonly string[] TlsKeys = ["Enabled", "CertificatePath", "KeyPath", "PfxPath", "PfxPassword", "CaPath"];

    /// <summary>Placeholder values from examples (k8s/secret.example.yaml) that must never reach a running node.</summary>
    public static readonly IReadOnlyList<string> PlaceholderTokens = ["change-me-to-a-long-random-secret", "change-me", "changeme"];

    /// <summary>Shortest operator token accepted on a non-loopback bind.</summary>
    public const int MinimumExposedTokenLength = 16;

    /// <summary>Reads the settings, throwing <see cref="InvalidSettingsException"/> listing every bad value.</summary>
    public static NodeSettings Read(IConfiguration configuration)
    {
        var settings = TryRead(configuration, out var errors);
        if (errors.Count > 0) throw new InvalidSettingsException(errors);
        return settings!;
    }

    /// <summary>Reads the settings; returns null and the errors when any value is bad.</summary>
    public static NodeSettings? TryRead(IConfiguration configuration, out IReadOnlyList<SettingError> errors)
    {
        var r = new Reader(configuration.GetSection(SectionName));
        var settings = r.ReadAll();
        errors = r.Errors;
        return r.Errors.Count == 0 ? settings : null;
    }

    /// <summary>The environment variable that sets <paramref name="key"/> (<c>FlowActors:Cluster:Port</c> → <c>FLOWACTORS__CLUSTER__PORT</c>).</summary>
    public static string EnvironmentVariableFor(string key) => key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

    private sealed partial class Reader(IConfigurationSection root)
    {
        public List<SettingError> Errors { get; } = new();

        public NodeSettings ReadAll()
        {
            CheckUnknownKeys();

            string dataDirectory = ReadString(root, "DataDirectory", "data");
            if (dataDirectory.Length == 0 || dataDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            {
                Fail(root, "DataDirectory", dataDirectory, "must be a directory path", "to a writable directory, e.g. /var/lib/flowactors");
            }

            var cluster = ReadCluster(root.GetSection("Cluster"));
            var receivers = ReadReceivers(root.GetSection("Receivers"));
            var networks = ReadNetworks(root.GetSection("Networks"));
            var detection = ReadDetection(root.GetSection("Detection"));
            var persistence = ReadPersistence(root.GetSection("Persistence"), dataDirectory);
            var forwarder = ReadForwarder(root.GetSection("Forwarder"), dataDirectory);
            var op = ReadOperator(root.GetSection("Operator"));
            op = ReadOperatorTokenFile(root.GetSection("Operator"), op);
            CheckOperatorTokenStrength(root.GetSection("Operator"), op);
            cluster = WithRemotingTls(cluster, ReadRemotingTls(root.GetSection("Cluster").GetSection("Tls")));
            var health = ReadHealth(root.GetSection("Health"));
            detection = detection with { IdleTickMilliseconds = ReadIdleTick(root.GetSection("Detection")) };
            bool demo = ReadBool(root, "Demo", false);

            if (op.Enabled && op.Port != 0 && op.Port == cluster.Port)
            {
                Fail(root.GetSection("Operator"), "Port", op.Port.ToString(CultureInfo.InvariantCulture),
                    $"must differ from {Key(root.GetSection("Cluster"), "Port")} (both are TCP ports)", "to another free TCP port, e.g. 9110");
            }

            if (demo && receivers.NetFlowPort == 0)
            {
                Fail(root.GetSection("Receivers"), "NetFlowPort", "0", "must be enabled for the demo, which replays NetFlow v9 into it", "to a free UDP port, e.g. 2055, or turn the demo off");
            }

            if (demo && !cluster.Roles.Contains("edge"))
            {
                Fail(root.GetSection("Cluster"), "Roles", string.Join(",", cluster.Roles), "must include edge for the demo, which needs this node's receiver", "to edge,analytics,forwarder, or turn the demo off");
            }

            if (demo)
            {
                // The bundled captures last under a minute of event time; with 5-minute windows their alerts would wait
                // for idle ticks to close the window (minutes of wall time). Short windows show them at once.
                detection = detection with { WindowSeconds = DemoWindowSeconds, AllowedLatenessSeconds = 0 };
            }

            return new NodeSettings
            {
                DataDirectory = dataDirectory,
                Demo = demo,
                Cluster = cluster,
                Receivers = receivers,
                Networks = networks,
                Detection = detection,
                Persistence = persistence,
                Forwarder = forwarder,
                Operator = op,
                Health = health,
            };
        }

        private ClusterSettings ReadCluster(IConfigurationSection s)
        {
            string systemName = ReadString(s, "SystemName", "flowactors");
            if (systemName.Length == 0 || !systemName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || !char.IsAsciiLetterOrDigit(systemName[0]))
            {
                Fail(s, "SystemName", systemName, "must be letters, digits, '-' or '_', starting with a letter or digit", "to the same name on every node, e.g. flowactors");
            }

            string hostname = ReadString(s, "Hostname", "127.0.0.1");
            if (!IsHostName(hostname))
            {
                Fail(s, "Hostname", hostname, "must be an IP address or DNS name to bind remoting to", "to e.g. 0.0.0.0 or 127.0.0.1");
            }

            string publicHostname = ReadString(s, "PublicHostname", "");
            if (publicHostname.Length == 0 && IPAddress.TryParse(hostname, out var bindAll) && (bindAll.Equals(IPAddress.Any) || bindAll.Equals(IPAddress.IPv6Any)))
            {
                // Other nodes cannot dial 0.0.0.0: the address the node advertises must be a real one.
                Fail(s, "PublicHostname", "", $"is required when {Key(s, "Hostname")} is {hostname}", "to the name or address other nodes reach this one by, e.g. $(POD_NAME).flowactors");
                publicHostname = hostname;
            }
            else if (publicHostname.Length == 0)
            {
                publicHostname = hostname;
            }
            else if (!IsHostName(publicHostname))
            {
                Fail(s, "PublicHostname", publicHostname, "must be an IP address or DNS name other nodes can reach", "to e.g. flowactors-0.flowactors");
            }

            int port = ReadInt(s, "Port", 4053, 0, 65535, "to a free TCP port, e.g. 4053");
            var roles = ReadList(s, "Roles", AllRoles);
            var normalizedRoles = new List<string>();
            foreach (var role in roles)
            {
                string r = role.Trim().ToLowerInvariant();
                if (!AllRoles.Contains(r))
                {
                    Fail(s, "Roles", role, "must list only edge, analytics and forwarder", "to a comma-separated subset of edge,analytics,forwarder");
                }
                else if (!normalizedRoles.Contains(r))
                {
                    normalizedRoles.Add(r);
                }
            }

            if (roles.Count == 0)
            {
                Fail(s, "Roles", "", "must name at least one role", "to a comma-separated subset of edge,analytics,forwarder");
            }

            var seeds = new List<string>();
            foreach (var seed in ReadList(s, "Seeds", []))
            {
                string? normalized = NormalizeSeed(seed.Trim(), systemName);
                if (normalized is null)
                {
                    Fail(s, "Seeds", seed, $"must be akka.tcp://{systemName}@HOST:PORT or HOST:PORT", $"to e.g. flowactors-0.flowactors:4053 (comma-separated)");
                }
                else
                {
                    seeds.Add(normalized);
                }
            }

            int shardCount = ReadInt(s, "ShardCount", 100, 1, 10_000, "to about 10 times the largest node count, e.g. 100 (never change it on a running cluster)");

            return new ClusterSettings
            {
                SystemName = systemName,
                Hostname = hostname,
                PublicHostname = publicHostname,
                Port = port,
                Seeds = seeds,
                Roles = normalizedRoles,
                ShardCount = shardCount,
            };
        }

        private ReceiverSettings ReadReceivers(IConfigurationSection s)
        {
            string bind = ReadString(s, "BindAddress", "0.0.0.0");
            if (!IPAddress.TryParse(bind, out _))
            {
                Fail(s, "BindAddress", bind, "must be an IP address", "to 0.0.0.0 (all IPv4), :: (all) or one local address");
            }

            int netflow = ReadInt(s, "NetFlowPort", 2055, 0, 65535, "to a free UDP port (2055 by convention), or 0 to disable");
            int ipfix = ReadInt(s, "IpfixPort", 4739, 0, 65535, "to a free UDP port (4739 by convention), or 0 to disable");
            int sflow = ReadInt(s, "SflowPort", 6343, 0, 65535, "to a free UDP port (6343 by convention), or 0 to disable");
            if (ipfix != 0 && ipfix == netflow)
            {
                Fail(s, "IpfixPort", ipfix.ToString(CultureInfo.InvariantCulture), $"must differ from {Key(s, "NetFlowPort")} (every receiver accepts every version already)", "to another port, or 0 to disable");
            }

            if (sflow != 0 && (sflow == netflow || sflow == ipfix))
            {
                Fail(s, "SflowPort", sflow.ToString(CultureInfo.InvariantCulture), "must differ from the NetFlow and IPFIX ports (every receiver accepts every version already)", "to another port, or 0 to disable");
            }

            int sockets = ReadInt(s, "SocketsPerPort", 2, 1, 64, "to 1-64 (about one per core that should receive)");
            int rcvbuf = ReadInt(s, "ReceiveBufferBytes", 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024, "to a size in bytes, e.g. 8388608 (8 MiB)");
            var allow = new List<string>();
            foreach (var entry in ReadList(s, "ExporterAllowlist", []))
            {
                string e = entry.Trim();
                if (IPAddress.TryParse(e, out _) || IPNetwork.TryParse(e, out _))
                {
                    allow.Add(e);
                }
                else
                {
                    Fail(s, "ExporterAllowlist", entry, "must list IP addresses or CIDR prefixes", "to e.g. 192.0.2.1,198.51.100.0/24, or leave it empty to accept every exporter");
                }
            }

            int batch = ReadInt(s, "BatchSize", 256, 1, 65_536, "to 1-65536 observations, e.g. 256");
            int flush = ReadInt(s, "FlushIntervalMs", 100, 1, 60_000, "to 1-60000 milliseconds, e.g. 100");

            return new ReceiverSettings
            {
                BindAddress = bind,
                NetFlowPort = netflow,
                IpfixPort = ipfix,
                SflowPort = sflow,
                SocketsPerPort = sockets,
                ReceiveBufferBytes = rcvbuf,
                ExporterAllowlist = allow,
                BatchSize = batch,
                FlushIntervalMs = flush,
            };
        }

        private NetworkSettings ReadNetworks(IConfigurationSection s)
        {
            int errorsBefore = Errors.Count;
            var monitored = ReadPrefixes(s, "Monitored", DefaultMonitoredNetworks);
            if (monitored.Count == 0 && Errors.Count == errorsBefore)
            {
                Fail(s, "Monitored", "", "must name at least one prefix", "to your networks in CIDR form, e.g. 10.0.0.0/8,2001:db8::/32");
            }

            return new NetworkSettings { Monitored = monitored };
        }

        private List<IPNetwork> ReadPrefixes(IConfigurationSection s, string key, IReadOnlyList<string> defaults)
        {
            var result = new List<IPNetwork>();
            foreach (var entry in ReadList(s, key, defaults))
            {
                string text = entry.Trim();
                int slash = text.IndexOf('/');
                // IPNetwork.TryParse masks host bits away silently; "10.0.0.1/8" is more likely a typo than a network.
                if (slash > 0 && IPNetwork.TryParse(text, out var network) && IPAddress.TryParse(text[..slash], out var given) && network.BaseAddress.Equals(given))
                {
                    result.Add(network);
                }
                else
                {
                    Fail(s, key, entry, DescribeBadPrefix(text), "to e.g. 10.0.0.0/8,2001:db8::/32 (comma-separated)");
                }
            }

            return result;
        }

        /// <summary>Why <paramref name="text"/> is not a CIDR prefix: a message that is true for the value given.</summary>
        private static string DescribeBadPrefix(string text)
        {
            int slash = text.IndexOf('/');
            if (slash <= 0) return "must list CIDR prefixes (address/length)";
            if (!IPAddress.TryParse(text[..slash], out var address)) return "must list CIDR prefixes whose address is an IP address";
            int maxLength = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
            if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > maxLength)
            {
                return $"must list CIDR prefixes whose length is 0-{maxLength.ToString(CultureInfo.InvariantCulture)} for this address family";
            }

            return "must list CIDR prefixes with no host bits set";
        }

        private DetectionSettings ReadDetection(IConfigurationSection s)
        {
            int window = ReadInt(s, "WindowSeconds", 300, 10, 86_400, "to 10-86400 seconds, e.g. 300");
            int lateness = ReadInt(s, "AllowedLatenessSeconds", 30, 0, 86_400, "to 0-86400 seconds, e.g. 30");
            if (lateness > window)
            {
                Fail(s, "AllowedLatenessSeconds", lateness.ToString(CultureInfo.InvariantCulture), $"must not exceed {Key(s, "WindowSeconds")} ({window})", "to a fraction of the window, e.g. 30");
            }

            int passivate = ReadInt(s, "PassivateAfterSeconds", 600, 10, 604_800, "to 10-604800 seconds, e.g. 600");
            int snapshot = ReadInt(s, "SnapshotIntervalSeconds", 5, 1, 86_400, "to 1-86400 seconds, e.g. 5");
            return new DetectionSettings
            {
                WindowSeconds = window,
                AllowedLatenessSeconds = lateness,
                PassivateAfterSeconds = passivate,
                SnapshotIntervalSeconds = snapshot,
                Tuning = ReadTuning(s.GetSection("Tuning"), window, lateness),
            };
        }

        /// <summary>
        /// Binds <c>Detection:Tuning</c> onto the detection library's own settings (every detector's parameters,
        /// learning period, suppression, allowlists, threat-intel files) so nothing has to be listed twice; an unknown
        /// key or a value the library refuses is a start-up error naming it.
        /// </summary>
        private FlowActors.Detection.DetectionSettings ReadTuning(IConfigurationSection t, int windowSeconds, int latenessSeconds)
        {
            var tuning = new FlowActors.Detection.DetectionSettings();
            if (t.Exists())
            {
                try
                {
                    t.Bind(tuning, o => o.ErrorOnUnknownConfiguration = true);
                }
                catch (InvalidOperationException e)
                {
                    Errors.Add(new SettingError(t.Path, $"{t.Path} cannot be read: {e.Message} Fix or remove the {EnvironmentVariableFor(t.Path)}__... variables (names as in FlowActors.Detection.DetectionSettings, e.g. {EnvironmentVariableFor(t.Path)}__PORTSCAN__MINPORTS=15)."));
                    return tuning;
                }
            }

            tuning.Window = TimeSpan.FromSeconds(windowSeconds);
            tuning.AllowedLateness = TimeSpan.FromSeconds(Math.Min(latenessSeconds, windowSeconds)); // lateness > window is reported above
            try
            {
                tuning.Validate();
            }
            catch (ArgumentException e)
            {
                Errors.Add(new SettingError(t.Path, $"{t.Path}: {e.Message} Set it under {EnvironmentVariableFor(t.Path)}__<DETECTOR>__<SETTING>."));
            }

            return tuning;
        }

        private PersistenceSettings ReadPersistence(IConfigurationSection s, string dataDirectory)
        {
            string providerText = ReadString(s, "Provider", "sqlite");
            PersistenceProvider provider;
            switch (providerText.Trim().ToLowerInvariant())
            {
                case "sqlite":
                    provider = PersistenceProvider.Sqlite;
                    break;
                case "postgresql":
                case "postgres":
                    provider = PersistenceProvider.PostgreSql;
                    break;
                default:
                    Fail(s, "Provider", providerText, "must be sqlite or postgresql", "to sqlite (embedded file under the data directory) or postgresql");
                    provider = PersistenceProvider.Sqlite;
                    break;
            }

            string connection = ReadString(s, "ConnectionString", "");
            if (connection.Length == 0)
            {
                if (provider == PersistenceProvider.PostgreSql)
                {
                    Fail(s, "ConnectionString", "", "is required when the provider is postgresql", "to e.g. Host=db;Port=5432;Database=flowactors;Username=flowactors;Password=...");
                }

                connection = "Data Source=" + Path.Combine(dataDirectory, "flowactors.db");
            }
            else
            {
                try
                {
                    DbConnectionStringBuilder builder = provider == PersistenceProvider.PostgreSql
                        ? new NpgsqlConnectionStringBuilder(connection)
                        : new SqliteConnectionStringBuilder(connection);
                    _ = builder.ConnectionString;
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
                {
                    Fail(s, "ConnectionString", Redact(connection), $"is not a valid {providerText} connection string ({ex.Message.TrimEnd('.')})",
                        provider == PersistenceProvider.PostgreSql ? "to e.g. Host=db;Port=5432;Database=flowactors;Username=flowactors;Password=..." : "to e.g. Data Source=data/flowactors.db");
                }
            }

            return new PersistenceSettings { Provider = provider, ConnectionString = connection };
        }

        private OperatorSettings ReadOperator(IConfigurationSection s)
        {
            bool enabled = ReadBool(s, "Enabled", true);
            string bindText = ReadString(s, "BindAddress", "127.0.0.1");
            if (!IPAddress.TryParse(bindText, out var bind))
            {
                Fail(s, "BindAddress", bindText, "must be an IP address", "to 127.0.0.1 (local only) or 0.0.0.0 (with a Token)");
                bind = IPAddress.Loopback;
            }

            int port = ReadInt(s, "Port", 9110, 0, 65535, "to a free TCP port, e.g. 9110");
            string token = ReadString(s, "Token", "");
            if (enabled && token.Length == 0 && s.GetSection("TokenFile").Value is not { Length: > 0 } && !IPAddress.IsLoopback(bind))
            {
                Fail(s, "Token", "", $"is required when {Key(s, "BindAddress")} is not loopback (got {bindText}): the API can take nodes out of the cluster",
                    "to a long random secret (e.g. from a Kubernetes secret), or bind to 127.0.0.1");
            }

            bool protect = ReadBool(s, "ProtectProbesAndMetrics", false);
            return new OperatorSettings { Enabled = enabled, BindAddress = bind, Port = port, Token = token, ProtectProbesAndMetrics = protect };
        }

        /// <summary><c>Operator:TokenFile</c>: a mounted secret; its content (trimmed) becomes the token.</summary>
        private OperatorSettings ReadOperatorTokenFile(IConfigurationSection s, OperatorSettings op)
        {
            string file = ReadString(s, "TokenFile", "").Trim();
            if (file.Length == 0) return op;
            if (op.Token.Length > 0)
            {
                Fail(s, "TokenFile", file, $"cannot be used together with {Key(s, "Token")}", "or Token, not both");
                return op;
            }

            try
            {
                return op with { Token = File.ReadAllText(file).Trim(), TokenFile = file };
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Fail(s, "TokenFile", file, $"must be a readable file ({ex.Message})", "to the path of the mounted token secret");
                return op;
            }
        }

        /// <summary>
        /// A blank token is refused everywhere; on a non-loopback bind the token must be at least
        /// <see cref="MinimumExposedTokenLength"/> random-looking characters and never an example's placeholder.
        /// </summary>
        private void CheckOperatorTokenStrength(IConfigurationSection s, OperatorSettings op)
        {
            string key = op.TokenFile.Length > 0 ? "TokenFile" : "Token";
            string raw = s.GetSection("Token").Value ?? "";
            if (op.TokenFile.Length == 0 && raw.Length > 0 && raw.Trim().Length == 0)
            {
                Fail(s, key, raw, "must not be blank", "to a long random secret, e.g. from: openssl rand -hex 32");
                return;
            }

            if (op.Token.Length == 0) return;
            if (PlaceholderTokens.Any(p => op.Token.Contains(p, StringComparison.OrdinalIgnoreCase)))
            {
                Fail(s, key, "(the example's placeholder)", "must not be the example secret's placeholder value", "to a long random secret, e.g. from: openssl rand -hex 32");
                return;
            }

            if (!op.Enabled || IPAddress.IsLoopback(op.BindAddress)) return;
            if (op.Token.Length < MinimumExposedTokenLength || op.Token.Distinct().Count() < 8 || op.Token.Any(char.IsWhiteSpace))
            {
                Fail(s, key, $"({op.Token.Length.ToString(CultureInfo.InvariantCulture)} characters, {op.Token.Distinct().Count().ToString(CultureInfo.InvariantCulture)} distinct)",
                    $"must be at least {MinimumExposedTokenLength.ToString(CultureInfo.InvariantCulture)} random-looking characters (at least 8 distinct, no spaces) when {Key(s, "BindAddress")} is not loopback",
                    "to a long random secret, e.g. from: openssl rand -hex 32");
            }
        }

        /// <summary><c>Cluster:Tls</c>: remoting over TLS with a certificate (PEM pair or PFX) and a CA file.</summary>
        private RemotingTlsSettings? ReadRemotingTls(IConfigurationSection s)
        {
            foreach (var child in s.GetChildren())
            {
                if (!TlsKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    Errors.Add(new SettingError(child.Path, $"{child.Path} is not a setting. Known under {s.Path}: {string.Join(", ", TlsKeys)}. Remove {EnvironmentVariableFor(child.Path)} or fix its spelling."));
                }
            }

            if (!ReadBool(s, "Enabled", false)) return null;
            string cert = ReadString(s, "CertificatePath", "").Trim();
            string key = ReadString(s, "KeyPath", "").Trim();
            string pfx = ReadString(s, "PfxPath", "").Trim();
            string ca = ReadString(s, "CaPath", "").Trim();
            const string fix = "to a PEM certificate and key (CertificatePath, KeyPath) or a PFX (PfxPath), e.g. mounted from a Kubernetes TLS secret";
            if (pfx.Length > 0 && (cert.Length > 0 || key.Length > 0))
            {
                Fail(s, "PfxPath", pfx, $"cannot be combined with {Key(s, "CertificatePath")}/{Key(s, "KeyPath")}", "or the PEM pair, not both");
            }
            else if (pfx.Length == 0 && (cert.Length == 0 || key.Length == 0))
            {
                Fail(s, cert.Length == 0 ? "CertificatePath" : "KeyPath", "", "is required when remoting TLS is enabled", fix);
            }

            foreach (var (name, path) in new[] { ("CertificatePath", cert), ("KeyPath", key), ("PfxPath", pfx), ("CaPath", ca) })
            {
                if (path.Length > 0 && !File.Exists(path)) Fail(s, name, path, "must name an existing file", fix);
            }

            if (ca.Length == 0)
            {
                Fail(s, "CaPath", "", "is required when remoting TLS is enabled: peers are validated against this CA only", "to the PEM file of the cluster's CA certificate");
            }

            return new RemotingTlsSettings
            {
                CertificatePath = cert.Length > 0 ? cert : null,
                KeyPath = key.Length > 0 ? key : null,
                PfxPath = pfx.Length > 0 ? pfx : null,
                PfxPassword = ReadString(s, "PfxPassword", ""),
                CaPath = ca,
            };
        }

        /// <summary>With TLS, remoting speaks <c>akka.ssl.tcp</c>: seeds given as host:port (or akka.tcp) are addressed so.</summary>
        private static ClusterSettings WithRemotingTls(ClusterSettings cluster, RemotingTlsSettings? tls)
        {
            if (tls is null) return cluster;
            var seeds = cluster.Seeds.Select(s => s.StartsWith("akka.tcp://", StringComparison.Ordinal) ? "akka.ssl.tcp://" + s["akka.tcp://".Length..] : s).ToList();
            return cluster with { Tls = tls, Seeds = seeds };
        }

        /// <summary><c>Detection:IdleTickMilliseconds</c>: the wall-clock tick on which a silent host's event time moves on.</summary>
        private int ReadIdleTick(IConfigurationSection s) =>
            ReadInt(s, "IdleTickMilliseconds", 10_000, 100, 3_600_000, "to 100-3600000 milliseconds, e.g. 10000");

        /// <summary><c>Health</c>: how long the node may be not ready before it exits.</summary>
        private HealthSettings ReadHealth(IConfigurationSection s) => new()
        {
            ExitAfterNotReadySeconds = ReadInt(s, "ExitAfterNotReadySeconds", 300, 0, 86_400, "to 0 (never exit) or the seconds of not-ready after which the node exits, e.g. 300"),
        };

        private void CheckUnknownKeys()
        {
            foreach (var child in root.GetChildren())
            {
                if (!KnownKeys[""].Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    Errors.Add(new SettingError(child.Path, $"{child.Path} is not a setting. Known: {string.Join(", ", KnownKeys[""])}. Remove {EnvironmentVariableFor(child.Path)} or fix its spelling."));
                    continue;
                }

                if (!KnownKeys.TryGetValue(child.Key, out var known)) continue;
                foreach (var grandChild in child.GetChildren())
                {
                    if (!known.Contains(grandChild.Key, StringComparer.OrdinalIgnoreCase))
                    {
                        Errors.Add(new SettingError(grandChild.Path, $"{grandChild.Path} is not a setting. Known under {child.Path}: {string.Join(", ", known)}. Remove {EnvironmentVariableFor(grandChild.Path)} or fix its spelling."));
                    }
                }
            }
        }

        private string ReadString(IConfigurationSection s, string key, string defaultValue)
        {
            var child = s.GetSection(key);
            if (child.Value is null && child.GetChildren().Any())
            {
                Fail(s, key, "(a section)", "must be a single value", "to a plain value");
                return defaultValue;
            }

            return child.Value ?? defaultValue;
        }

        private int ReadInt(IConfigurationSection s, string key, int defaultValue, int min, int max, string fix)
        {
            string? text = s.GetSection(key).Value;
            if (text is null) return defaultValue;
            if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            {
                Fail(s, key, text, $"must be {min.ToString(CultureInfo.InvariantCulture)}-{max.ToString(CultureInfo.InvariantCulture)}", fix);
                return defaultValue;
            }

            return (int)value;
        }

        private bool ReadBool(IConfigurationSection s, string key, bool defaultValue)
        {
            string? text = s.GetSection(key).Value;
            if (text is null) return defaultValue;
            if (!bool.TryParse(text.Trim(), out bool value))
            {
                Fail(s, key, text, "must be true or false", "to true or false");
                return defaultValue;
            }

            return value;
        }

        /// <summary>A list either as configuration children (JSON array, <c>KEY__0</c>) or as one comma-separated value (handy in environment variables).</summary>
        private List<string> ReadList(IConfigurationSection s, string key, IReadOnlyList<string> defaults)
        {
            var section = s.GetSection(key);
            if (section.Value is { Length: > 0 } single)
            {
                return single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            }

            // An empty JSON array in appsettings.json binds as an empty value; entries added by variables
            // (KEY__0=...) are its children and must still count.
            var children = section.GetChildren().ToList();
            if (children.Count == 0) return section.Value is null ? defaults.ToList() : [];
            var result = new List<string>(children.Count);
            foreach (var child in children)
            {
                if (child.Value is null)
                {
                    Fail(s, key, "(a nested section)", "must be a list of plain values", "to a comma-separated list");
                    continue;
                }

                if (child.Value.Trim().Length > 0) result.Add(child.Value.Trim());
            }

            return result;
        }

        private void Fail(IConfigurationSection s, string key, string got, string must, string fix)
        {
            string fullKey = Key(s, key);
            Errors.Add(new SettingError(fullKey, $"{fullKey} {must} (got '{got}'). Set {EnvironmentVariableFor(fullKey)} {fix}."));
        }

        private static string Key(IConfigurationSection s, string key) => s.Path + ":" + key;

        private static bool IsHostName(string text) =>
            IPAddress.TryParse(text, out _) || Uri.CheckHostName(text) == UriHostNameType.Dns;

        private static string? NormalizeSeed(string seed, string systemName)
        {
            if (seed.StartsWith("akka.ssl.tcp://", StringComparison.Ordinal))
            {
                string rest = seed["akka.ssl.tcp://".Length..];
                return NormalizeSeed("akka.tcp://" + rest, systemName) is { } plain ? "akka.ssl.tcp://" + plain["akka.tcp://".Length..] : null;
            }

            if (seed.StartsWith("akka.tcp://", StringComparison.Ordinal) || seed.StartsWith("akka://", StringComparison.Ordinal))
            {
                if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Port <= 0 || uri.UserInfo != systemName || uri.AbsolutePath is not ("" or "/"))
                {
                    return null;
                }

                return $"akka.tcp://{systemName}@{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
            }

            int colon = seed.LastIndexOf(':');
            if (colon <= 0) return null;
            string host = seed[..colon];
            if (!IsHostName(host) || !int.TryParse(seed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            {
                return null;
            }

            return $"akka.tcp://{systemName}@{host}:{port.ToString(CultureInfo.InvariantCulture)}";
        }
    }

    /// <summary>A connection string with its password replaced, for messages and <c>flowctl node config</c>.</summary>
    public static string Redact(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in new[] { "password", "pwd" })
            {
                if (builder.ContainsKey(key)) builder[key] = "***";
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(unparseable)";
        }
    }
}
