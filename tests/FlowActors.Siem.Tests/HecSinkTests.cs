using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

public sealed class HecSinkTests
{
    private const string Token = "11111111-2222-3333-4444-555555555555";

    private static HecSinkOptions Options(HecTestServer server, bool ack, int ackTimeout = 30, int requestTimeout = 30) => new()
    {
        Name = "splunk", Url = server.BaseUrl, Token = Token, Index = "security", SourceType = "flowactors:alert",
        Acknowledgement = ack, AckTimeoutSeconds = ackTimeout, RequestTimeoutSeconds = requestTimeout,
    };

    [Fact]
    public async Task Events_carry_the_hec_envelope_and_the_ecs_document()
    {
        await using var server = new HecTestServer(Token, requireAck: false);
        await using var sink = new HecSink(Options(server, ack: false));
        await sink.DeliverAsync([TestAlerts.PortScan("a"), TestAlerts.SynFlood("b")], CancellationToken.None);
        var events = server.Events;
        Assert.Equal(["a", "b"], events.Select(e => e.GetProperty("event").GetProperty("event").GetProperty("id").GetString()));
        Assert.Equal("security", events[0].GetProperty("index").GetString());
        Assert.Equal("flowactors:alert", events[0].GetProperty("sourcetype").GetString());
        Assert.Equal(1795867242.0, events[0].GetProperty("time").GetDouble());
    }

    [Fact]
    public async Task With_acknowledgement_a_batch_is_delivered_only_once_acked()
    {
        await using var server = new HecTestServer(Token, requireAck: true) { AckAfterPolls = 3 };
        await using var sink = new HecSink(Options(server, ack: true));
        await sink.DeliverAsync(TestAlerts.Many(10), CancellationToken.None);
        Assert.Equal(10, server.Events.Count);
        Assert.True(server.AckRequests >= 3);
        Assert.Equal(1, sink.AcknowledgedBatches);
    }

    [Fact]
    public async Task An_ack_that_never_comes_fails_the_delivery_so_it_is_sent_again()
    {
        await using var server = new HecTestServer(Token, requireAck: true);
        server.Inject(HecFault.NeverAck);
        await using var sink = new HecSink(Options(server, ack: true, ackTimeout: 2));
        await Assert.ThrowsAsync<TimeoutException>(() => sink.DeliverAsync([TestAlerts.PortScan("a")], CancellationToken.None).AsTask());
        Assert.Empty(server.Events);
        Assert.Equal(1, sink.AckTimeouts);
        await sink.DeliverAsync([TestAlerts.PortScan("a")], CancellationToken.None);
        Assert.Single(server.Events);
    }

    [Fact]
    public async Task A_wrong_token_is_refused()
    {
        await using var server = new HecTestServer(Token, requireAck: false);
        var options = Options(server, ack: false);
        options.Token = "not-the-token";
        await using var sink = new HecSink(options);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Contains("Invalid token", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_busy_asks_for_a_retry_after_its_delay()
    {
        await using var server = new HecTestServer(Token, requireAck: true) { BusyRetryAfter = TimeSpan.FromSeconds(3) };
        server.Inject(HecFault.ServerBusy);
        await using var sink = new HecSink(Options(server, ack: true));
        var e = await Assert.ThrowsAsync<SinkRetryException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(3), e.RetryAfter);
        await sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None);
        Assert.Single(server.Events);
    }

    [Fact]
    public async Task Internal_error_is_a_retry()
    {
        await using var server = new HecTestServer(Token, requireAck: false);
        server.Inject(HecFault.InternalError);
        await using var sink = new HecSink(Options(server, ack: false));
        await Assert.ThrowsAsync<SinkRetryException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.Empty(server.Events);
    }

    [Fact]
    public async Task A_stalled_collector_times_out_instead_of_hanging()
    {
        await using var server = new HecTestServer(Token, requireAck: true);
        server.Inject(HecFault.Stall);
        await using var sink = new HecSink(Options(server, ack: true, requestTimeout: 2));
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<HttpRequestException>(() => sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None).AsTask());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60));
        await sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None);
        Assert.Single(server.Events);
    }

    [Fact]
    public async Task Every_request_names_the_same_channel()
    {
        await using var server = new HecTestServer(Token, requireAck: true);
        await using var sink = new HecSink(Options(server, ack: true));
        await sink.DeliverAsync([TestAlerts.PortScan("a")], CancellationToken.None);
        await sink.DeliverAsync([TestAlerts.PortScan("b")], CancellationToken.None);
        Assert.Equal(2, server.Events.Count);
        Assert.True(Guid.TryParse(sink.Channel, out _));
        Assert.Equal([sink.Channel], server.Channels);
    }
}
