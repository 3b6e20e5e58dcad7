using System.Net.Http.Headers;
using System.Text.Json;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// POSTs each batch as a JSON array to a URL: the alerts' canonical JSON (<c>Format = json</c>) or ECS documents
/// (<c>ecs</c>), with <c>Authorization: Bearer</c> when a token is set. A 2xx answer means delivered; 429 and 5xx
/// become a <see cref="SinkRetryException"/> honouring <c>Retry-After</c>; any other answer fails the delivery.
/// </summary>
public sealed class WebhookSink : IAlertSink
{
    private readonly WebhookSinkOptions _options;
    private readonly AlertFormatContext _context;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly Uri? _uri;
    private readonly bool _ecs;

    /// <summary>Creates the sink; nothing is sent until the first delivery.</summary>
    public WebhookSink(WebhookSinkOptions options, AlertFormatContext? context = null, ILogger? logger = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _context = context ?? AlertFormatContext.Default;
        _log = logger ?? NullLogger.Instance;
        Name = options.EffectiveName;
        Uri.TryCreate(options.Url, UriKind.Absolute, out _uri);
        _ecs = string.Equals(options.Format?.Trim(), "ecs", StringComparison.OrdinalIgnoreCase);
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = TimeSpan.FromSeconds(Math.Max(1, options.RequestTimeoutSeconds));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The request body for <paramref name="alerts"/>: a JSON array.</summary>
    public byte[] Body(IReadOnlyList<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        using var stream = new MemoryStream(alerts.Count * 768);
        using (var writer = new Utf8JsonWriter(stream, EcsJsonFormatter.WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var alert in alerts)
            {
                if (_ecs) EcsJsonFormatter.Write(writer, alert, _context);
                else alert.WriteJson(writer);
            }

            writer.WriteEndArray();
        }

        return stream.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0) return;
        if (_uri is null) throw new InvalidOperationException($"webhook sink {Name}: Url '{_options.Url}' is not an absolute URL");
        byte[] body = Body(alerts);
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (!string.IsNullOrEmpty(_options.BearerToken)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.BearerToken);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            SiemMetrics.Add(SiemMetrics.HttpErrors, 1, Name, new KeyValuePair<string, object?>("status", 0));
            _log.LogWarning("Webhook sink {Sink}: POST to {Host} failed: {Error}.", Name, _uri.Authority, e.Message);
            throw new HttpRequestException($"webhook sink {Name}: POST to {_uri.Authority} failed: {e.Message}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var failure = HttpDelivery.Failure(Name, "webhook " + _uri.Authority, response, null);
                _log.LogWarning("Webhook sink {Sink}: {Error}.", Name, failure.Message);
                throw failure;
            }
        }

        SiemMetrics.Add(SiemMetrics.BytesSent, body.Length, Name);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
