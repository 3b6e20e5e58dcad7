namespace FlowActors.Siem.Sinks;

/// <summary>
/// Thrown by <see cref="IAlertSink.DeliverAsync"/> when the receiver asked to be retried later (HTTP 429 or 503,
/// a reconnect backoff that has not yet elapsed). The forwarder waits at least <see cref="RetryAfter"/>, when
/// given, before delivering the same alerts again.
/// </summary>
public sealed class SinkRetryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SinkRetryException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SinkRetryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SinkRetryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a message and the delay the receiver asked for.</summary>
    public SinkRetryException(string message, TimeSpan? retryAfter, Exception? innerException = null)
        : base(message, innerException)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>How long the receiver asked to wait before the next attempt, when it said.</summary>
    public TimeSpan? RetryAfter { get; }
}
