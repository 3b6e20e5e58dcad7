using System.Net;
using Microsoft.AspNetCore.Http;

namespace FlowActors.Node.Operator;

/// <summary>
/// Refuses what a web page in an operator's browser could send to the endpoint (cross-site request forgery,
/// DNS rebinding): on mutating routes a foreign <c>Origin</c>, on an endpoint bound to loopback a <c>Host</c> that
/// is not a loopback name, and any content type but JSON. <c>flowctl</c> sends none of these.
/// </summary>
public static class CrossSiteGuard
{
    /// <summary>Whether <paramref name="method"/> changes state (everything but GET, HEAD, OPTIONS).</summary>
    public static bool IsMutating(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    /// <summary>Why <paramref name="request"/> is refused, with its status; null when it may proceed.</summary>
    /// <param name="request">The request.</param>
    /// <param name="loopbackBind">Whether the endpoint is bound to a loopback address.</param>
    public static (int Status, string Error)? Check(HttpRequest request, bool loopbackBind)
    {
        string host = request.Host.Host;
        if (loopbackBind && !IsLoopbackName(host))
        {
            // A page that rebinds its own DNS name to 127.0.0.1 still sends its own name as Host.
            return (StatusCodes.Status403Forbidden, $"Host '{request.Host}' is not this node's loopback endpoint");
        }

        if (!IsMutating(request.Method)) return null;
        string? origin = request.Headers.Origin;
        if (!string.IsNullOrEmpty(origin))
        {
            bool same = Uri.TryCreate(origin, UriKind.Absolute, out var o)
                && string.Equals(o.Host, host, StringComparison.OrdinalIgnoreCase)
                && o.Port == (request.Host.Port ?? (request.IsHttps ? 443 : 80));
            if (!same) return (StatusCodes.Status403Forbidden, $"cross-site request from Origin '{origin}' refused");
        }

        string? contentType = request.ContentType;
        bool hasBody = request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0;
        if (!string.IsNullOrEmpty(contentType) || hasBody)
        {
            string media = (contentType ?? "").Split(';')[0].Trim();
            if (!string.Equals(media, "application/json", StringComparison.OrdinalIgnoreCase))
            {
                return (StatusCodes.Status415UnsupportedMediaType, $"content type '{contentType}' refused: mutating routes take application/json or no body");
            }
        }

        return null;
    }

    private static bool IsLoopbackName(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
