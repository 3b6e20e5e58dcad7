using System.Collections.Concurrent;
using System.Net;

namespace FlowActors.Node.Tests.Harness;

/// <summary>
/// A minimal OTLP/HTTP receiver on a free loopback port: accepts every POST (answering 200 with an empty export
/// response) and records its path, content type and body size, so a test can see that metrics and traces arrive.
/// </summary>
public sealed class OtlpHttpCollector : HttpTestListener
{
    /// <summary>Base URL to give as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint => BaseUrl;

    /// <summary>Requests received: path, content type, body bytes.</summary>
    public ConcurrentQueue<(string Path, string? ContentType, long Bytes)> Requests { get; } = new();

    /// <inheritdoc />
    protected override Task HandleAsync(HttpListenerContext context, byte[] body)
    {
        Requests.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.Length));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-protobuf";
        context.Response.Close();
        return Task.CompletedTask;
    }
}
