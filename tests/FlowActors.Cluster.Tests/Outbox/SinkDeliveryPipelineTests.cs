using FlowActors.Siem.Outbox;
using FlowActors.Siem.Sinks;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace FlowActors.Cluster.Tests.Outbox;

/// <summary>One sink behind its Polly pipeline: retries, the circuit breaker, and creation failures.</summary>
public sealed class SinkDeliveryPipelineTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
    private static readonly Alert[] Batch = [TestData.Alert("p1")];

    private static SinkRetryOptions NoDelay(int retries, int breakAfter = 100) => new()
    {
        MaxRetryAttempts = retries,
        RetryDelay = TimeSpan.Zero,
        BreakAfterFailures = breakAfter,
        BreakDuration = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task Failed_call_is_retried_within_the_attempt_and_counted()
    {
        var sink = new FlakySink(failures: 1);
        await using var pipeline = new SinkDeliveryPipeline("s", () => sink, NoDelay(retries: 2), _time, reopenAfterFailure: false);
        await pipeline.DeliverAsync(Batch, CancellationToken.None);
        Assert.Equal(1, pipeline.Retried);
        Assert.Equal(2, sink.Calls);
        Assert.Single(sink.Delivered);
    }

    [Fact]
    public async Task Attempt_fails_once_the_retries_are_used_up()
    {
        var sink = new FlakySink(failures: 3);
        await using var pipeline = new SinkDeliveryPipeline("s", () => sink, NoDelay(retries: 2), _time, reopenAfterFailure: false);
        await Assert.ThrowsAsync<IOException>(() => pipeline.DeliverAsync(Batch, CancellationToken.None));
        Assert.Equal(3, sink.Calls);
    }

    [Fact]
    public async Task Circuit_opens_after_consecutive_failures_fails_fast_and_closes_after_a_good_trial()
    {
        var sink = new FlakySink(failures: 2);
        await using var pipeline = new SinkDeliveryPipeline("s", () => sink, NoDelay(retries: 0, breakAfter: 2), _time, reopenAfterFailure: false);
        await Assert.ThrowsAsync<IOException>(() => pipeline.DeliverAsync(Batch, CancellationToken.None));
        Assert.Equal("closed", pipeline.Circuit);
        await Assert.ThrowsAsync<IOException>(() => pipeline.DeliverAsync(Batch, CancellationToken.None));
        Assert.Equal("open", pipeline.Circuit);

        var broken = await Assert.ThrowsAsync<BrokenCircuitException>(() => pipeline.DeliverAsync(Batch, CancellationToken.None));
        Assert.Equal(2, sink.Calls); // refused without calling the sink
        Assert.NotNull(SinkDeliveryPipeline.RetryAfter(broken));

        _time.Advance(TimeSpan.FromSeconds(30));
        await pipeline.DeliverAsync(Batch, CancellationToken.None);
        Assert.Equal("closed", pipeline.Circuit);
        Assert.Single(sink.Delivered);
    }

    [Fact]
    public async Task One_failure_short_of_the_threshold_leaves_the_circuit_closed()
    {
        var sink = new FlakySink(failures: 1);
        await using var pipeline = new SinkDeliveryPipeline("s", () => sink, NoDelay(retries: 0, breakAfter: 2), _time, reopenAfterFailure: false);
        await Assert.ThrowsAsync<IOException>(() => pipeline.DeliverAsync(Batch, CancellationToken.None));
        await pipeline.DeliverAsync(Batch, CancellationToken.None);
        Assert.Equal("closed", pipeline.Circuit);
    }

    [Fact]
    public async Task Sink_that_cannot_be_created_is_a_delivery_failure_and_is_created_once_it_can_be()
    {
        int created = 0;
        bool possible = false;
        var sink = new FlakySink(failures: 0);
        await using var pipeline = new SinkDeliveryPipeline("s", () =>
        {
            if (!possible) throw new UnauthorizedAccessException("Access to the path is denied.");
            created++;
            return sink;
        }, NoDelay(retries: 0), _time);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => pipeline.DeliverAsync(Batch, CancellationToken.None));
        possible = true;
        await pipeline.DeliverAsync(Batch, CancellationToken.None);
        await pipeline.DeliverAsync(Batch, CancellationToken.None);
        Assert.Equal(1, created);
        Assert.Equal(2, sink.Delivered.Count);
    }

    [Fact]
    public async Task Sink_whose_call_failed_is_closed_and_created_again()
    {
        var sinks = new List<FlakySink>();
        await using var pipeline = new SinkDeliveryPipeline("s", () =>
        {
            var s = new FlakySink(failures: sinks.Count == 0 ? 1 : 0);
            sinks.Add(s);
            return s;
        }, NoDelay(retries: 1), _time);
        await pipeline.DeliverAsync(Batch, CancellationToken.None);
        Assert.Equal(2, sinks.Count);
        Assert.True(sinks[0].Disposed);
        Assert.Single(sinks[1].Delivered);
    }

    [Fact]
    public async Task Retry_after_longer_than_an_in_attempt_retry_fails_the_attempt_and_the_outbox_waits_it_out()
    {
        var sink = new RetryAfterSink(TimeSpan.FromSeconds(45));
        await using var pipeline = new SinkDeliveryPipeline("s", () => sink, NoDelay(retries: 2) with { RetryMaxDelay = TimeSpan.FromSeconds(5) }, _time, reopenAfterFailure: false);
        var error = await Assert.ThrowsAsync<SinkRetryException>(() => pipeline.DeliverAsync(Batch, CancellationToken.None));
        Assert.Equal(1, sink.Calls);
        Assert.Equal(TimeSpan.FromSeconds(45), SinkDeliveryPipeline.RetryAfter(error));

        // What the forwarder does with it: the outbox hands the batch out again only after the 45 s, not its 1 s backoff.
        var outbox = new AlertOutbox([new KeyValuePair<string, SinkPolicy>("s", new SinkPolicy())], new AlertOutboxOptions { RetryBaseDelay = TimeSpan.FromSeconds(1) }, _time, () => 0.5);
        outbox.CompleteRecovery();
        Assert.Equal(OfferResult.Accept, outbox.Offer(Batch[0]));
        outbox.Append(1, Batch[0]);
        Assert.True(outbox.TryTakeBatch("s", out var batch));
        Assert.Equal(TimeSpan.FromSeconds(45), outbox.Failed(batch!, error.Message, SinkDeliveryPipeline.RetryAfter(error)));
        _time.Advance(TimeSpan.FromSeconds(44));
        Assert.False(outbox.TryTakeBatch("s", out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(outbox.TryTakeBatch("s", out _));
    }

    [Fact]
    public async Task Short_retry_after_is_honoured_inside_the_attempt()
    {
        var sink = new RetryAfterSink(TimeSpan.FromSeconds(2));
        await using var pipeline = new SinkDeliveryPipeline("s", () => sink, NoDelay(retries: 2) with { RetryMaxDelay = TimeSpan.FromSeconds(5) }, _time, reopenAfterFailure: false);
        var delivery = pipeline.DeliverAsync(Batch, CancellationToken.None);
        Assert.Equal(1, sink.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(1, sink.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await delivery.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, sink.Calls);
        Assert.Equal(1, pipeline.Retried);
    }

    private sealed class RetryAfterSink(TimeSpan retryAfter) : IAlertSink
    {
        public int Calls { get; private set; }

        public string Name => "busy";

        public ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
        {
            if (++Calls == 1) throw new SinkRetryException("429 Too Many Requests", retryAfter);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FlakySink(int failures) : IAlertSink
    {
        private int _failures = failures;

        public int Calls { get; private set; }

        public bool Disposed { get; private set; }

        public List<Alert> Delivered { get; } = new();

        public string Name => "flaky";

        public ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
        {
            Calls++;
            if (_failures-- > 0) throw new IOException("connection refused");
            Delivered.AddRange(alerts);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
