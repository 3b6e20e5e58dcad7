namespace FlowActors.Testing;

/// <summary>Polling with a deadline, for conditions another process makes true.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it is true or <paramref name="timeout"/> passes, then fails with <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {timeout.TotalSeconds:0} s: {what()}");
            await Task.Delay(50);
        }
    }
}
