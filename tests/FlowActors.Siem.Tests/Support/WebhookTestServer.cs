using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace FlowActors.Siem.Tests.Support;

/// <summary>
/// A JSON webhook receiver for tests: stores each POSTed array's elements, checks the bearer token when one is set,
/// and answers queued statuses (429 or 5xx with Retry-After) before returning to 200.
/// </summary>
public sealed class WebhookTestServer : HttpTestListener
{
    private readonly ConcurrentQueue<(int Status, TimeSpan? RetryAfter)> _answers = new();
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private readonly ConcurrentQueue<DateTime> _requestTimes = new();

    /// <summary>Starts the server; <paramref name="bearerToken"/> null accepts any request.</summary>
    public WebhookTestServer(string? bearerToken = null) => BearerToken = bearerToken;

    /// <summary>The token required, if any.</summary>
    public string? BearerToken { get; }

    /// <summary>Elements of the arrays accepted (2xx).</summary>
    public IReadOnlyList<JsonElement> Received => _received.ToArray();

    /// <summary>When each request arrived (UTC).</summary>
    public IReadOnlyList<DateTime> RequestTimes => _requestTimes.ToArray();

    /// <summary>Queues a status for the next request.</summary>
    public void Answer(int status, TimeSpan? retryAfter = null) => _answers.Enqueue((status, retryAfter));

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpListenerContext context, byte[] body)
    {
        _requestTimes.Enqueue(DateTime.UtcNow);
        if (BearerToken is not null && context.Request.Headers["Authorization"] != "Bearer " + BearerToken)
        {
            await RespondAsync(context, 401, """{"error":"unauthorized"}""");
            return;
        }

        if (_answers.TryDequeue(out var a) && a.Status is < 200 or > 299)
        {
            await RespondAsync(context, a.Status, """{"error":"try later"}""", a.RetryAfter);
            return;
        }

        using var doc = JsonDocument.Parse(body);
        foreach (var e in doc.RootElement.EnumerateArray()) _received.Enqueue(e.Clone());
        await RespondAsync(context, 200, """{"ok":true}""");
    }
}
