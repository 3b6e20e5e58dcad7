using FlowActors.Cluster.Receiving;
using FlowActors.Detection;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

public sealed class ReceiveLoopTimeTests
{
    [Fact]
    public void Records_stamped_beyond_the_tolerance_are_moved_to_the_receive_time_keeping_their_duration()
    {
        const long now = 1_800_000_000_000;
        var records = new FlowRecord[]
        {
            new() { StartMs = now - 10_000, EndMs = now - 1_000 },                        // normal
            new() { StartMs = now, EndMs = now + ReceiveLoop.FutureToleranceMs },          // at the tolerance: kept
            new() { StartMs = now + 3_600_000, EndMs = now + 3_600_000 + 4_000 },          // exporter clock an hour ahead
            new() { StartMs = now + 20 * 86_400_000L, EndMs = now - 60_000 },              // the poison: start 20 days ahead, end in the past
        };

        var guard = new EventTimeGuard(ReceiveLoop.FutureToleranceMs);
        int changed = guard.Check(records, now);

        Assert.Equal(2, changed);
        Assert.Equal(now - 1_000, records[0].EndMs);
        Assert.Equal(now + ReceiveLoop.FutureToleranceMs, records[1].EndMs);
        Assert.Equal(now, records[2].EndMs);
        Assert.Equal(now - 4_000, records[2].StartMs);
        Assert.Equal((now - 60_000, now - 60_000), (records[3].StartMs, records[3].EndMs));
        Assert.Equal((1, 1), (guard.Future, guard.StartAfterEnd));
    }
}
