using Akka.Actor;
using Akka.Persistence;
using FlowActors.Cluster.Actors;
using FlowActors.Cluster.Messages;
using FlowActors.Siem.Outbox;
using FlowActors.Siem.Sinks;
using Xunit.Abstractions;

namespace FlowActors.Cluster.Tests;

/// <summary>The forwarder actor with several sinks: a failing one is isolated and heals; the pull API; older journals.</summary>
public sealed class SiemForwarderIsolationTests(ITestOutputHelper output) : PersistentTestKit(output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static FlowActorsClusterOptions Options(int snapshotEvery = 500) => new()
    {
        ForwarderSnapshotEvery = snapshotEvery,
        SinkRetryInterval = TimeSpan.FromMilliseconds(50),
    };

    private static readonly SinkRetryOptions FastRetry = new()
    {
        MaxRetryAttempts = 1,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        BreakAfterFailures = 1000,
        AttemptTimeout = TimeSpan.FromSeconds(10),
    };

    private static AlertSinkDefinition Define(IAlertSink sink, SinkPolicy? policy = null) =>
        new(sink.Name, policy ?? new SinkPolicy(), () => sink) { ReopenAfterFailure = false, Retry = FastRetry };

    private IActorRef Start(FlowActorsClusterOptions options, params AlertSinkDefinition[] sinks) =>
        Sys.ActorOf(SiemForwarderActor.GetProps(options, sinks));

    private static ForwarderStatus StatusOf(IActorRef forwarder) =>
        forwarder.Ask<ForwarderStatus>(GetForwarderStatus.Instance, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();

    private static PulledAlerts Pull(IActorRef forwarder, long? after, int limit) =>
        forwarder.Ask<PulledAlerts>(new PullAlerts(after, limit), Wait).GetAwaiter().GetResult();

    private static SinkStatus Sink(IActorRef forwarder, string name) => StatusOf(forwarder).Sinks.Single(s => s.Name == name);

    private void Send(IActorRef forwarder, Alert alert)
    {
        forwarder.Tell(new ForwardAlert(alert));
        ExpectMsg(new AlertAccepted(alert.Id, alert.Count), Wait);
    }

    private void Stop(IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor, Wait);
    }

    [Fact]
    public void Sink_that_cannot_be_created_is_isolated_retried_and_heals_without_holding_back_the_other()
    {
        bool creatable = false;
        var late = new CollectingSink("late");
        var healthy = new CollectingSink("healthy");
        var broken = new AlertSinkDefinition("late", new SinkPolicy(), () => creatable ? late : throw new UnauthorizedAccessException("Access to the path '/data/alerts.jsonl' is denied."))
        {
            Retry = FastRetry,
        };
        var forwarder = Start(Options(), broken, Define(healthy));
        Send(forwarder, TestData.Alert("a1"));
        Send(forwarder, TestData.Alert("a2"));

        AwaitAssert(() => Assert.Equal(["a1", "a2"], healthy.Ids), Wait);
        AwaitAssert(() =>
        {
            var s = Sink(forwarder, "late");
            Assert.True(s.Failures >= 2);
            Assert.Equal("degraded", s.Health);
            Assert.Contains("denied", s.LastError);
            Assert.Equal(2, s.Pending);
        }, Wait);
        Assert.Equal("healthy", Sink(forwarder, "healthy").Health);

        creatable = true;
        AwaitAssert(() => Assert.Equal(["a1", "a2"], late.Ids), Wait);
        AwaitAssert(() => Assert.Equal("healthy", Sink(forwarder, "late").Health), Wait);
        Assert.Equal(["a1", "a2"], healthy.Ids);
    }

    [Fact]
    public void Sink_that_fails_on_delivery_keeps_its_alerts_across_a_restart_while_the_other_gets_them_at_once()
    {
        var flaky = new CollectingSink("flaky") { Failing = true };
        var healthy = new CollectingSink("healthy");
        var forwarder = Start(Options(snapshotEvery: 3), Define(flaky), Define(healthy));
        for (int i = 1; i <= 5; i++) Send(forwarder, TestData.Alert($"a{i}"));
        AwaitAssert(() => Assert.Equal(5, healthy.Delivered.Count), Wait);
        AwaitCondition(() => Volatile.Read(ref flaky.Attempts) >= 2, Wait);
        Stop(forwarder);

        var next = Start(Options(snapshotEvery: 3), Define(flaky), Define(healthy));
        AwaitAssert(() => Assert.Equal(5, Sink(next, "flaky").Pending), Wait);
        flaky.Failing = false;
        AwaitAssert(() => Assert.Equal(["a1", "a2", "a3", "a4", "a5"], flaky.Ids.Order()), Wait);
        Assert.Equal(5, healthy.Delivered.Count); // nothing redelivered to the sink that had them
    }

    [Fact]
    public void Lower_count_of_an_accepted_alert_is_acknowledged_but_not_delivered_and_counted()
    {
        var sink = new CollectingSink("s");
        var forwarder = Start(Options(), Define(sink));
        Send(forwarder, TestData.Alert("x") with { Count = 2 });
        Send(forwarder, TestData.Alert("x") with { Count = 1 });
        AwaitAssert(() => Assert.Equal([2], sink.Delivered.Select(a => a.Count)), Wait);
        var status = StatusOf(forwarder);
        Assert.Equal(1, status.Stale);
        Assert.Equal(1, status.Accepted);
    }

    [Fact]
    public void Pull_answer_fits_one_remoting_frame_and_the_next_page_continues_where_it_ended()
    {
        var forwarder = Start(Options(), Define(new CollectingSink("s")));
        var wordy = string.Concat(Enumerable.Repeat("evidence ", 60)); // about 540 B of summary per alert
        for (int i = 1; i <= 400; i++) Send(forwarder, TestData.Alert($"a{i}") with { Summary = wordy });

        var serializer = Sys.Serialization;
        var seen = new List<string>();
        long cursor = 0;
        int pages = 0;
        while (seen.Count < 400 && pages++ < 50)
        {
            var page = Pull(forwarder, cursor, 1000);
            Assert.NotEmpty(page.Alerts);
            byte[] bytes = serializer.FindSerializerFor(page).ToBinary(page);
            Assert.True(bytes.Length < 128_000, $"a pull answer of {bytes.Length} B would exceed Akka.Remote's default frame of 128,000 B");
            seen.AddRange(page.Alerts.Select(a => a.Alert.Id));
            Assert.Equal(page.Alerts[^1].Cursor, page.Next);
            cursor = page.Next;
        }

        Assert.True(pages > 1, "400 alerts of about 1 KB must not fit one page");
        Assert.Equal(Enumerable.Range(1, 400).Select(i => $"a{i}"), seen);

        var recent = Pull(forwarder, null, 1000);
        Assert.True(serializer.FindSerializerFor(recent).ToBinary(recent).Length < 128_000);
        Assert.Equal("a400", recent.Alerts[^1].Alert.Id); // the newest are the ones kept
    }

    [Fact]
    public void Pull_resumes_from_a_cursor_across_a_restart_and_sees_each_alert_once()
    {
        var sink = new CollectingSink("s");
        var forwarder = Start(Options(snapshotEvery: 2), Define(sink));
        for (int i = 1; i <= 3; i++) Send(forwarder, TestData.Alert($"a{i}"));
        var first = Pull(forwarder, 0, 2);
        Assert.Equal(["a1", "a2"], first.Alerts.Select(a => a.Alert.Id));
        AwaitAssert(() => Assert.Equal(3, sink.Delivered.Count), Wait);
        Stop(forwarder);

        var next = Start(Options(snapshotEvery: 2), Define(sink));
        Send(next, TestData.Alert("a4"));
        var rest = Pull(next, first.Next, 100);
        Assert.Equal(["a3", "a4"], rest.Alerts.Select(a => a.Alert.Id));
        Assert.False(rest.Truncated);
        var recent = Pull(next, null, 2);
        Assert.Equal(["a3", "a4"], recent.Alerts.Select(a => a.Alert.Id));
        AwaitAssert(() => Assert.Equal(["a1", "a2", "a3", "a4"], sink.Ids), Wait);
    }

    [Fact]
    public void Journal_and_snapshot_written_by_the_first_forwarder_still_recover()
    {
        // The first forwarder snapshotted only what some sink lacked, with ids as "id#count", then journalled on.
        var writer = Sys.ActorOf(Props.Create(() => new FirstForwarderJournal()));
        writer.Tell("write");
        ExpectMsg("written", Wait);
        Stop(writer);

        var jsonl = new CollectingSink("jsonl");
        var console = new CollectingSink("console");
        var forwarder = Start(Options(), Define(jsonl), Define(console));
        AwaitAssert(() =>
        {
            Assert.Equal(["old-2", "old-3"], jsonl.Ids);
            Assert.Equal(["old-3"], console.Ids);
        }, Wait);
        forwarder.Tell(new ForwardAlert(TestData.Alert("old-1")));
        ExpectMsg(new AlertAccepted("old-1"), Wait);
        var status = StatusOf(forwarder);
        Assert.True(status.Recovered);
        Assert.Equal(1, status.Duplicates);
        Assert.Equal(0, status.Accepted);
    }

    /// <summary>Writes, under the forwarder's persistence id, what the first forwarder version left behind.</summary>
    private sealed class FirstForwarderJournal : ReceivePersistentActor
    {
        private IActorRef? _asker;

        /// <summary>An alert with plain lists, as one read back from the journal (the journal's reply is serialized in tests).</summary>
        private static Alert Old(string id) => TestData.Alert(id) with { Peers = new List<string> { "10.0.0.9" }, Ports = new List<int> { 22 } };

        public FirstForwarderJournal()
        {
            Command<string>(cmd =>
            {
                _asker = Sender;
                if (cmd == "write")
                {
                    PersistAll(new object[]
                    {
                        new AlertJournaled(Old("old-1")),
                        new AlertJournaled(Old("old-2")),
                        new SinkProgress("jsonl", 1),
                        new SinkProgress("console", 2),
                        new SinkProgress("console", 2),
                    }, e =>
                    {
                        if (LastSequenceNr != 5) return;
                        SaveSnapshot(new ForwarderSnapshot(
                            new[] { new OutboxEntry(2, Old("old-2")) },
                            new[] { new SinkProgress("jsonl", 1), new SinkProgress("console", 2) },
                            new[] { "old-1#1", "old-2#1" }));
                    });
                }
            });
            Command<SaveSnapshotSuccess>(_ => Persist(new AlertJournaled(Old("old-3")), _ => _asker!.Tell("written")));
            Command<SaveSnapshotFailure>(f => _asker!.Tell("failed: " + f.Cause.Message));
        }

        public override string PersistenceId => SiemForwarderActor.ForwarderPersistenceId;
    }
}
