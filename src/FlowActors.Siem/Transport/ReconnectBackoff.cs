namespace FlowActors.Siem.Transport;

/// <summary>
/// Exponential backoff with jitter between reconnect attempts: after the n-th consecutive failure the next attempt
/// waits a random time between half and all of min(<c>max</c>, <c>initial</c> × 2^(n-1)), so many senders that lost
/// the same receiver do not return in step. A success resets it.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly TimeProvider _time;
    private int _failures;
    private long _notBefore;

    /// <summary>Creates a backoff starting at <paramref name="initial"/> and capped at <paramref name="max"/>.</summary>
    public ReconnectBackoff(TimeSpan initial, TimeSpan max, TimeProvider? time = null)
    {
        _initial = initial;
        _max = max;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Consecutive failures so far.</summary>
    public int Failures => _failures;

    /// <summary>How long until the next attempt is allowed (zero when it is).</summary>
    public TimeSpan Remaining
    {
        get
        {
            long now = _time.GetTimestamp();
            return now >= _notBefore ? TimeSpan.Zero : _time.GetElapsedTime(now, _notBefore);
        }
    }

    /// <summary>Records a failure and returns the wait chosen before the next attempt.</summary>
    public TimeSpan Fail()
    {
        _failures = Math.Min(_failures + 1, 30);
        double ceiling = Math.Min(_max.TotalMilliseconds, _initial.TotalMilliseconds * Math.Pow(2, _failures - 1));
        double wait = ceiling * (0.5 + (Random.Shared.NextDouble() * 0.5));
        var delay = TimeSpan.FromMilliseconds(wait);
        _notBefore = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        return delay;
    }

    /// <summary>Records a success.</summary>
    public void Succeed()
    {
        _failures = 0;
        _notBefore = 0;
    }
}
