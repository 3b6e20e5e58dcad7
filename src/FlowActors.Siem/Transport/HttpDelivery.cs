using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using FlowActors.Siem.Sinks;

namespace FlowActors.Siem.Transport;

/// <summary>What the HTTP sinks share: reading <c>Retry-After</c> and turning a failed response into the exception
/// the forwarder acts on.</summary>
internal static class HttpDelivery
{
    /// <summary>Cap on a receiver's Retry-After, so a hostile or broken header cannot park a sink for days.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    /// <summary>The delay a <c>Retry-After</c> header asks for (seconds or an HTTP date), or null.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider? time = null)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        if (header is null) return null;
        TimeSpan? wait = header.Delta ?? (header.Date is { } date ? date - (time ?? TimeProvider.System).GetUtcNow() : null);
        if (wait is null) return null;
        if (wait < TimeSpan.Zero) return TimeSpan.Zero;
        return wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    /// <summary>True for the statuses that mean "later": 429 and every 5xx.</summary>
    public static bool IsRetryLater(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The exception for a non-success response: <see cref="SinkRetryException"/> for 429/5xx, otherwise
    /// an <see cref="HttpRequestException"/> naming the status (the body is not quoted: it may echo secrets).</summary>
    public static Exception Failure(string sink, string what, HttpResponseMessage response, string? receiverText)
    {
        int code = (int)response.StatusCode;
        SiemMetrics.Add(SiemMetrics.HttpErrors, 1, sink, new KeyValuePair<string, object?>("status", code));
        string detail = string.IsNullOrWhiteSpace(receiverText) ? string.Empty : $" ({Trim(receiverText)})";
        string message = string.Create(CultureInfo.InvariantCulture, $"{what} answered {code} {response.ReasonPhrase}{detail}");
        return IsRetryLater(response.StatusCode)
            ? new SinkRetryException(message, RetryAfter(response))
            : new HttpRequestException(message, null, response.StatusCode);
    }

    private static string Trim(string text)
    {
        string t = text.ReplaceLineEndings(" ").Trim();
        return t.Length <= 200 ? t : t[..200] + "...";
    }
}
