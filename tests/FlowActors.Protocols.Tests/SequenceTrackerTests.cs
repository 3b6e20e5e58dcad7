namespace FlowActors.Protocols.Tests;

/// <summary>Sequence accounting bounds (the decoders' own numbering is tested with each protocol).</summary>
public sealed class SequenceTrackerTests
{
    private static SequenceStreamKey Key(uint domain) => new(DecodeHelper.Exporter, 9, domain);

    [Fact]
    public void Least_recently_observed_stream_is_evicted_when_full()
    {
        var tracker = new SequenceTracker(maxStreams: 2);
        tracker.Observe(Key(1), 1, 1, 1_000);
        tracker.Observe(Key(2), 1, 1, 2_000);
        tracker.Observe(Key(1), 2, 1, 3_000);

        tracker.Observe(Key(3), 1, 1, 4_000);

        Assert.Equal(2, tracker.Count);
        Assert.Equal(1, tracker.Evicted);
        Assert.True(tracker.Streams.ContainsKey(Key(1)));
        Assert.False(tracker.Streams.ContainsKey(Key(2)));
        Assert.True(tracker.Streams.ContainsKey(Key(3)));
    }

    [Fact]
    public void A_flood_of_new_streams_keeps_the_table_at_its_limit()
    {
        var tracker = new SequenceTracker(maxStreams: 100);
        for (uint d = 0; d < 10_000; d++) tracker.Observe(Key(d), 1, 1, d);

        Assert.Equal(100, tracker.Count);
        Assert.Equal(9_900, tracker.Evicted);
        Assert.True(tracker.Streams.ContainsKey(Key(9_999)));
    }
}
