using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// Sends alerts to a Splunk HTTP Event Collector: one <c>POST /services/collector/event</c> per batch, events
/// concatenated as HEC expects, each an ECS JSON document under <c>event</c>, with <c>Authorization: Splunk &lt;token&gt;</c>.
/// </summary>
/// <remarks>
/// With <see cref="HecSinkOptions.Acknowledgement"/> every request carries this sink's channel id
/// (<c>X-Splunk-Request-Channel</c>); the response's <c>ackId</c> is polled at <c>/services/collector/ack</c> and the
/// batch counts as delivered only once it is acknowledged (indexed). An ack that does not come within
/// <see cref="HecSinkOptions.AckTimeoutSeconds"/> fails the delivery, so the batch is sent again (same alert ids).
/// 429 and 5xx become a <see cref="SinkRetryException"/> honouring <c>Retry-After</c>. The token is never logged.
/// </remarks>
public sealed class HecSink : IAlertSink
{
    private readonly HecSinkOptions _options;
    private readonly AlertFormatContext _context;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly Uri _eventUri;
    private readonly Uri _ackUri;
    private long _acknowledged;
    private long _ackTimeouts;

    /// <summary>Creates the sink; nothing is sent until the first delivery.</summary>
    public HecSink(HecSinkOptions options, AlertFormatContext? context = null, ILogger? logger = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _context = context ?? AlertFormatContext.Default;
        _log = logger ?? NullLogger.Instance;
        Name = options.EffectiveName;
        Channel = Guid.NewGuid().ToString("D");
        (_eventUri, _ackUri) = Endpoints(options.Url);
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = TimeSpan.FromSeconds(Math.Max(1, options.RequestTimeoutSeconds));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The channel id sent as <c>X-Splunk-Request-Channel</c> (one per sink instance).</summary>
    public string Channel { get; }

    /// <summary>Batches acknowledged by the collector (with acknowledgement on).</summary>
    public long AcknowledgedBatches => Interlocked.Read(ref _acknowledged);

    /// <summary>Batches whose acknowledgement did not come in time.</summary>
    public long AckTimeouts => Interlocked.Read(ref _ackTimeouts);

    /// <summary>The request body for <paramref name="alerts"/>: HEC event objects, one after another.</summary>
    public byte[] Body(IReadOnlyList<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        using var stream = new MemoryStream(alerts.Count * 1024);
        foreach (var alert in alerts)
        {
            using var writer = new Utf8JsonWriter(stream, EcsJsonFormatter.WriterOptions);
            writer.WriteStartObject();
            var t = new DateTimeOffset(DateTime.SpecifyKind(alert.Time.ToUniversalTime(), DateTimeKind.Utc));
            writer.WriteNumber("time", Math.Round(t.ToUnixTimeMilliseconds() / 1000.0, 3));
            writer.WriteString("host", _context.ObserverHostName);
            writer.WriteString("source", "flowactors");
            writer.WriteString("sourcetype", _options.SourceType);
            if (!string.IsNullOrWhiteSpace(_options.Index)) writer.WriteString("index", _options.Index);
            writer.WritePropertyName("event");
            EcsJsonFormatter.Write(writer, alert, _context);
            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
        }

        return stream.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0) return;
        byte[] body = Body(alerts);
        using var request = Request(_eventUri, body);
        using var response = await SendAsync(request, "HEC event endpoint", cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw HttpDelivery.Failure(Name, "HEC event endpoint", response, HecText(text));
        SiemMetrics.Add(SiemMetrics.BytesSent, body.Length, Name);
        if (!_options.Acknowledgement) return;

        long ackId = ParseAckId(text);
        await AwaitAckAsync(ackId, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _acknowledged);
    }

    private async Task AwaitAckAsync(long ackId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(_options.AckTimeoutSeconds);
        var interval = TimeSpan.FromMilliseconds(50);
        byte[] query = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, long[]> { ["acks"] = [ackId] });
        while (true)
        {
            using (var request = Request(_ackUri, query))
            using (var response = await SendAsync(request, "HEC ack endpoint", ct).ConfigureAwait(false))
            {
                string text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) throw HttpDelivery.Failure(Name, "HEC ack endpoint", response, HecText(text));
                if (IsAcked(text, ackId)) return;
            }

            if (DateTime.UtcNow + interval > deadline)
            {
                Interlocked.Increment(ref _ackTimeouts);
                SiemMetrics.Add(SiemMetrics.AckTimeouts, 1, Name);
                _log.LogWarning("HEC sink {Sink}: ack {AckId} not confirmed within {Timeout} s; the batch will be sent again.", Name, ackId, _options.AckTimeoutSeconds);
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"HEC sink {Name}: ack {ackId} on channel {Channel} not confirmed within {_options.AckTimeoutSeconds} s"));
            }

            await Task.Delay(interval, ct).ConfigureAwait(false);
            interval = TimeSpan.FromMilliseconds(Math.Min(1000, interval.TotalMilliseconds * 2));
        }
    }

    private HttpRequestMessage Request(Uri uri, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Splunk " + _options.Token);
        if (_options.Acknowledgement) request.Headers.Add("X-Splunk-Request-Channel", Channel);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string what, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            SiemMetrics.Add(SiemMetrics.HttpErrors, 1, Name, new KeyValuePair<string, object?>("status", 0));
            _log.LogWarning("HEC sink {Sink}: {What} at {Host} failed: {Error}.", Name, what, request.RequestUri?.Authority, e.Message);
            throw new HttpRequestException($"HEC sink {Name}: {what} at {request.RequestUri?.Authority} failed: {e.Message}", e);
        }
    }

    private static long ParseAckId(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.TryGetProperty("ackId", out var id) && id.TryGetInt64(out long ack)) return ack;
        }
        catch (JsonException)
        {
            // Reported below: a success without an ack id cannot be confirmed.
        }

        throw new InvalidOperationException("HEC answered without an ackId although acknowledgement is enabled: enable indexer acknowledgement on the token or set Acknowledgement to false");
    }

    private static bool IsAcked(string text, long ackId)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.TryGetProperty("acks", out var acks) && acks.ValueKind == JsonValueKind.Object
                && acks.TryGetProperty(ackId.ToString(CultureInfo.InvariantCulture), out var done) && done.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? HecText(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("text", out var t) ? t.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (Uri Event, Uri Ack) Endpoints(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) uri = new Uri("http://invalid-hec-url.invalid/");
        string path = uri.AbsolutePath.TrimEnd('/');
        const string eventPath = "/services/collector/event";
        string root = path.EndsWith(eventPath, StringComparison.Ordinal) ? path[..^eventPath.Length]
            : path.EndsWith("/services/collector", StringComparison.Ordinal) ? path[..^"/services/collector".Length] : path;
        var b = new UriBuilder(uri) { Query = string.Empty, Path = root + eventPath };
        var a = new UriBuilder(uri) { Query = string.Empty, Path = root + "/services/collector/ack" };
        return (b.Uri, a.Uri);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
