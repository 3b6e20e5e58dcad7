using FlowActors.Siem.Formats;
using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

public sealed class WebhookSinkTests
{
    [Fact]
    public async Task A_2xx_delivers_the_batch_as_a_json_array_with_the_bearer_token()
    {
        await using var server = new WebhookTestServer("s3cret");
        await using var sink = new WebhookSink(new WebhookSinkOptions { Url = server.BaseUrl + "/hook", BearerToken = "s3cret" });
        await sink.DeliverAsync([TestAlerts.PortScan("a"), TestAlerts.Hostile("b")], CancellationToken.None);
        var got = server.Received;
        Assert.Equal(["a", "b"], got.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal(TestAlerts.HostileText, got[1].GetProperty("summary").GetString());
    }

    [Fact]
    public async Task A_wrong_token_is_a_failure_not_a_retry_later()
    {
        await using var server = new WebhookTestServer("s3cret");
        await using var sink = new WebhookSink(new WebhookSinkOptions { Url = server.BaseUrl, BearerToken = "wrong" });
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.DoesNotContain("wrong", e.Message, StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task A_429_asks_for_a_retry_after_the_delay_given()
    {
        await using var server = new WebhookTestServer();
        server.Answer(429, TimeSpan.FromSeconds(7));
        await using var sink = new WebhookSink(new WebhookSinkOptions { Url = server.BaseUrl });
        var e = await Assert.ThrowsAsync<SinkRetryException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Empty(server.Received);
        await sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None);
        Assert.Single(server.Received);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task A_5xx_asks_for_a_retry(int status)
    {
        await using var server = new WebhookTestServer();
        server.Answer(status);
        await using var sink = new WebhookSink(new WebhookSinkOptions { Url = server.BaseUrl });
        var e = await Assert.ThrowsAsync<SinkRetryException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.Null(e.RetryAfter);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ecs_format_posts_ecs_documents()
    {
        await using var server = new WebhookTestServer();
        await using var sink = new WebhookSink(new WebhookSinkOptions { Url = server.BaseUrl, Format = "ecs" }, new AlertFormatContext { ObserverHostName = "n1" });
        await sink.DeliverAsync([TestAlerts.PortScan("a")], CancellationToken.None);
        var doc = Assert.Single(server.Received);
        Assert.Equal("a", doc.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal("n1", doc.GetProperty("observer").GetProperty("hostname").GetString());
    }

    [Fact]
    public async Task An_unreachable_receiver_is_a_delivery_failure()
    {
        int port = FlowActors.Testing.FreePorts.Tcp();
        await using var sink = new WebhookSink(new WebhookSinkOptions { Url = $"http://127.0.0.1:{port}/" });
        await Assert.ThrowsAsync<HttpRequestException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
    }
}
