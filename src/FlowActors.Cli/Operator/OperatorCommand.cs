using System.Globalization;
using System.Net;
using System.Text.Json;

namespace FlowActors.Cli.Operator;

/// <summary>
/// Entry points of the operator commands (<c>flowctl [HOST:PORT] &lt;palette&gt; &lt;command&gt; ...</c>), which
/// <see cref="OperatorPalettes"/> defines, and the alert follower they share.
/// </summary>
public static class OperatorCommand
{
    /// <summary>Endpoint used when none is given.</summary>
    public const string DefaultEndpoint = OperatorPalettes.DefaultEndpoint;

    /// <summary>Environment variable read for the bearer token when <c>--token</c> is not given.</summary>
    public const string TokenVariable = OperatorPalettes.TokenVariable;

    /// <summary>Runs a flowctl command line (an operator command, usually) through the one command tree.</summary>
    /// <returns>One of <see cref="ExitCodes"/>.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null, CancellationToken cancellation = default) =>
        CommandLine.Run(args, stdout, stderr, cancellation, handler);

    /// <summary><c>alerts tail</c>: the last <paramref name="limit"/> alerts, then (with <paramref name="follow"/>) each new one once.</summary>
    internal static int AlertsTail(OperatorClient client, string limit, bool follow, TimeSpan interval, bool json, TextWriter stdout, CancellationToken cancellation)
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

        return ExitCodes.Ok;

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
            throw new OperatorException($"cannot reach the operator endpoint at {_endpoint} ({ex.Message}). Is the node running? Pass HOST:PORT as the first argument, or --endpoint HOST:PORT.");
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
