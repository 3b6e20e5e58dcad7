namespace FlowActors.Detection;

public sealed partial class HostBehavior
{
    /// <summary>Cache lines of a host behaviour object (its fields span about 250 bytes).</summary>
    public const int ObjectLines = 4;

    /// <summary>
    /// Asks the cache for this host's open windows and peer tables, ahead of observing its next observations: a shard
    /// applying its stage host after host calls it for a host or two ahead. Reads only this object, which the caller
    /// prefetched earlier (<see cref="CachePrefetch.Lines"/> with <see cref="ObjectLines"/>).
    /// </summary>
    public void PrefetchState()
    {
        CachePrefetch.Lines(_a, WindowState.ObjectLines);
        CachePrefetch.Lines(_b, WindowState.ObjectLines);
        CachePrefetch.Lines(_beacons);
        CachePrefetch.Lines(_portHistory);
    }
}
