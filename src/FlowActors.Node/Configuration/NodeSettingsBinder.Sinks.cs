using System.Globalization;
using FlowActors.Siem.Outbox;
using FlowActors.Siem.Sinks;
using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Configuration;

/// <content><c>Forwarder:Sinks</c>: the sink list, with the default file and console sinks at indexes 0 and 1.</content>
internal static partial class NodeSettingsBinder
{
    /// <summary>
    /// Binds <c>Forwarder:Sinks</c>: each entry onto the contract options class of its <c>Kind</c> (its keys are that
    /// class's properties), so this cannot be the plain binder's job. Problems are recorded with their keys.
    /// </summary>
    private sealed class SinkReader(List<SettingError> errors)
    {
        private const string DefaultFileSinkName = NodeSettingsOptions.DefaultFileSinkName;
        private const string DefaultConsoleSinkName = NodeSettingsOptions.DefaultConsoleSinkName;

        private List<SettingError> Errors => errors;

        private static string EnvironmentVariableFor(string key) => NodeSettingsOptions.EnvironmentVariableFor(key);

        private void Fail(IConfigurationSection s, string key, string got, string must, string fix) =>
            Errors.Add(new SettingError(Key(s, key), NodeSettingsOptions.Message(Key(s, key), got, must, fix)));

        private static string Key(IConfigurationSection s, string key) => s.Path + ":" + key;

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

        /// <summary>
        /// Reads <c>Forwarder:Sinks</c>. Index 0 is the JSON-lines file <c>{DataDirectory}/alerts.jsonl</c> and index 1 the
        /// console unless configured otherwise (keys given there override the default's; <c>Enabled=false</c> removes
        /// it), so <c>FLOWACTORS__FORWARDER__SINKS__2__KIND=syslog</c> adds a sink and keeps both.
        /// </summary>
        public List<SinkSettings> Read(IConfigurationSection s, string dataDirectory)
        {
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

            return sinks;
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

            var options = SinkKinds.OptionsFor(kind);
            options.Name = name;
            int errorsBefore = Errors.Count;
            Bind(entry, options);
            if (options is FileSinkOptions file)
            {
                if (entry.GetSection("Path").Value is null) file.Path = fallback?.Path ?? "";
                if (FullPathOrNull(file.Path) is { } full) file.Path = full;
            }

            if (options is HecSinkOptions hec)
            {
                CheckUrl(entry);
                if (ReadSecret(entry, "Token") is { } token) hec.Token = token;
                else if (!Errors.Skip(errorsBefore).Any(e => e.Key.StartsWith(Key(entry, "Token"), StringComparison.OrdinalIgnoreCase)))
                {
                    Fail(entry, "Token", "", "is required for a hec sink (the HEC token)", $"or {EnvironmentVariableFor(Key(entry, "TokenFile"))} to a file holding it");
                }
            }
            else if (options is WebhookSinkOptions webhook)
            {
                CheckUrl(entry);
                if (ReadSecret(entry, "BearerToken") is { } bearer) webhook.BearerToken = bearer;
            }

            // The options class owns the rules (ranges, required keys, combinations); a key that already failed to
            // read is not reported twice.
            var failed = Errors.Skip(errorsBefore).Select(e => e.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (string problem in options.Validate(entry.Path))
            {
                int space = problem.IndexOf(' ', StringComparison.Ordinal);
                string key = space > 0 ? problem[..space] : entry.Path;
                if (!failed.Add(key)) continue;
                Errors.Add(new SettingError(key, $"{problem} Set {EnvironmentVariableFor(key)} accordingly."));
            }

            if (!UpdatePolicy.TryParse(options.Updates, out _) && failed.Add(Key(entry, "Updates")))
            {
                Fail(entry, "Updates", options.Updates, "must be all, first or every-N-minutes (N up to 1440)", "to all (every update is sent again with its higher count), first, or e.g. every-15-minutes");
            }

            if (!SinkKinds.IsAvailable(kind))
            {
                Fail(entry, "Kind", kindText, "is not available in this build", "to one of " + SinkKinds.KindList);
                return null;
            }

            // An entry with errors stops start-up anyway; only a valid one becomes a policy.
            if (Errors.Count > errorsBefore) return null;
            return new SinkSettings(name, kind, (options as FileSinkOptions)?.Path)
            {
                Key = entry.Path,
                Policy = SinkPolicy.From(options),
                Options = options,
            };
        }

        /// <summary>
        /// Sets each given key of <paramref name="entry"/> on the property of that name (the keys were checked against
        /// <see cref="SinkKinds"/> already). Secrets and their <c>*File</c> keys are read by <see cref="ReadSecret"/>;
        /// a value that does not convert is reported with its key, never with a secret's value.
        /// </summary>
        private void Bind(IConfigurationSection entry, SinkOptions options)
        {
            var convertible = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in SinkKinds.SettableProperties(options.GetType(), declaredOnly: false))
            {
                if (property.Name is nameof(SinkOptions.Kind) or nameof(SinkOptions.Name) || SinkKinds.IsSecret(property.Name)) continue;
                var child = entry.GetSection(property.Name);
                if (child.Value is null)
                {
                    if (child.GetChildren().Any()) Fail(entry, property.Name, "(a section)", "must be a single value", "to a plain value");
                    continue;
                }

                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                if (TryConvert(child.Value, type, out string? normalized) && !(type == typeof(double) && normalized!.Contains("NaN", StringComparison.OrdinalIgnoreCase)))
                {
                    convertible[SinkEntry + ":" + property.Name] = normalized;
                    continue;
                }

                string expected = type == typeof(bool) ? "true or false" : type == typeof(double) ? "a number" : "a whole number";
                Fail(entry, property.Name, child.Value, "must be " + expected, "to " + expected);
            }

            // The .NET binder sets what converts; keys were checked against the kind's class already.
            new ConfigurationBuilder().AddInMemoryCollection(convertible).Build().GetSection(SinkEntry)
                .Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }

        private const string SinkEntry = "Sink";

        /// <summary>The URL's form is the options class's rule; credentials in it are refused here, without echoing them.</summary>
        private void CheckUrl(IConfigurationSection entry)
        {
            string url = ReadString(entry, "Url", "");
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
            {
                // Credentials in a URL end up in logs and in flowctl node config; they have their own secret keys.
                Fail(entry, "Url", uri.GetLeftPart(UriPartial.Scheme) + "***@" + uri.Authority, "must not carry credentials", "to the URL without user:password@, and put the secret in Token or BearerToken (or their *File keys)");
            }
        }

        /// <summary>
        /// A secret from <paramref name="key"/> or from the file <paramref name="key"/>File names (as Kubernetes mounts
        /// secrets); errors never show the secret itself.
        /// </summary>
        private string? ReadSecret(IConfigurationSection s, string key)
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

            return value;
        }
    }
}
