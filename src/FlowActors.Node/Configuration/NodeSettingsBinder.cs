using System.ComponentModel;
using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Reflection;
using FlowActors.Cluster;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace FlowActors.Node.Configuration;

/// <summary>
/// Binds the <c>FlowActors</c> section onto <see cref="NodeSettings"/> for the options pipeline. The .NET binder
/// (<see cref="ConfigurationBinder"/>, <c>ErrorOnUnknownConfiguration</c>) sets the values, but it stops at the first
/// bad key; so a walk over the section first checks every key against the options classes and every value against its
/// property's type, recording each problem with its key (the node prints all of them at once), and hands the binder
/// only what converts. The walk also sets what the binder cannot: comma-separated lists (handy in environment
/// variables), IP addresses, and the sinks, whose keys depend on their kind.
/// </summary>
internal static partial class NodeSettingsBinder
{
    /// <summary>The options pipeline's Configure step: binds <paramref name="section"/> onto <paramref name="settings"/>.</summary>
    public static void Bind(IConfigurationSection section, NodeSettings settings)
    {
        var errors = settings.BindingErrors;
        var tuning = section.GetSection("Detection:Tuning");
        if (tuning.Exists())
        {
            try
            {
                tuning.Bind(settings.Detection.Tuning, o => o.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                errors.Add(new SettingError(tuning.Path, $"{tuning.Path} cannot be read: {e.Message} Fix or remove the {NodeSettingsOptions.EnvironmentVariableFor(tuning.Path)}__... variables (names as in FlowActors.Detection.DetectionSettings, e.g. {NodeSettingsOptions.EnvironmentVariableFor(tuning.Path)}__PORTSCAN__MINPORTS=15)."));
            }
        }

        var convertible = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Walk(section, settings, errors, convertible);
        if (convertible.Count > 0)
        {
            try
            {
                new ConfigurationBuilder().AddInMemoryCollection(convertible).Build().GetSection(section.Path)
                    .Bind(settings, o => o.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                // The walk hands over only known keys with convertible values; this is the binder's own safety net.
                errors.Add(new SettingError(section.Path, $"{section.Path} cannot be bound: {e.Message}"));
            }
        }

        if (settings.DataDirectory.Length > 0 && settings.DataDirectory.IndexOfAny(Path.GetInvalidPathChars()) < 0)
        {
            settings.DataDirectory = Path.GetFullPath(settings.DataDirectory);
        }

        var sinks = new SinkReader(errors);
        settings.Forwarder.Sinks = sinks.Read(section.GetSection("Forwarder"), settings.DataDirectory);
        ReadSecrets(section, settings, errors);
    }

    /// <summary>
    /// The options pipeline's PostConfigure step: values derived from others (public hostname, seeds in Akka form,
    /// default connection string, the demo's short window, the monitored networks handed to detection) and relative
    /// paths resolved against the working directory. Bad values are left for <see cref="NodeSettingsValidator"/>.
    /// </summary>
    public static void Complete(NodeSettings settings)
    {
        var cluster = settings.Cluster;
        cluster.Roles = cluster.Roles.Select(r => r.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        if (cluster.PublicHostname.Length == 0 && !(IPAddress.TryParse(cluster.Hostname, out var bind) && (bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any))))
        {
            cluster.PublicHostname = cluster.Hostname;
        }

        if (cluster.Tls is { Enabled: false }) cluster.Tls = null;
        if (cluster.Tls is { } tls)
        {
            tls.CertificatePath = FullPathOrNull(tls.CertificatePath);
            tls.KeyPath = FullPathOrNull(tls.KeyPath);
            tls.PfxPath = FullPathOrNull(tls.PfxPath);
            tls.CaPath = FullPathOrNull(tls.CaPath) ?? "";
        }

        cluster.Seeds = cluster.Seeds.Select(s =>
        {
            string seed = NormalizeSeed(s.Trim(), cluster.SystemName) ?? s;
            // With TLS, remoting speaks akka.ssl.tcp: seeds given as host:port (or akka.tcp) are addressed so.
            return cluster.Tls is not null && seed.StartsWith("akka.tcp://", StringComparison.Ordinal) ? "akka.ssl.tcp://" + seed["akka.tcp://".Length..] : seed;
        }).ToList();

        settings.Receivers.ExporterAllowlist = settings.Receivers.ExporterAllowlist.Select(e => e.Trim()).ToList();
        settings.Networks.Monitored = settings.Networks.Monitored.Select(n => n.Trim()).ToList();

        var persistence = settings.Persistence;
        if (persistence.ConnectionString.Length == 0 && persistence.Provider == PersistenceProvider.Sqlite)
        {
            persistence.ConnectionString = "Data Source=" + Path.Combine(settings.DataDirectory, "flowactors.db");
        }

        var tuning = settings.Detection.Tuning;
        tuning.Networks = [.. settings.Networks.Monitored];
        tuning.ThreatIntel.Files = tuning.ThreatIntel.Files.Select(f => FullPathOrNull(f) ?? f).ToList();
        if (settings.Demo)
        {
            // The bundled captures last under a minute of event time; with 5-minute windows their alerts would wait
            // for idle ticks to close the window (minutes of wall time). Short windows show them at once.
            tuning.Window = TimeSpan.FromSeconds(NodeSettingsOptions.DemoWindowSeconds);
            tuning.AllowedLateness = TimeSpan.Zero;
        }
    }

    /// <summary>A path made absolute against the working directory; null for an empty or unusable one.</summary>
    internal static string? FullPathOrNull(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        path = path.Trim();
        return path.IndexOfAny(Path.GetInvalidPathChars()) >= 0 ? path : Path.GetFullPath(path);
    }

    /// <summary>Checks each key of <paramref name="section"/> against <paramref name="target"/>'s settable properties.</summary>
    private static void Walk(IConfigurationSection section, object target, List<SettingError> errors, Dictionary<string, string?> convertible)
    {
        var properties = SettableProperties(target.GetType());
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                string known = section.Path.Contains(':', StringComparison.Ordinal) ? $"Known under {section.Path}" : "Known";
                errors.Add(new SettingError(child.Path, $"{child.Path} is not a setting. {known}: {string.Join(", ", properties.Select(p => p.Name))}. Remove {NodeSettingsOptions.EnvironmentVariableFor(child.Path)} or fix its spelling."));
                continue;
            }

            // Bound on their own: detector tuning onto the library's settings, sinks by kind.
            if (target is DetectionOptions && property.Name == nameof(DetectionOptions.Tuning)) continue;
            if (target is ForwarderSettings && property.Name == nameof(ForwarderSettings.Sinks)) continue;

            var type = property.PropertyType;
            var setting = property.GetCustomAttribute<SettingAttribute>();
            if (type == typeof(IReadOnlyList<string>))
            {
                if (ReadList(child, setting, errors) is { } list) property.SetValue(target, list);
            }
            else if (type == typeof(IPAddress))
            {
                if (child.Value is { } text && IPAddress.TryParse(text.Trim(), out var address)) property.SetValue(target, address);
                else Fail(errors, child, child.Value ?? "(a section)", "must " + (setting?.Rule(type) ?? "be an IP address"), setting?.Fix ?? "to an IP address");
            }
            else if (IsScalar(type))
            {
                if (child.Value is null)
                {
                    Fail(errors, child, "(a section)", "must be a single value", "to a plain value");
                }
                else if (TryConvert(child.Value, type, out string? normalized))
                {
                    convertible[child.Path] = normalized;
                }
                else
                {
                    string rule = setting?.Rule(type) ?? (type == typeof(bool) ? "be true or false" : "be a " + type.Name);
                    Fail(errors, child, child.Value, "must " + rule, setting?.Fix ?? "to " + rule["be ".Length..]);
                }
            }
            else
            {
                object value = property.GetValue(target) ?? Activator.CreateInstance(type)!;
                property.SetValue(target, value);
                Walk(child, value, errors, convertible);
            }
        }
    }

    /// <summary>Public properties configuration may set.</summary>
    private static PropertyInfo[] SettableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetCustomAttribute<NotASettingAttribute>() is null)
            .ToArray();

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal);

    /// <summary>Converts as the binder will (its TypeConverter); enums by name only, and <c>postgres</c> reads as PostgreSql.</summary>
    private static bool TryConvert(string text, Type type, out string? normalized)
    {
        normalized = text;
        if (type == typeof(string)) return true;
        string trimmed = text.Trim();
        if (type.IsEnum)
        {
            if (type == typeof(PersistenceProvider) && trimmed.Equals("postgres", StringComparison.OrdinalIgnoreCase)) trimmed = nameof(PersistenceProvider.PostgreSql);
            if (trimmed.Length == 0 || char.IsAsciiDigit(trimmed[0]) || trimmed[0] == '-' || !Enum.TryParse(type, trimmed, ignoreCase: true, out var value) || !Enum.IsDefined(type, value!))
            {
                return false;
            }

            normalized = value!.ToString();
            return true;
        }

        try
        {
            _ = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(trimmed);
            normalized = trimmed;
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>A list either as configuration children (JSON array, <c>KEY__0</c>) or as one comma-separated value.</summary>
    private static List<string>? ReadList(IConfigurationSection section, SettingAttribute? setting, List<SettingError> errors)
    {
        if (section.Value is { Length: > 0 } single)
        {
            return single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        }

        // An empty JSON array in appsettings.json binds as an empty value; entries added by variables (KEY__0=...) are its
        // children and still count.
        var result = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (child.Value is null)
            {
                Fail(errors, section, "(a nested section)", "must be a list of plain values", setting?.Fix ?? "to a comma-separated list");
                return null;
            }

            if (child.Value.Trim().Length > 0) result.Add(child.Value.Trim());
        }

        return result;
    }

    private static void Fail(List<SettingError> errors, IConfigurationSection key, string got, string must, string fix) =>
        errors.Add(new SettingError(key.Path, NodeSettingsOptions.Message(key.Path, got, must, fix)));

    /// <summary>
    /// Secrets given as files (as Kubernetes mounts them): <c>Operator:TokenFile</c>, <c>Persistence:ConnectionStringFile</c>,
    /// <c>Persistence:PasswordFile</c> and <c>Cluster:Tls:PfxPasswordFile</c> (the sinks' own are read with the sinks).
    /// Errors name the file, never its content.
    /// </summary>
    private static void ReadSecrets(IConfigurationSection section, NodeSettings settings, List<SettingError> errors)
    {
        var op = settings.Operator;
        if (ReadSecretFile(section.GetSection("Operator"), "Token", op.Token, op.TokenFile, "the mounted token secret", errors) is { } token)
        {
            op.Token = token;
            op.TokenFile = FullPathOrNull(op.TokenFile)!;
        }

        var persistence = settings.Persistence;
        var ps = section.GetSection("Persistence");
        if (ReadSecretFile(ps, "ConnectionString", persistence.ConnectionString, persistence.ConnectionStringFile, "a file holding only the connection string, e.g. /run/secrets/db-connection", errors) is { } connection)
        {
            persistence.ConnectionString = connection;
            persistence.ConnectionStringFile = FullPathOrNull(persistence.ConnectionStringFile)!;
        }

        if (ReadSecretFile(ps, "Password", null, persistence.PasswordFile, "a file holding only the database password, e.g. /run/secrets/db-password", errors) is { } password)
        {
            persistence.PasswordFile = FullPathOrNull(persistence.PasswordFile)!;
            try
            {
                DbConnectionStringBuilder builder = persistence.Provider == PersistenceProvider.PostgreSql
                    ? new NpgsqlConnectionStringBuilder(persistence.ConnectionString)
                    : new DbConnectionStringBuilder { ConnectionString = persistence.ConnectionString };
                builder["Password"] = password;
                persistence.ConnectionString = builder.ConnectionString;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                // The connection string itself is reported by the validator.
                _ = e;
            }
        }

        if (settings.Cluster.Tls is { } tls
            && ReadSecretFile(section.GetSection("Cluster:Tls"), "PfxPassword", tls.PfxPassword.Length > 0 ? tls.PfxPassword : null, tls.PfxPasswordFile, "a file holding only the PFX password", errors) is { } pfx)
        {
            tls.PfxPassword = pfx;
            tls.PfxPasswordFile = FullPathOrNull(tls.PfxPasswordFile)!;
        }
    }

    /// <summary>
    /// The content (trimmed) of the file <c>{key}File</c> names, or null when it is not given or cannot be used (the
    /// problem recorded). Giving both <c>{key}</c> and <c>{key}File</c> is an error.
    /// </summary>
    internal static string? ReadSecretFile(IConfigurationSection s, string key, string? direct, string file, string fix, List<SettingError> errors)
    {
        if (string.IsNullOrWhiteSpace(file)) return null;
        var fileKey = s.GetSection(key + "File");
        if (!string.IsNullOrEmpty(direct))
        {
            Fail(errors, fileKey, file, $"cannot be used together with {s.Path}:{key}", $"or {NodeSettingsOptions.EnvironmentVariableFor(s.Path + ":" + key)}, not both");
            return null;
        }

        string content;
        try
        {
            content = File.ReadAllText(Path.GetFullPath(file.Trim())).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Fail(errors, fileKey, file, $"must be a readable file ({e.Message})", "to " + fix);
            return null;
        }

        if (content.Length == 0)
        {
            Fail(errors, fileKey, file, "must not be empty", "to " + fix);
            return null;
        }

        return content;
    }

    /// <summary>Seeds in Akka form: <c>akka.tcp://SYSTEM@HOST:PORT</c> (or <c>akka.ssl.tcp</c>); null when <paramref name="seed"/> is not a seed of <paramref name="systemName"/>.</summary>
    internal static string? NormalizeSeed(string seed, string systemName)
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

    internal static bool IsHostName(string text) =>
        IPAddress.TryParse(text, out _) || Uri.CheckHostName(text) == UriHostNameType.Dns;
}
