using FlowActors.Siem.Sinks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace FlowActors.Siem.Outbox;

/// <summary>Retry, circuit-breaker and timeout settings for one sink's deliveries.</summary>
public sealed record SinkRetryOptions
{
    /// <summary>Retries inside one delivery attempt before it counts as failed (default 2).</summary>
    public int MaxRetryAttempts { get; init; } = 2;

    /// <summary>Delay before the first retry; exponential with jitter after (default 200 ms).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between two retries inside an attempt (default 5 s).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Calls (including retries) that must all fail within <see cref="SamplingDuration"/> to open the circuit (default 5).</summary>
    public int BreakAfterFailures { get; init; } = 5;

    /// <summary>Window over which failures are counted (default 60 s).</summary>
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit refuses calls before one trial call (default 30 s).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest one call to the sink may take before it is cancelled and counts as failed (default 30 s).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// One sink behind a Polly pipeline: each call has a timeout, fails fast while the circuit is open, and is
/// retried with exponential backoff and jitter a few times. The sink is created on first use, so a sink that
/// cannot be constructed (unwritable path, bad certificate file) is a delivery failure of that sink only, and it is
/// closed and created again after a failed call (a fresh connection or file handle).
/// </summary>
public sealed class SinkDeliveryPipeline : IAsyncDisposable
{
    private readonly Func<IAlertSink> _factory;
    private readonly bool _reopenAfterFailure;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private IAlertSink? _sink;
    private long _retried;

    /// <summary>Creates the pipeline; the sink itself is created by <paramref name="factory"/> on the first delivery.</summary>
    /// <param name="name">Sink name (for metrics).</param>
    /// <param name="factory">Creates the sink.</param>
    /// <param name="options">Retry and circuit settings; defaults when null.</param>
    /// <param name="time">Clock for delays, the circuit and timeouts; the system clock when null.</param>
    /// <param name="reopenAfterFailure">Whether a sink whose call failed is closed and created again for the next call.</param>
    public SinkDeliveryPipeline(string name, Func<IAlertSink> factory, SinkRetryOptions? options = null, TimeProvider? time = null, bool reopenAfterFailure = true)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Name = name;
        _factory = factory;
        _reopenAfterFailure = reopenAfterFailure;
        var o = options ?? new SinkRetryOptions();
        var tag = OutboxMetrics.Tag(name);
        // A receiver that asked for a wait longer than an in-attempt retry may take is not retried here: the attempt
        // fails at once and the outbox schedules the next one after the wait it asked for (RetryAfter below).
        var handled = new PredicateBuilder().Handle<Exception>(e =>
            (e is not BrokenCircuitException and not OperationCanceledException || e is TimeoutRejectedException)
            && !(e is SinkRetryException { RetryAfter: { } wait } && wait > o.RetryMaxDelay));
        var builder = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System };
        if (o.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = o.MaxRetryAttempts,
                ShouldHandle = handled,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.RetryDelay,
                MaxDelay = o.RetryMaxDelay,
                // A short Retry-After is honoured in place of the computed backoff (null keeps the backoff).
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Exception is SinkRetryException { RetryAfter: { } wait } ? wait : null),
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref _retried);
                    OutboxMetrics.Retried.Add(1, tag);
                    return default;
                },
            });
        }

        _pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(2, o.BreakAfterFailures),
                SamplingDuration = o.SamplingDuration,
                BreakDuration = o.BreakDuration,
                StateProvider = _circuit,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException || e is TimeoutRejectedException),
            })
            .AddTimeout(o.AttemptTimeout)
            .Build();
    }

    /// <summary>Sink name.</summary>
    public string Name { get; }

    /// <summary>Retries made inside attempts so far.</summary>
    public long Retried => Interlocked.Read(ref _retried);

    /// <summary>Circuit state: <c>closed</c>, <c>open</c>, <c>half-open</c> or <c>isolated</c>.</summary>
    public string Circuit => _circuit.CircuitState switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half-open",
        _ => "isolated",
    };

    /// <summary>Delivers <paramref name="alerts"/> through the pipeline; throws when every try failed or the circuit is open.</summary>
    public async Task DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        await _pipeline.ExecuteAsync(async ct =>
        {
            var sink = _sink ??= _factory();
            try
            {
                await sink.DeliverAsync(alerts, ct).ConfigureAwait(false);
            }
            catch when (_reopenAfterFailure)
            {
                _sink = null;
                await CloseAsync(sink).ConfigureAwait(false);
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How long the caller should wait before the next attempt when <paramref name="error"/> says so: the receiver's
    /// <see cref="SinkRetryException.RetryAfter"/> (HTTP 429/503 Retry-After), or the rest of an open circuit's break.
    /// </summary>
    public static TimeSpan? RetryAfter(Exception error) => error switch
    {
        SinkRetryException { RetryAfter: { } wait } => wait,
        BrokenCircuitException { RetryAfter: { } after } => after,
        _ => null,
    };

    private static async ValueTask CloseAsync(IAlertSink sink)
    {
        try
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            // A sink that failed may fail to close as well; the next call opens a fresh one either way.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_sink is { } sink)
        {
            _sink = null;
            await CloseAsync(sink).ConfigureAwait(false);
        }
    }
}
