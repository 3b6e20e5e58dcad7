using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace FlowActors.Siem.Tests.Support;

/// <summary>What the <see cref="HecTestServer"/> does with the next event request.</summary>
public enum HecFault
{
    /// <summary>Answer 503 Server Busy with Retry-After.</summary>
    ServerBusy,

    /// <summary>Answer 500 with an error body.</summary>
    InternalError,

    /// <summary>Do not answer until the client gives up (or the server stops).</summary>
    Stall,

    /// <summary>Accept the events but never acknowledge them.</summary>
    NeverAck,
}

/// <summary>
/// An in-test implementation of the Splunk HTTP Event Collector contract the <c>HecSink</c> relies on:
/// <c>POST /services/collector/event</c> with <c>Authorization: Splunk TOKEN</c> (401 code 2/4 otherwise) and a body
/// of concatenated event objects (400 code 6 when invalid); with acknowledgement required, the
/// <c>X-Splunk-Request-Channel</c> header (400 code 10 when missing), an <c>ackId</c> per request and
/// <c>POST /services/collector/ack</c> answering <c>{"acks":{"id":true|false}}</c>. Events are stored only once
/// "indexed"; acks turn true after <see cref="AckAfterPolls"/> polls. Faults are queued with <see cref="Inject"/>.
/// </summary>
public sealed class HecTestServer : HttpTestListener
{
    private readonly ConcurrentQueue<HecFault> _faults = new();
    private readonly ConcurrentDictionary<(string Channel, long AckId), int> _pendingAcks = new();
    private readonly ConcurrentDictionary<(string Channel, long AckId), bool> _neverAck = new();
    private readonly ConcurrentQueue<JsonElement> _events = new();
    private long _nextAck;
    private long _eventRequests;
    private long _ackRequests;

    /// <summary>Starts the server.</summary>
    public HecTestServer(string token, bool requireAck)
    {
        Token = token;
        RequireAck = requireAck;
    }

    /// <summary>The token accepted.</summary>
    public string Token { get; }

    /// <summary>Whether indexer acknowledgement is on (channel required, ack ids returned).</summary>
    public bool RequireAck { get; }

    /// <summary>Ack polls answered false before an ack turns true.</summary>
    public int AckAfterPolls { get; set; } = 1;

    /// <summary>Retry-After sent with <see cref="HecFault.ServerBusy"/>.</summary>
    public TimeSpan BusyRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Every event received and accepted, as parsed JSON (HEC envelope with <c>event</c>).</summary>
    public IReadOnlyList<JsonElement> Events => _events.ToArray();

    /// <summary>Channel ids seen on requests.</summary>
    public IReadOnlyCollection<string> Channels => _channels.Keys.ToArray();

    private readonly ConcurrentDictionary<string, bool> _channels = new();

    /// <summary>Event requests seen (accepted or not).</summary>
    public long EventRequests => Interlocked.Read(ref _eventRequests);

    /// <summary>Ack polls seen.</summary>
    public long AckRequests => Interlocked.Read(ref _ackRequests);

    /// <summary>Queues faults for the next event requests, in order.</summary>
    public void Inject(params HecFault[] faults)
    {
        foreach (var f in faults) _faults.Enqueue(f);
    }

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpListenerContext context, byte[] body)
    {
        string path = context.Request.Url!.AbsolutePath;
        string? auth = context.Request.Headers["Authorization"];
        if (auth is null)
        {
            await RespondAsync(context, 401, """{"text":"Token is required","code":2}""");
            return;
        }

        if (auth != "Splunk " + Token)
        {
            await RespondAsync(context, 403, """{"text":"Invalid token","code":4}""");
            return;
        }

        string? channel = context.Request.Headers["X-Splunk-Request-Channel"] ?? context.Request.QueryString["channel"];
        if (!string.IsNullOrEmpty(channel)) _channels[channel] = true;
        if (RequireAck && string.IsNullOrEmpty(channel))
        {
            await RespondAsync(context, 400, """{"text":"Data channel is missing","code":10}""");
            return;
        }

        if (path == "/services/collector/event") await EventAsync(context, body, channel);
        else if (path == "/services/collector/ack") await AckAsync(context, body, channel);
        else await RespondAsync(context, 404, """{"text":"The requested URL was not found on this server.","code":404}""");
    }

    private async Task EventAsync(HttpListenerContext context, byte[] body, string? channel)
    {
        Interlocked.Increment(ref _eventRequests);
        HecFault? fault = _faults.TryDequeue(out var f) ? f : null;
        switch (fault)
        {
            case HecFault.ServerBusy:
                await RespondAsync(context, 503, """{"text":"Server is busy","code":9}""", BusyRetryAfter);
                return;
            case HecFault.InternalError:
                await RespondAsync(context, 500, """{"text":"Internal server error","code":8}""");
                return;
            case HecFault.Stall:
                await Task.Delay(Timeout.Infinite, Stopping);
                return;
        }

        List<JsonElement> events;
        try
        {
            events = ParseEvents(body);
        }
        catch (JsonException)
        {
            await RespondAsync(context, 400, """{"text":"Invalid data format","code":6}""");
            return;
        }

        if (events.Count == 0 || events.Any(e => !e.TryGetProperty("event", out _)))
        {
            await RespondAsync(context, 400, """{"text":"Event field is required","code":12}""");
            return;
        }

        if (!RequireAck)
        {
            foreach (var e in events) _events.Enqueue(e);
            await RespondAsync(context, 200, """{"text":"Success","code":0}""");
            return;
        }

        long ack = Interlocked.Increment(ref _nextAck) - 1;
        var key = (channel!, ack);
        if (fault == HecFault.NeverAck) _neverAck[key] = true;
        else
        {
            _pendingAcks[key] = 0;
            _indexed[key] = events;
        }

        await RespondAsync(context, 200, $$"""{"text":"Success","code":0,"ackId":{{ack}}}""");
    }

    private readonly ConcurrentDictionary<(string, long), List<JsonElement>> _indexed = new();

    private async Task AckAsync(HttpListenerContext context, byte[] body, string? channel)
    {
        Interlocked.Increment(ref _ackRequests);
        if (!RequireAck)
        {
            await RespondAsync(context, 400, """{"text":"ACK is disabled","code":14}""");
            return;
        }

        using var doc = JsonDocument.Parse(body);
        var answer = new StringBuilder("""{"acks":{""");
        bool first = true;
        foreach (var id in doc.RootElement.GetProperty("acks").EnumerateArray())
        {
            long ack = id.GetInt64();
            var key = (channel!, ack);
            bool done = false;
            if (_pendingAcks.TryGetValue(key, out int polls))
            {
                if (polls + 1 >= AckAfterPolls && _indexed.TryRemove(key, out var indexed))
                {
                    foreach (var e in indexed) _events.Enqueue(e);
                    _pendingAcks.TryRemove(key, out _);
                    _acked[key] = true;
                    done = true;
                }
                else
                {
                    _pendingAcks[key] = polls + 1;
                }
            }
            else if (_acked.ContainsKey(key))
            {
                done = true;
            }

            if (!first) answer.Append(',');
            first = false;
            answer.Append('"').Append(ack).Append("\":").Append(done ? "true" : "false");
        }

        answer.Append("}}");
        await RespondAsync(context, 200, answer.ToString());
    }

    private readonly ConcurrentDictionary<(string, long), bool> _acked = new();

    private static List<JsonElement> ParseEvents(byte[] body)
    {
        // HEC bodies are JSON objects one after another (not an array).
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowMultipleValues = true });
        var list = new List<JsonElement>();
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("not an event object");
            list.Add(JsonElement.ParseValue(ref reader));
        }

        return list;
    }
}
