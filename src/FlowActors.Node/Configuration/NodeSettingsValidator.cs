using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Reflection;
using FlowActors.Cluster;
using FlowActors.Protocols;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlowActors.Node.Configuration;

/// <summary>
/// Validates the bound <see cref="NodeSettings"/>: the DataAnnotations on each options class (ranges, with
/// <see cref="SettingAttribute"/>), then the rules that span keys (ports that must differ, a token a public bind
/// needs, what the demo needs, TLS files). Reports every problem at once, with the binder's, each message starting
/// with the key and naming the value, the environment variable and the fix.
/// </summary>
/// <remarks>
/// <c>ValidateDataAnnotations()</c> is not used: it checks top-level properties only and its messages name neither the
/// full key nor the fix. This runs the same attributes through <see cref="Validator"/> on every section.
/// </remarks>
public sealed class NodeSettingsValidator : IValidateOptions<NodeSettings>
{
    private const string Root = NodeSettingsOptions.SectionName;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, NodeSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<SettingError>(options.BindingErrors);
        var failed = errors.Select(e => e.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        void Fail(string key, string got, string must, string fix)
        {
            if (!failed.Add(key)) return;
            errors.Add(new SettingError(key, NodeSettingsOptions.Message(key, got, must, fix)));
        }

        Annotations(Root, options, errors, failed);
        Annotations(Root + ":Cluster", options.Cluster, errors, failed);
        Annotations(Root + ":Receivers", options.Receivers, errors, failed);
        Annotations(Root + ":Networks", options.Networks, errors, failed);
        Annotations(Root + ":Detection", options.Detection, errors, failed);
        Annotations(Root + ":Persistence", options.Persistence, errors, failed);
        Annotations(Root + ":Forwarder", options.Forwarder, errors, failed);
        Annotations(Root + ":Operator", options.Operator, errors, failed);
        Annotations(Root + ":Health", options.Health, errors, failed);

        if (options.DataDirectory.Trim().Length == 0 || options.DataDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            Fail(Root + ":DataDirectory", options.DataDirectory, "must be a directory path", "to a writable directory, e.g. /var/lib/flowactors");
        }

        ValidateCluster(options.Cluster, Fail);
        ValidateReceivers(options.Receivers, Fail);
        ValidateNetworks(options.Networks, Fail);
        ValidateDetection(options.Detection, failed, errors);
        ValidatePersistence(options.Persistence, Fail);
        ValidateOperator(options, Fail);
        ValidateTls(options.Cluster.Tls, Fail);

        if (options.Demo && options.Receivers.NetFlowPort == 0)
        {
            Fail(Root + ":Receivers:NetFlowPort", "0", "must be enabled for the demo, which replays NetFlow v9 into it", "to a free UDP port, e.g. 2055, or turn the demo off");
        }

        if (options.Demo && !options.Cluster.Roles.Contains("edge"))
        {
            Fail(Root + ":Cluster:Roles", string.Join(",", options.Cluster.Roles), "must include edge for the demo, which needs this node's receiver", "to edge,analytics,forwarder, or turn the demo off");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => e.Message));
    }

    /// <summary>Runs the DataAnnotations of <paramref name="section"/>'s own properties.</summary>
    private static void Annotations(string path, object section, List<SettingError> errors, HashSet<string> failed)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true);
        foreach (var result in results)
        {
            string member = result.MemberNames.FirstOrDefault() ?? "";
            var property = section.GetType().GetProperty(member);
            string key = path + ":" + member;
            if (property is null || !failed.Add(key)) continue;
            string got = Convert.ToString(property.GetValue(section), CultureInfo.InvariantCulture) ?? "";
            string fix = property.GetCustomAttribute<SettingAttribute>()?.Fix ?? "to a valid value";
            errors.Add(new SettingError(key, $"{key} {result.ErrorMessage} (got '{got}'). Set {NodeSettingsOptions.EnvironmentVariableFor(key)} {fix}."));
        }
    }

    private static void ValidateCluster(ClusterSettings c, Action<string, string, string, string> fail)
    {
        const string p = Root + ":Cluster:";
        if (c.SystemName.Length == 0 || !c.SystemName.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_') || !char.IsAsciiLetterOrDigit(c.SystemName[0]))
        {
            fail(p + "SystemName", c.SystemName, "must be letters, digits, '-' or '_', starting with a letter or digit", "to the same name on every node, e.g. flowactors");
        }

        if (!NodeSettingsBinder.IsHostName(c.Hostname))
        {
            fail(p + "Hostname", c.Hostname, "must be an IP address or DNS name to bind remoting to", "to e.g. 0.0.0.0 or 127.0.0.1");
        }

        if (c.PublicHostname.Length == 0)
        {
            // Other nodes cannot dial 0.0.0.0: the address the node advertises must be a real one.
            fail(p + "PublicHostname", "", $"is required when {p}Hostname is {c.Hostname}", "to the name or address other nodes reach this one by, e.g. $(POD_NAME).flowactors");
        }
        else if (c.PublicHostname != c.Hostname && !NodeSettingsBinder.IsHostName(c.PublicHostname))
        {
            fail(p + "PublicHostname", c.PublicHostname, "must be an IP address or DNS name other nodes can reach", "to e.g. flowactors-0.flowactors");
        }

        if (c.Roles.Count == 0) fail(p + "Roles", "", "must name at least one role", "to a comma-separated subset of edge,analytics,forwarder");
        foreach (string role in c.Roles.Where(r => !NodeSettingsOptions.AllRoles.Contains(r)))
        {
            fail(p + "Roles", role, "must list only edge, analytics and forwarder", "to a comma-separated subset of edge,analytics,forwarder");
        }

        foreach (string seed in c.Seeds.Where(s => NodeSettingsBinder.NormalizeSeed(s, c.SystemName) is null))
        {
            fail(p + "Seeds", seed, $"must be akka.tcp://{c.SystemName}@HOST:PORT or HOST:PORT", "to e.g. flowactors-0.flowactors:4053 (comma-separated)");
        }
    }

    private static void ValidateReceivers(ReceiverSettings r, Action<string, string, string, string> fail)
    {
        const string p = Root + ":Receivers:";
        if (!IPAddress.TryParse(r.BindAddress, out _))
        {
            fail(p + "BindAddress", r.BindAddress, "must be an IP address", "to 0.0.0.0 (all IPv4), :: (all) or one local address");
        }

        if (r.IpfixPort != 0 && r.IpfixPort == r.NetFlowPort)
        {
            fail(p + "IpfixPort", r.IpfixPort.ToString(CultureInfo.InvariantCulture), $"must differ from {p}NetFlowPort (every receiver accepts every version already)", "to another port, or 0 to disable");
        }

        if (r.SflowPort != 0 && (r.SflowPort == r.NetFlowPort || r.SflowPort == r.IpfixPort))
        {
            fail(p + "SflowPort", r.SflowPort.ToString(CultureInfo.InvariantCulture), "must differ from the NetFlow and IPFIX ports (every receiver accepts every version already)", "to another port, or 0 to disable");
        }

        if (r.RingBuffers != 0 && (r.RingBuffers < 64 || (r.RingBuffers & (r.RingBuffers - 1)) != 0))
        {
            fail(p + "RingBuffers", r.RingBuffers.ToString(CultureInfo.InvariantCulture), "must be a power of two from 64 to 32768, or 0", "to e.g. 16384, or 0 for ordinary receives");
        }

        foreach (string entry in r.ExporterAllowlist.Where(e => !PrefixSet.TryParseCidr(e, out _, out _)))
        {
            fail(p + "ExporterAllowlist", entry, "must list IP addresses or CIDR prefixes", "to e.g. 192.0.2.1,198.51.100.0/24, or leave it empty to accept every exporter");
        }
    }

    private static void ValidateNetworks(NetworkSettings n, Action<string, string, string, string> fail)
    {
        const string key = Root + ":Networks:Monitored";
        if (n.Monitored.Count == 0) fail(key, "", "must name at least one prefix", "to your networks in CIDR form, e.g. 10.0.0.0/8,2001:db8::/32");
        foreach (string entry in n.Monitored)
        {
            if (PrefixSet.DescribeInvalidNetwork(entry) is { } problem)
            {
                fail(key, entry, "must list CIDR prefixes " + problem, "to e.g. 10.0.0.0/8,2001:db8::/32 (comma-separated)");
            }
        }
    }

    private static void ValidateDetection(DetectionOptions d, HashSet<string> failed, List<SettingError> errors)
    {
        const string p = Root + ":Detection:";
        if (d.AllowedLatenessSeconds > d.WindowSeconds && !failed.Contains(p + "WindowSeconds") && failed.Add(p + "AllowedLatenessSeconds"))
        {
            errors.Add(new SettingError(p + "AllowedLatenessSeconds", NodeSettingsOptions.Message(p + "AllowedLatenessSeconds", d.AllowedLatenessSeconds.ToString(CultureInfo.InvariantCulture),
                $"must not exceed {p}WindowSeconds ({d.WindowSeconds.ToString(CultureInfo.InvariantCulture)})", "to a fraction of the window, e.g. 30")));
        }

        // The library checks its own parameters (first problem only); the window, lateness and networks it also checks
        // are reported above under their node keys, so it is asked only once those are right.
        string[] ownKeys = [p + "WindowSeconds", p + "AllowedLatenessSeconds", Root + ":Networks:Monitored", p + "Tuning"];
        if (ownKeys.Any(failed.Contains)) return;
        try
        {
            d.Tuning.Validate();
        }
        catch (ArgumentException e)
        {
            string key = p + "Tuning";
            failed.Add(key);
            errors.Add(new SettingError(key, $"{key} has a bad value: {e.Message.TrimEnd('.')}. Set it under {NodeSettingsOptions.EnvironmentVariableFor(key)}__<DETECTOR>__<SETTING>."));
        }
    }

    private static void ValidatePersistence(PersistenceSettings s, Action<string, string, string, string> fail)
    {
        const string p = Root + ":Persistence:";
        bool postgres = s.Provider == PersistenceProvider.PostgreSql;
        if (s.ConnectionString.Length == 0)
        {
            if (postgres) fail(p + "ConnectionString", "", "is required when the provider is postgresql", "(or " + NodeSettingsOptions.EnvironmentVariableFor(p + "ConnectionStringFile") + ") to e.g. Host=db;Port=5432;Database=flowactors;Username=flowactors;Password=...");
            return;
        }

        try
        {
            DbConnectionStringBuilder builder = postgres ? new NpgsqlConnectionStringBuilder(s.ConnectionString) : new SqliteConnectionStringBuilder(s.ConnectionString);
            _ = builder.ConnectionString;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            fail(p + "ConnectionString", NodeSettingsOptions.Redact(s.ConnectionString), $"is not a valid {(postgres ? "postgresql" : "sqlite")} connection string ({ex.Message.TrimEnd('.')})",
                postgres ? "to e.g. Host=db;Port=5432;Database=flowactors;Username=flowactors;Password=..." : "to e.g. Data Source=data/flowactors.db");
        }
    }

    /// <summary>
    /// A public bind needs a token; a blank token is refused everywhere; on a non-loopback bind the token must be at
    /// least <see cref="NodeSettingsOptions.MinimumExposedTokenLength"/> random-looking characters and never an
    /// example's placeholder. The token itself never appears in a message.
    /// </summary>
    private static void ValidateOperator(NodeSettings settings, Action<string, string, string, string> fail)
    {
        const string p = Root + ":Operator:";
        var op = settings.Operator;
        if (op.Enabled && op.Port != 0 && op.Port == settings.Cluster.Port)
        {
            fail(p + "Port", op.Port.ToString(CultureInfo.InvariantCulture), $"must differ from {Root}:Cluster:Port (both are TCP ports)", "to another free TCP port, e.g. 9110");
        }

        string key = op.TokenFile.Length > 0 ? p + "TokenFile" : p + "Token";
        if (op.Enabled && op.Token.Length == 0 && op.TokenFile.Length == 0 && !IPAddress.IsLoopback(op.BindAddress))
        {
            fail(p + "Token", "", $"is required when {p}BindAddress is not loopback (got {op.BindAddress})", "to a long random secret (e.g. from a Kubernetes secret), or bind to 127.0.0.1");
            return;
        }

        if (op.Token.Length > 0 && op.Token.Trim().Length == 0)
        {
            fail(key, op.Token, "must not be blank", "to a long random secret, e.g. from: openssl rand -hex 32");
            return;
        }

        string token = op.Token.Trim();
        if (token.Length == 0) return;
        if (NodeSettingsOptions.PlaceholderTokens.Any(t => token.Contains(t, StringComparison.OrdinalIgnoreCase)))
        {
            fail(key, "(the example's placeholder)", "must not be the example secret's placeholder value", "to a long random secret, e.g. from: openssl rand -hex 32");
            return;
        }

        if (!op.Enabled || IPAddress.IsLoopback(op.BindAddress)) return;
        int distinct = token.Distinct().Count();
        if (token.Length < NodeSettingsOptions.MinimumExposedTokenLength || distinct < 8 || op.Token.Any(char.IsWhiteSpace))
        {
            fail(key, $"({token.Length.ToString(CultureInfo.InvariantCulture)} characters, {distinct.ToString(CultureInfo.InvariantCulture)} distinct)",
                $"must be at least {NodeSettingsOptions.MinimumExposedTokenLength.ToString(CultureInfo.InvariantCulture)} random-looking characters (at least 8 distinct, no spaces) when {p}BindAddress is not loopback",
                "to a long random secret, e.g. from: openssl rand -hex 32");
        }
    }

    /// <summary><c>Cluster:Tls</c>: remoting over TLS with a certificate (PEM pair or PFX) and a CA file.</summary>
    private static void ValidateTls(RemotingTlsSettings? tls, Action<string, string, string, string> fail)
    {
        if (tls is null) return;
        const string p = Root + ":Cluster:Tls:";
        const string fix = "to a PEM certificate and key (CertificatePath, KeyPath) or a PFX (PfxPath), e.g. mounted from a Kubernetes TLS secret";
        if (tls.PfxPath is not null && (tls.CertificatePath is not null || tls.KeyPath is not null))
        {
            fail(p + "PfxPath", tls.PfxPath, $"cannot be combined with {p}CertificatePath/{p}KeyPath", "or the PEM pair, not both");
        }
        else if (tls.PfxPath is null && (tls.CertificatePath is null || tls.KeyPath is null))
        {
            fail(p + (tls.CertificatePath is null ? "CertificatePath" : "KeyPath"), "", "is required when remoting TLS is enabled", fix);
        }

        foreach (var (name, path) in new[] { ("CertificatePath", tls.CertificatePath), ("KeyPath", tls.KeyPath), ("PfxPath", tls.PfxPath), ("CaPath", tls.CaPath) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path)) fail(p + name, path, "must name an existing file", fix);
        }

        if (tls.CaPath.Length == 0)
        {
            fail(p + "CaPath", "", "is required when remoting TLS is enabled: peers are validated against this CA only", "to the PEM file of the cluster's CA certificate");
        }
    }
}
