using System.Globalization;
using FlowActors.Siem.Outbox;
using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Configuration;

/// <content><c>Forwarder:Sinks</c>: the sink list, with the default file and console sinks at indexes 0 and 1.</content>
public static partial class NodeSettingsReader
{
    /// <summary>Name of the default JSON-lines file sink (index 0); delivery progress is journalled under it.</summary>
    public const string DefaultFileSinkName = "jsonl";

    /// <summary>Name of the default console sink (index 1).</summary>
    public const string DefaultConsoleSinkName = "console";

    private sealed partial class Reader
    {
        /// <summary>
        /// Reads <c>Forwarder:Sinks</c>. Index 0 is the JSON-lines file <c>{DataDirectory}/alerts.jsonl</c> and index 1 the
        /// console unless configured otherwise (keys given there override the default's; <c>Enabled=false</c> removes
        /// it), so <c>FLOWACTORS__FORWARDER__SINKS__2__KIND=syslog</c> adds a sink and keeps both.
        /// </summary>
        private ForwarderSettings ReadForwarder(IConfigurationSection s, string dataDirectory)
        {
            int pullWindow = ReadInt(s, "PullWindow", 10_000, 1, 1_000_000, "to how many recent alerts pollers of /api/alerts may fall behind by, e.g. 10000");
            var sinksSection = s.GetSection("Sinks");
            var defaults = new Dictionary<string, (string Name, string Kind, string? Path)>(StringComparer.Ordinal)
            {
                ["0"] = (DefaultFileSinkName, "file", Path.Combine(dataDirectory, "alerts.jsonl")),
                ["1"] = (DefaultConsoleSinkName, "console", null),
            };
            var keys = new List<string>(defaults.Keys);
            foreach (var child in sinksSection.GetChildren())
            {
                if (!keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase)) keys.Add(child.Key);
            }

            // Numbered entries in index order, then named ones in the order given.
            keys = keys.OrderBy(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : int.MaxValue).ToList();
            var sinks = new List<SinkSettings>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                var entry = sinksSection.GetSection(key);
                defaults.TryGetValue(key, out var fallback);
                if (!ReadBool(entry, "Enabled", true)) continue;
                if (ReadSink(entry, fallback.Kind is null ? null : fallback, names, sinks) is { } sink) sinks.Add(sink);
            }

            return new ForwarderSettings { Sinks = sinks, PullWindow = pullWindow };
        }

        private SinkSettings? ReadSink(IConfigurationSection entry, (string Name, string Kind, string? Path)? fallback, HashSet<string> names, List<SinkSettings> sinks)
        {
            string kindText = ReadString(entry, "Kind", fallback?.Kind ?? "");
            if (kindText.Length == 0)
            {
                Fail(entry, "Kind", "", "is required for every sink", $"to {SinkKinds.KindList}");
                return null;
            }

            if (!SinkKinds.TryParse(kindText, out var kind))
            {
                Fail(entry, "Kind", kindText, $"must be {SinkKinds.KindList}", "to syslog (with Host and Port), hec or webhook (with Url), file (with Path) or console");
                return null;
            }

            var allowed = SinkKinds.CommonKeys.Concat(SinkKinds.Keys[kind]).ToArray();
            foreach (var key in entry.GetChildren())
            {
                if (!allowed.Contains(key.Key, StringComparer.OrdinalIgnoreCase))
                {
                    Errors.Add(new SettingError(key.Path, $"{key.Path} is not a setting of a {kind.ToString().ToLowerInvariant()} sink (it has {string.Join(", ", allowed)}). Remove {EnvironmentVariableFor(key.Path)} or fix its spelling."));
                }
            }

            bool numbered = int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _);
            string name = ReadString(entry, "Name", fallback?.Name ?? (numbered ? kind.ToString().ToLowerInvariant() + "-" + entry.Key : entry.Key));
            if (name.Trim().Length == 0)
            {
                Fail(entry, "Name", name, "must not be empty (delivery progress is recorded per sink name)", "to a short stable name, e.g. siem");
            }
            else if (!names.Add(name))
            {
                Fail(entry, "Name", name, "must be unique among the sinks (delivery is recorded per sink name)", "to a name no other sink uses");
            }

            if (kind == SinkKind.Console && sinks.Any(k => k.Kind == SinkKind.Console))
            {
                Fail(entry, "Kind", kindText, "may name one console sink only (there is one standard output)", "to another kind, or remove this sink");
                return null;
            }

            string updatesText = ReadString(entry, "Updates", "all");
            if (!UpdatePolicy.TryParse(updatesText, out var updates))
            {
                Fail(entry, "Updates", updatesText, "must be all, first or every-N-minutes", "to all (every update is sent again with its higher count), first, or e.g. every-15-minutes");
            }

            var policy = new SinkPolicy
            {
                MinSeverity = ReadInt(entry, "MinSeverity", 0, 0, 10, "to the lowest alert severity (0-10) this sink should get, e.g. 5"),
                BatchSize = ReadInt(entry, "BatchSize", 100, 1, 10_000, "to how many alerts one delivery may carry, e.g. 100"),
                MaxBacklog = ReadInt(entry, "MaxBacklog", 100_000, 1, 10_000_000, "to how many alerts may wait for this sink before the oldest are dropped for it, e.g. 100000"),
                Updates = updates,
                RateLimitPerSecond = ReadDouble(entry, "RateLimitPerSecond", 0, 0, 1_000_000, "to the most alerts per second this sink may get, or 0 for no limit"),
            };

            var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? path = null;
            switch (kind)
            {
                case SinkKind.File:
                    path = ReadString(entry, "Path", fallback?.Path ?? "");
                    if (path.Length == 0 || path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
                    {
                        Fail(entry, "Path", path, "must be a file path for a file sink", "to e.g. data/alerts.jsonl");
                    }

                    ReadOptionalInt(entry, "MaxBytes", 0, int.MaxValue, "to the size in bytes at which the file is rotated, or 0 for never", options);
                    ReadOptionalInt(entry, "MaxFiles", 1, 1000, "to how many rotated files to keep, e.g. 5", options);
                    break;
                case SinkKind.Console:
                    break;
                case SinkKind.Syslog:
                    ReadSyslog(entry, options);
                    break;
                case SinkKind.Hec:
                    ReadUrl(entry, options);
                    if (ReadSecret(entry, "Token", options) is null && !Errors.Any(e => e.Key.StartsWith(entry.Path + ":Token", StringComparison.OrdinalIgnoreCase)))
                    {
                        Fail(entry, "Token", "", "is required for a hec sink (the HEC token)", $"or {EnvironmentVariableFor(Key(entry, "TokenFile"))} to a file holding it");
                    }

                    CopyString(entry, "Index", options);
                    CopyString(entry, "SourceType", options);
                    if (entry.GetSection("Acknowledgement").Value is not null) options["Acknowledgement"] = ReadBool(entry, "Acknowledgement", false) ? "true" : "false";
                    ReadOptionalInt(entry, "AckTimeoutSeconds", 1, 3600, "to how long to wait for the indexer's acknowledgement, e.g. 60", options);
                    break;
                case SinkKind.Webhook:
                    ReadUrl(entry, options);
                    ReadSecret(entry, "BearerToken", options);
                    break;
            }

            if (!SinkKinds.IsAvailable(kind))
            {
                Fail(entry, "Kind", kindText, "is not available in this build", "to file or console, or run a build that includes the syslog, hec and webhook sinks");
                return null;
            }

            return new SinkSettings(name, kind, path) { Key = entry.Path, Policy = policy, Options = options };
        }

        private void ReadSyslog(IConfigurationSection entry, Dictionary<string, string> options)
        {
            string transport = ReadString(entry, "Transport", "udp").Trim().ToLowerInvariant();
            if (transport is not ("udp" or "tcp" or "tls"))
            {
                Fail(entry, "Transport", transport, "must be udp, tcp or tls", "to udp (RFC 5426), tcp (RFC 6587) or tls (RFC 5425)");
            }

            options["Transport"] = transport;
            string host = ReadString(entry, "Host", "");
            if (!IsHostName(host))
            {
                Fail(entry, "Host", host, "must be the syslog receiver's address or DNS name", "to e.g. siem.example.net");
            }

            options["Host"] = host;
            if (entry.GetSection("Port").Value is null)
            {
                Fail(entry, "Port", "", "is required for a syslog sink", "to the receiver's port, e.g. 514 (udp/tcp) or 6514 (tls)");
            }
            else
            {
                ReadOptionalInt(entry, "Port", 1, 65535, "to the receiver's port, e.g. 514 (udp/tcp) or 6514 (tls)", options);
            }

            string format = ReadString(entry, "Format", "cef").Trim().ToLowerInvariant();
            if (format is not ("cef" or "leef" or "json" or "rfc5424-json"))
            {
                Fail(entry, "Format", format, "must be cef, leef, json or rfc5424-json", "to cef (ArcSight and most SIEMs), leef (QRadar), json or rfc5424-json");
            }

            options["Format"] = format;
            ReadOptionalInt(entry, "Facility", 0, 23, "to a syslog facility number 0-23, e.g. 13 (log audit) or 16 (local0)", options);
            CopyString(entry, "AppName", options);
            if (entry.GetSection("Framing").Value is { } framing)
            {
                string f = framing.Trim().ToLowerInvariant();
                if (f is not ("octet-counting" or "newline")) Fail(entry, "Framing", framing, "must be octet-counting or newline", "to octet-counting (RFC 6587) or newline");
                options["Framing"] = f;
            }

            ReadOptionalInt(entry, "MaxMessageBytes", 480, 65_535, "to the largest message in bytes, e.g. 2048 for udp", options);
            foreach (var key in new[] { "CaFile", "ClientCertificateFile", "ClientKeyFile" })
            {
                if (entry.GetSection(key).Value is not { } file) continue;
                if (transport != "tls") Fail(entry, key, file, "applies only to Transport tls", $"{EnvironmentVariableFor(Key(entry, "Transport"))} to tls, or remove this key");
                else if (!File.Exists(file)) Fail(entry, key, file, "names a file that does not exist", "to a readable PEM file");
                options[key] = file;
            }

            if (options.ContainsKey("ClientKeyFile") && !options.ContainsKey("ClientCertificateFile"))
            {
                Fail(entry, "ClientCertificateFile", "", $"is required with {Key(entry, "ClientKeyFile")}", "to the client certificate's PEM file");
            }

            CopyString(entry, "ServerName", options);
        }

        private void ReadUrl(IConfigurationSection entry, Dictionary<string, string> options)
        {
            string url = ReadString(entry, "Url", "");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                Fail(entry, "Url", url, "must be an absolute http or https URL", "to e.g. https://splunk.example.net:8088/services/collector/event");
            }
            else if (uri.UserInfo.Length > 0)
            {
                // Credentials in a URL end up in logs and in flowctl node config; they have their own secret keys.
                Fail(entry, "Url", uri.GetLeftPart(UriPartial.Scheme) + "***@" + uri.Authority, "must not carry credentials", "to the URL without user:password@, and put the secret in Token or BearerToken (or their *File keys)");
            }

            options["Url"] = url;
        }

        private void CopyString(IConfigurationSection entry, string key, Dictionary<string, string> options)
        {
            if (entry.GetSection(key).Value is not null) options[key] = ReadString(entry, key, "");
        }

        private void ReadOptionalInt(IConfigurationSection s, string key, int min, int max, string fix, Dictionary<string, string> into)
        {
            if (s.GetSection(key).Value is null) return;
            into[key] = ReadInt(s, key, min, min, max, fix).ToString(CultureInfo.InvariantCulture);
        }

        private double ReadDouble(IConfigurationSection s, string key, double defaultValue, double min, double max, string fix)
        {
            string? text = s.GetSection(key).Value;
            if (text is null) return defaultValue;
            if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || double.IsNaN(value) || value < min || value > max)
            {
                Fail(s, key, text, $"must be a number {min.ToString(CultureInfo.InvariantCulture)}-{max.ToString(CultureInfo.InvariantCulture)}", fix);
                return defaultValue;
            }

            return value;
        }

        /// <summary>
        /// A secret from <paramref name="key"/> or from the file <paramref name="key"/>File names (as Kubernetes mounts
        /// secrets); errors never show the secret itself.
        /// </summary>
        private string? ReadSecret(IConfigurationSection s, string key, Dictionary<string, string> into)
        {
            string? direct = s.GetSection(key).Value;
            string? file = s.GetSection(key + "File").Value;
            if (direct is not null && file is not null)
            {
                Fail(s, key + "File", file, $"must not be given together with {Key(s, key)}", $"to nothing, or remove {EnvironmentVariableFor(Key(s, key))}");
                return null;
            }

            string? value = direct;
            if (file is not null)
            {
                try
                {
                    value = File.ReadAllText(file).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    Fail(s, key + "File", file, $"cannot be read ({e.GetType().Name})", "to a readable file holding only the secret, e.g. /run/secrets/hec-token");
                    return null;
                }

                if (value.Length == 0)
                {
                    Fail(s, key + "File", file, "is empty", "to a file holding the secret");
                    return null;
                }
            }

            if (value is not null) into[key] = value;
            return value;
        }
    }
}
