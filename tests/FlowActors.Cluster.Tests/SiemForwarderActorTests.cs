using Akka.Actor;
using FlowActors.Cluster.Actors;
using FlowActors.Cluster.Messages;
using FlowActors.Siem.Sinks;
using Xunit.Abstractions;

namespace FlowActors.Cluster.Tests;

public sealed class SiemForwarderActorTests(ITestOutputHelper output) : PersistentTestKit(output)
{
    private static FlowActorsClusterOptions Options(int snapshotEvery = 500, int maxOutbox = 1000) => new()
    {
        ForwarderSnapshotEvery = snapshotEvery,
        ForwarderMaxOutbox = maxOutbox,
        SinkRetryInterval = TimeSpan.FromMilliseconds(100),
    };

    private IActorRef Start(FlowActorsClusterOptions options, params IAlertSink[] sinks) =>
        Sys.ActorOf(SiemForwarderActor.GetProps(options, () => sinks));

    private static ForwarderStatus StatusOf(IActorRef forwarder) =>
        forwarder.Ask<ForwarderStatus>(GetForwarderStatus.Instance, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();

    private void Restart(IActorRef forwarder)
    {
        Watch(forwarder);
        forwarder.Tell(PoisonPill.Instance);
        ExpectTerminated(forwarder, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Accepted_alert_is_acknowledged_and_delivered_to_every_sink()
    {
        var a = new CollectingSink("a");
        var b = new CollectingSink("b");
        var forwarder = Start(Options(), a, b);
        forwarder.Tell(new ForwardAlert(TestData.Alert("alert-1")));
        ExpectMsg(new AlertAccepted("alert-1"), TimeSpan.FromSeconds(10));
        AwaitAssert(() =>
        {
            Assert.Equal(["alert-1"], a.Ids);
            Assert.Equal(["alert-1"], b.Ids);
        }, TimeSpan.FromSeconds(5));
        var status = StatusOf(forwarder);
        Assert.Equal(1, status.Accepted);
        AwaitAssert(() => Assert.Equal(0, StatusOf(forwarder).Outbox));
    }

    [Fact]
    public void Sink_retry_after_is_waited_out_before_the_alert_is_delivered_again()
    {
        // The receiver answers the first delivery with "retry in 3 s" (HTTP 503 Retry-After: 3); the forwarder's
        // own backoff (100 ms here, 200 ms inside an attempt) would come back far sooner.
        var sink = new RetryAfterSink(TimeSpan.FromSeconds(3));
        var forwarder = Start(Options(), sink);
        forwarder.Tell(new ForwardAlert(TestData.Alert("busy-1")));
        ExpectMsg(new AlertAccepted("busy-1"), TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.Equal(["busy-1"], sink.Delivered), TimeSpan.FromSeconds(30));
        Assert.Equal(2, sink.Calls.Count);
        var waited = sink.Calls[1] - sink.Calls[0];
        Assert.True(waited >= TimeSpan.FromSeconds(2.9), $"retried after {waited.TotalSeconds:0.00} s, before the 3 s the sink asked for");
    }

    /// <summary>Refuses its first delivery with a <see cref="SinkRetryException"/> carrying a Retry-After, then accepts.</summary>
    private sealed class RetryAfterSink(TimeSpan retryAfter) : IAlertSink
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

        public List<TimeSpan> Calls { get; } = new();

        public List<string> Delivered { get; } = new();

        public string Name => "busy";

        public ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add(_clock.Elapsed);
                if (Calls.Count == 1) throw new SinkRetryException("503 Service Unavailable", retryAfter);
                Delivered.AddRange(alerts.Select(a => a.Id));
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public void Duplicate_alert_id_is_acknowledged_again_but_delivered_once()
    {
        var sink = new CollectingSink();
        var forwarder = Start(Options(), sink);
        forwarder.Tell(new ForwardAlert(TestData.Alert("dup")));
        ExpectMsg(new AlertAccepted("dup"), TimeSpan.FromSeconds(10));
        forwarder.Tell(new ForwardAlert(TestData.Alert("dup")));
        ExpectMsg(new AlertAccepted("dup"), TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.Equal(["dup"], sink.Ids), TimeSpan.FromSeconds(5));
        var status = StatusOf(forwarder);
        Assert.Equal(1, status.Accepted);
        Assert.Equal(1, status.Duplicates);
    }

    [Fact]
    public void Suppression_update_with_a_higher_count_is_delivered_again_under_the_same_id()
    {
        var sink = new CollectingSink();
        var forwarder = Start(Options(), sink);
        forwarder.Tell(new ForwardAlert(TestData.Alert("folded")));
        ExpectMsg(new AlertAccepted("folded", 1), TimeSpan.FromSeconds(10));
        forwarder.Tell(new ForwardAlert(TestData.Alert("folded") with { Count = 2 }));
        ExpectMsg(new AlertAccepted("folded", 2), TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.Equal([1, 2], sink.Delivered.Select(a => a.Count)), TimeSpan.FromSeconds(5));
        Assert.Equal(["folded", "folded"], sink.Ids);
    }

    [Fact]
    public void Acknowledged_alert_survives_a_restart_and_is_delivered_by_the_next_incarnation()
    {
        var broken = new CollectingSink { Failing = true };
        var forwarder = Start(Options(), broken);
        forwarder.Tell(new ForwardAlert(TestData.Alert("must-arrive")));
        ExpectMsg(new AlertAccepted("must-arrive"), TimeSpan.FromSeconds(10));
        AwaitCondition(() => Volatile.Read(ref broken.Attempts) >= 2, TimeSpan.FromSeconds(5));
        Assert.Empty(broken.Delivered);
        Restart(forwarder);

        // Acknowledged means journalled: the next incarnation has only the journal to go by.
        var healthy = new CollectingSink();
        var next = Start(Options(), healthy);
        AwaitAssert(() => Assert.Equal(["must-arrive"], healthy.Ids), TimeSpan.FromSeconds(10));
        var status = StatusOf(next);
        Assert.True(status.Recovered);
    }

    [Fact]
    public void Sink_outage_is_retried_until_delivery_succeeds()
    {
        var sink = new CollectingSink { Failing = true };
        var forwarder = Start(Options(), sink);
        forwarder.Tell(new ForwardAlert(TestData.Alert("later")));
        ExpectMsg(new AlertAccepted("later"), TimeSpan.FromSeconds(10));
        AwaitCondition(() => Volatile.Read(ref sink.Attempts) >= 2, TimeSpan.FromSeconds(5));
        // The failure reaches the forwarder's status a moment after the sink threw.
        AwaitAssert(() =>
        {
            var failing = StatusOf(forwarder);
            Assert.Equal("sink unavailable", failing.Sinks[0].LastError);
            Assert.Equal(1, failing.Sinks[0].Pending);
        }, TimeSpan.FromSeconds(10));
        sink.Failing = false;
        // On a busy machine the failures can reach the circuit breaker's threshold (5 calls) before the sink heals;
        // then delivery resumes after the break (30 s by default), so allow for one break.
        AwaitAssert(() => Assert.Equal(["later"], sink.Ids), TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void Delivered_alerts_are_dropped_at_snapshot_and_not_redelivered_after_restart()
    {
        var sink = new CollectingSink();
        var forwarder = Start(Options(snapshotEvery: 3), sink);
        for (int i = 1; i <= 5; i++)
        {
            forwarder.Tell(new ForwardAlert(TestData.Alert($"a{i}")));
            ExpectMsg(new AlertAccepted($"a{i}"), TimeSpan.FromSeconds(10));
        }
        AwaitAssert(() => Assert.Equal(5, sink.Delivered.Count), TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.Equal(0, StatusOf(forwarder).Sinks[0].Pending));
        Restart(forwarder);

        var next = Start(Options(snapshotEvery: 3), sink);
        // The same id again after restart is still recognised (ids survive in the snapshot and journal).
        next.Tell(new ForwardAlert(TestData.Alert("a2")));
        ExpectMsg(new AlertAccepted("a2"), TimeSpan.FromSeconds(10));
        var status = StatusOf(next);
        Assert.Equal(1, status.Duplicates);
        Assert.Equal(0, status.Outbox);
        Assert.Equal(["a1", "a2", "a3", "a4", "a5"], sink.Ids);
    }

    [Fact]
    public void Full_outbox_refuses_new_alerts_without_acknowledging_them()
    {
        var sink = new CollectingSink { Failing = true };
        var forwarder = Start(Options(maxOutbox: 1), sink);
        forwarder.Tell(new ForwardAlert(TestData.Alert("first")));
        ExpectMsg(new AlertAccepted("first"), TimeSpan.FromSeconds(10));
        forwarder.Tell(new ForwardAlert(TestData.Alert("second")));
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        var status = StatusOf(forwarder);
        Assert.Equal(1, status.Refused);
        Assert.Equal(1, status.Outbox);
    }
}
