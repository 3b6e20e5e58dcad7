namespace FlowActors.Cluster.Tests;

/// <summary>Polling with a deadline (no blind sleeps): retries an assertion until it passes or time runs out.</summary>
internal static class Eventually
{
    public static async Task Assert(Func<Task> assertion, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200));
            }
        }
    }

    public static Task Assert(Action assertion, TimeSpan timeout) =>
        Assert(() =>
        {
            assertion();
            return Task.CompletedTask;
        }, timeout);
}
