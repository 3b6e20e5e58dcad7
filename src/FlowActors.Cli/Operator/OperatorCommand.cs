using System.Globalization;
using System.Net;
using System.Text.Json;

namespace FlowActors.Cli.Operator;

/// <summary>
/// <c>flowctl [HOST:PORT] &lt;palette&gt; &lt;command&gt; [args] [--token T] [--json]</c>: operator commands, sent to a
/// node's operator endpoint (default <c>127.0.0.1:9110</c>) and printed as tables, or as the raw JSON with <c>--json</c>.
/// </summary>
public static class OperatorCommand
{
    /// <summary>Endpoint used when none is given.</summary>
    public const string DefaultEndpoint = "127.0.0.1:9110";

    /// <summary>Environment variable read for the bearer token when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "FLOWCTL_TOKEN";

    /// <summary>One operator command: the HTTP call it makes and how positional arguments map to query parameters.</summary>
    /// <param name="Palette">Palette name (<c>cluster</c>).</param>
    /// <param name="Name">Command name (<c>show</c>).</param>
    /// <param name="Method">HTTP method.</param>
    /// <param name="Arguments">Positional arguments, in order, each sent as the query parameter of the same name.</param>
    /// <param name="Required">How many of <paramref name="Arguments"/> must be given.</param>
    /// <param name="Help">One line of help.</param>
    public sealed record Spec(string Palette, string Name, string Method, string[] Arguments, int Required, string Help);

    /// <summary>Every operator command.</summary>
    public static readonly IReadOnlyList<Spec> Commands =
    [
        new("cluster", "show", "GET", [], 0, "members with status, roles and reachability"),
        new("cluster", "status", "GET", [], 0, "this node's membership and a summary of the cluster"),
        new("cluster", "leader", "GET", [], 0, "the leader and the leader of each role"),
        new("cluster", "leave", "POST", ["address"], 0, "gracefully remove ADDRESS (default: the node asked) from the cluster"),
        new("cluster", "down-unreachable", "POST", [], 0, "down every member seen as unreachable"),
        new("sharding", "regions", "GET", [], 0, "shard regions on the node with shard and entity counts"),
        new("sharding", "region-stats", "GET", ["type"], 0, "entities per shard in the node's region TYPE (default host)"),
        new("sharding", "shard-stats", "GET", ["type"], 0, "shards and entities per node for TYPE (default host)"),
        new("exporters", "list", "GET", [], 0, "exporters seen, with datagrams, records, errors and sequence gaps; per port the kernel's drops; senders refused by the allowlist, with counts"),
        new("exporters", "templates", "GET", ["exporter"], 0, "templates learnt (from EXPORTER only, when given)"),
        new("hosts", "top", "GET", ["limit"], 0, "the busiest monitored hosts (top LIMIT, default 20)"),
        new("hosts", "show", "GET", ["ip"], 1, "baseline and recent alerts of one monitored host IP"),
        new("alerts", "tail", "GET", ["limit"], 0, "the last LIMIT alerts, then new ones as they arrive (-f to follow)"),
        new("alerts", "recent", "GET", ["limit"], 0, "the last LIMIT alerts (default 20)"),
        new("forwarder", "status", "GET", [], 0, "the forwarder singleton: outbox, and per sink delivered, retried, failed, backlog, circuit, latency"),
        new("node", "config", "GET", [], 0, "the node's effective configuration (secrets redacted)"),
        new("node", "version", "GET", [], 0, "version, runtime, uptime and address of the node"),
    ];

    /// <summary>Usage of the operator palettes.</summary>
    public static string Usage
    {
        get
        {
            var text = new System.Text.StringBuilder();
            text.AppendLine("Operator commands (talk to a node's operator endpoint, default " + DefaultEndpoint + "):");
            text.AppendLine("  flowctl [HOST:PORT] <palette> <command> [args] [--token T] [--json]");
            foreach (var spec in Commands)
            {
                string args = string.Concat(spec.Arguments.Select((a, i) => i < spec.Required ? " " + a.ToUpperInvariant() : " [" + a.ToUpperInvariant() + "]"));
                text.Append("  flowctl ").Append((spec.Palette + " " + spec.Name + args).PadRight(40)).AppendLine(spec.Help);
            }

            text.Append("  token: --token T, ").Append(TokenVariable).Append(", or (for a node on this machine) its data directory's ").Append(LocalToken.FileName).Append("; output: tables, or --json for the endpoint's JSON");
            return text.ToString();
        }
    }

    /// <summary>Whether <paramref name="args"/> name an operator command (optionally after HOST:PORT).</summary>
    public static bool Accepts(string[] args)
    {
        int i = args.Length > 0 && LooksLikeEndpoint(args[0]) ? 1 : 0;
        return i < args.Length && Commands.Any(c => c.Palette == args[i]);
    }

    /// <summary>Runs an operator command.</summary>
    /// <returns>0 on success, 1 when the node could not be reached or refused the command, 2 on a usage error.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null, CancellationToken cancellation = default)
    {
        var positional = new List<string>();
        string? token = null;
        bool json = false, follow = false;
        TimeSpan interval = TimeSpan.FromSeconds(1);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--token":
                    if (i + 1 >= args.Length) return UsageError(stderr, "--token needs a value");
                    token = args[++i];
                    break;
                case "--json":
                    json = true;
                    break;
                case "-f":
                case "--follow":
                    follow = true;
                    break;
                case "--interval":
                    if (i + 1 >= args.Length || !double.TryParse(args[++i], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds <= 0)
                    {
                        return UsageError(stderr, "--interval needs a number of seconds");
                    }

                    interval = TimeSpan.FromSeconds(seconds);
                    break;
                default:
                    positional.Add(args[i]);
                    break;
            }
        }

        string endpoint = DefaultEndpoint;
        if (positional.Count > 0 && LooksLikeEndpoint(positional[0]))
        {
            endpoint = positional[0];
            positional.RemoveAt(0);
        }

        if (positional.Count < 2)
        {
            return UsageError(stderr, positional.Count == 0 ? "missing palette" : $"missing command for palette '{positional[0]}'");
        }

        var spec = Commands.FirstOrDefault(c => c.Palette == positional[0] && c.Name == positional[1]);
        if (spec is null)
        {
            var known = Commands.Where(c => c.Palette == positional[0]).Select(c => c.Name).ToArray();
            return UsageError(stderr, known.Length == 0
                ? $"unknown palette '{positional[0]}'"
                : $"unknown command '{positional[1]}' in palette '{positional[0]}' (known: {string.Join(", ", known)})");
        }

        var values = positional.Skip(2).ToList();
        if (values.Count < spec.Required || values.Count > spec.Arguments.Length)
        {
            return UsageError(stderr, $"'{spec.Palette} {spec.Name}' takes {DescribeArguments(spec)}");
        }

        if (follow && !(spec.Palette == "alerts" && spec.Name == "tail"))
        {
            return UsageError(stderr, "-f applies to 'alerts tail' only");
        }

        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        token ??= LocalToken.Find(endpoint);
        var query = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < values.Count; i++) query.Add(new(spec.Arguments[i], values[i]));

        using var client = new OperatorClient(endpoint, token, handler);
        try
        {
            if (spec.Palette == "alerts" && spec.Name == "tail")
            {
                return AlertsTail(client, values.Count > 0 ? values[0] : "10", follow, interval, json, stdout, cancellation);
            }

            var response = client.Send(spec.Method, $"/api/{spec.Palette}/{spec.Name}", query, cancellation);
            if (json)
            {
                stdout.WriteLine(response.GetRawText());
            }
            else if (spec.Palette == "alerts")
            {
                AlertWriter.Write(response, stdout);
            }
            else if (spec.Palette == "forwarder")
            {
                ForwarderStatusWriter.Write(response, stdout);
            }
            else
            {
                TableWriter.Write(response, stdout);
            }

            return 0;
        }
        catch (OperatorException ex)
        {
            stderr.WriteLine($"flowctl: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return 0;
        }
    }

    private static int AlertsTail(OperatorClient client, string limit, bool follow, TimeSpan interval, bool json, TextWriter stdout, CancellationToken cancellation)
    {
        // The cluster's alerts from the forwarder's journal: "next" is a stable cursor, so a follower sees each alert
        // once however many nodes it asks in turn.
        var first = client.Send("GET", "/api/alerts/recent", [new("limit", limit)], cancellation);
        Print(first);
        long cursor = first.GetProperty("next").GetInt64();
        while (follow && !cancellation.IsCancellationRequested)
        {
            cancellation.WaitHandle.WaitOne(interval);
            if (cancellation.IsCancellationRequested) break;
            var next = client.Send("GET", "/api/alerts", [new("after", cursor.ToString(CultureInfo.InvariantCulture)), new("limit", "1000")], cancellation);
            if (next.TryGetProperty("truncated", out var truncated) && truncated.GetBoolean() && !json)
            {
                stdout.WriteLine($"(fell behind the forwarder's window: alerts after cursor {cursor} up to {next.GetProperty("oldest").GetInt64()} are no longer kept)");
            }

            Print(next);
            cursor = next.GetProperty("next").GetInt64();
        }

        return 0;

        void Print(JsonElement response)
        {
            if (json)
            {
                foreach (var alert in response.GetProperty("alerts").EnumerateArray()) stdout.WriteLine(alert.GetRawText());
            }
            else
            {
                AlertWriter.WriteLines(response.GetProperty("alerts"), stdout);
            }

            stdout.Flush();
        }
    }

    /// <summary>Whether <paramref name="text"/> is HOST:PORT (or an http(s) URL) rather than a palette.</summary>
    internal static bool LooksLikeEndpoint(string text)
    {
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) return true;
        int colon = text.LastIndexOf(':');
        return colon > 0 && colon < text.Length - 1 && text[(colon + 1)..].All(char.IsAsciiDigit);
    }

    private static string DescribeArguments(Spec spec)
    {
        if (spec.Arguments.Length == 0) return "no arguments";
        return string.Join(" ", spec.Arguments.Select((a, i) => i < spec.Required ? a.ToUpperInvariant() : "[" + a.ToUpperInvariant() + "]"));
    }

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine($"flowctl: {message}");
        stderr.WriteLine(Usage);
        return 2;
    }
}

/// <summary>The node could not be reached, or answered with an error.</summary>
public sealed class OperatorException(string message) : Exception(message);

/// <summary>HTTP client for one node's operator endpoint.</summary>
public sealed class OperatorClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _endpoint;

    /// <summary>Creates a client for <paramref name="endpoint"/> (HOST:PORT or a URL).</summary>
    public OperatorClient(string endpoint, string? token, HttpMessageHandler? handler = null)
    {
        _endpoint = endpoint;
        var baseUri = endpoint.Contains("://", StringComparison.Ordinal) ? new Uri(endpoint.TrimEnd('/') + "/") : new Uri("http://" + endpoint + "/");
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = baseUri;
        _http.Timeout = TimeSpan.FromSeconds(15);
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>Sends one request and returns the JSON body; throws <see cref="OperatorException"/> on failure.</summary>
    public JsonElement Send(string method, string path, IReadOnlyList<KeyValuePair<string, string>> query, CancellationToken cancellation = default)
    {
        string uri = path.TrimStart('/');
        if (query.Count > 0)
        {
            uri += "?" + string.Join("&", query.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        HttpResponseMessage response;
        try
        {
            response = _http.Send(request, cancellation);
        }
        catch (HttpRequestException ex)
        {
            throw new OperatorException($"cannot reach the operator endpoint at {_endpoint} ({ex.Message}). Is the node running? Pass HOST:PORT as the first argument.");
        }
        catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new OperatorException($"the operator endpoint at {_endpoint} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            using var stream = response.Content.ReadAsStream(cancellation);
            JsonElement body;
            try
            {
                using var doc = JsonDocument.Parse(stream);
                body = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new OperatorException($"{method} {path} answered {(int)response.StatusCode} {response.StatusCode} without JSON; is {_endpoint} a FlowActors operator endpoint?");
            }

            if (!response.IsSuccessStatusCode)
            {
                string error = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) ? e.ToString() : body.GetRawText();
                string hint = response.StatusCode == HttpStatusCode.Unauthorized ? " (pass --token or set " + OperatorCommand.TokenVariable + ")" : "";
                throw new OperatorException($"{method} {path} failed: {(int)response.StatusCode} {error}{hint}");
            }

            return body;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
