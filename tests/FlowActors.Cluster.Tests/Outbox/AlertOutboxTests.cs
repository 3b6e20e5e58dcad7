using FlowActors.Siem.Outbox;
using Microsoft.Extensions.Time.Testing;

namespace FlowActors.Cluster.Tests.Outbox;

/// <summary>The outbox's decisions, one policy per test, each with a case that fires and a near miss that does not.</summary>
public sealed class AlertOutboxTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
    private long _seq;

    private AlertOutbox Outbox(params (string Name, SinkPolicy Policy)[] sinks) => Outbox(new AlertOutboxOptions(), sinks);

    private AlertOutbox Outbox(AlertOutboxOptions options, params (string Name, SinkPolicy Policy)[] sinks)
    {
        var outbox = new AlertOutbox(sinks.Select(s => new KeyValuePair<string, SinkPolicy>(s.Name, s.Policy)), options, _time, () => 0.5);
        outbox.CompleteRecovery();
        return outbox;
    }

    private static Alert A(string id, int count = 1, int severity = 6, int minute = 0) =>
        TestData.Alert(id) with { Count = count, Severity = severity, Time = TestData.T0.AddMinutes(minute) };

    /// <summary>Offers and (when accepted) appends, as the actor does after journalling.</summary>
    private OfferResult Add(AlertOutbox outbox, Alert alert)
    {
        var result = outbox.Offer(alert);
        if (result == OfferResult.Accept) outbox.Append(++_seq, alert);
        return result;
    }

    private static List<DeliveryBatch> DeliverAll(AlertOutbox outbox, string sink)
    {
        var batches = new List<DeliveryBatch>();
        while (outbox.TryTakeBatch(sink, out var batch))
        {
            batches.Add(batch!);
            outbox.Delivered(batch!);
        }

        return batches;
    }

    private static SinkLaneStatus Lane(AlertOutbox outbox, string sink) => outbox.Status().Single(s => s.Name == sink);

    [Fact]
    public void New_alert_is_accepted_and_an_exact_resend_is_a_duplicate()
    {
        var outbox = Outbox(("a", new SinkPolicy()));
        Assert.Equal(OfferResult.Accept, Add(outbox, A("x")));
        Assert.Equal(OfferResult.Duplicate, Add(outbox, A("x")));
        Assert.Equal(1, outbox.Duplicates);
        Assert.Equal(1, outbox.Accepted);
    }

    [Fact]
    public void Update_with_a_higher_count_is_accepted_but_a_lower_count_is_stale()
    {
        var outbox = Outbox(("a", new SinkPolicy()));
        Add(outbox, A("x", count: 2));
        Assert.Equal(OfferResult.Accept, Add(outbox, A("x", count: 3)));
        Assert.Equal(OfferResult.Stale, Add(outbox, A("x", count: 1)));
        Assert.Equal(OfferResult.Duplicate, Add(outbox, A("x", count: 3)));
        Assert.Equal(1, outbox.Stale);
        var sent = DeliverAll(outbox, "a").SelectMany(b => b.Alerts).Select(a => a.Count).ToArray();
        Assert.Equal([2, 3], sent);
    }

    [Fact]
    public void Outbox_refuses_unacknowledged_when_too_many_are_undelivered_and_accepts_again_after_delivery()
    {
        var outbox = Outbox(new AlertOutboxOptions { MaxUndelivered = 2 }, ("a", new SinkPolicy()));
        Assert.Equal(OfferResult.Accept, Add(outbox, A("1")));
        Assert.Equal(OfferResult.Accept, Add(outbox, A("2")));
        Assert.Equal(OfferResult.Full, Add(outbox, A("3")));
        Assert.Equal(1, outbox.Refused);
        DeliverAll(outbox, "a");
        Assert.Equal(0, outbox.Undelivered);
        Assert.Equal(OfferResult.Accept, Add(outbox, A("3")));
    }

    [Fact]
    public void Alert_below_the_sinks_minimum_severity_is_filtered_for_that_sink_only()
    {
        var outbox = Outbox(("siem", new SinkPolicy { MinSeverity = 6 }), ("file", new SinkPolicy()));
        Add(outbox, A("low", severity: 5));
        Add(outbox, A("edge", severity: 6));
        Assert.Equal(["edge"], DeliverAll(outbox, "siem").SelectMany(b => b.Alerts).Select(a => a.Id));
        Assert.Equal(["low", "edge"], DeliverAll(outbox, "file").SelectMany(b => b.Alerts).Select(a => a.Id));
        Assert.Equal(1, Lane(outbox, "siem").Filtered);
        Assert.Equal(2, Lane(outbox, "siem").DeliveredThrough);
    }

    [Fact]
    public void Batches_hold_at_most_BatchSize_alerts_in_journal_order()
    {
        var outbox = Outbox(("a", new SinkPolicy { BatchSize = 2 }));
        for (int i = 1; i <= 5; i++) Add(outbox, A($"a{i}"));
        var batches = DeliverAll(outbox, "a");
        Assert.Equal([2, 2, 1], batches.Select(b => b.Alerts.Count));
        Assert.Equal([2L, 4L, 5L], batches.Select(b => b.Through));
    }

    [Fact]
    public void Full_backlog_drops_the_oldest_for_that_sink_only_and_counts_it()
    {
        var outbox = Outbox(("dead", new SinkPolicy { MaxBacklog = 3 }), ("live", new SinkPolicy()));
        for (int i = 1; i <= 4; i++) Add(outbox, A($"a{i}"));
        var dead = Lane(outbox, "dead");
        Assert.Equal(1, dead.Dropped);
        Assert.Equal(3, dead.Backlog);
        Assert.Equal(1, dead.DeliveredThrough); // a1 is done for this sink (dropped), so its cursor passed it
        Assert.Equal(["a2", "a3", "a4"], DeliverAll(outbox, "dead").SelectMany(b => b.Alerts).Select(a => a.Id));
        Assert.Equal(["a1", "a2", "a3", "a4"], DeliverAll(outbox, "live").SelectMany(b => b.Alerts).Select(a => a.Id));
    }

    [Fact]
    public void Backlog_exactly_at_its_bound_drops_nothing()
    {
        var outbox = Outbox(("dead", new SinkPolicy { MaxBacklog = 3 }));
        for (int i = 1; i <= 3; i++) Add(outbox, A($"a{i}"));
        Assert.Equal(0, Lane(outbox, "dead").Dropped);
        Assert.Equal(3, Lane(outbox, "dead").Backlog);
    }

    [Fact]
    public void Updates_all_sends_every_version_under_the_same_id()
    {
        var outbox = Outbox(("a", new SinkPolicy()));
        Add(outbox, A("x", 1));
        Add(outbox, A("x", 2));
        Assert.Equal([("x", 1), ("x", 2)], DeliverAll(outbox, "a").SelectMany(b => b.Alerts).Select(a => (a.Id, a.Count)));
    }

    [Fact]
    public void Updates_first_sends_only_the_first_version_and_counts_the_suppressed_update()
    {
        var outbox = Outbox(("a", new SinkPolicy { Updates = new UpdatePolicy(UpdateMode.First, TimeSpan.Zero) }));
        Add(outbox, A("x", 1));
        Add(outbox, A("y", 1));
        Add(outbox, A("x", 2));
        Assert.Equal([("x", 1), ("y", 1)], DeliverAll(outbox, "a").SelectMany(b => b.Alerts).Select(a => (a.Id, a.Count)));
        Assert.Equal(1, Lane(outbox, "a").SuppressedUpdates);
    }

    [Fact]
    public void Updates_every_five_minutes_sends_an_update_five_minutes_of_alert_time_after_the_last_but_not_four()
    {
        Assert.True(UpdatePolicy.TryParse("every-5-minutes", out var policy));
        var outbox = Outbox(("a", new SinkPolicy { Updates = policy }));
        Add(outbox, A("x", 1, minute: 0));
        Add(outbox, A("x", 2, minute: 4));
        Add(outbox, A("x", 3, minute: 5));
        Assert.Equal([1, 3], DeliverAll(outbox, "a").SelectMany(b => b.Alerts).Select(a => a.Count));
        Assert.Equal(1, Lane(outbox, "a").SuppressedUpdates);
    }

    [Theory]
    [InlineData("all", UpdateMode.All, 0)]
    [InlineData("first", UpdateMode.First, 0)]
    [InlineData("every-15-minutes", UpdateMode.Every, 15)]
    [InlineData("every-1-minute", UpdateMode.Every, 1)]
    public void Updates_setting_parses(string text, UpdateMode mode, int minutes)
    {
        Assert.True(UpdatePolicy.TryParse(text, out var p));
        Assert.Equal(mode, p.Mode);
        Assert.Equal(TimeSpan.FromMinutes(minutes), p.Interval);
    }

    [Theory]
    [InlineData("every")]
    [InlineData("every-0-minutes")]
    [InlineData("every-5-hours")]
    [InlineData("some")]
    [InlineData("")]
    public void Bad_updates_setting_does_not_parse(string text) => Assert.False(UpdatePolicy.TryParse(text, out _));

    [Fact]
    public void Alerts_above_the_rate_limit_wait_and_are_counted()
    {
        var outbox = Outbox(("a", new SinkPolicy { RateLimitPerSecond = 2 }));
        for (int i = 1; i <= 3; i++) Add(outbox, A($"a{i}"));
        Assert.Equal(1, Lane(outbox, "a").RateLimited);
        Assert.Equal([2], DeliverAll(outbox, "a").Select(b => b.Alerts.Count));
        Assert.Equal(TimeSpan.FromMilliseconds(500), outbox.NextWakeUp());
        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(outbox.TryTakeBatch("a", out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["a3"], DeliverAll(outbox, "a").SelectMany(b => b.Alerts).Select(a => a.Id));
    }

    [Fact]
    public void Alerts_within_the_rate_limit_go_at_once()
    {
        var outbox = Outbox(("a", new SinkPolicy { RateLimitPerSecond = 2 }));
        Add(outbox, A("a1"));
        Add(outbox, A("a2"));
        Assert.Equal(0, Lane(outbox, "a").RateLimited);
        Assert.Equal([2], DeliverAll(outbox, "a").Select(b => b.Alerts.Count));
    }

    [Fact]
    public void Failing_sink_keeps_its_cursor_while_the_other_sink_delivers()
    {
        var outbox = Outbox(("dead", new SinkPolicy()), ("live", new SinkPolicy()));
        Add(outbox, A("a1"));
        Assert.True(outbox.TryTakeBatch("dead", out var failed));
        outbox.Failed(failed!, "connection refused");
        Add(outbox, A("a2"));
        Assert.Equal(["a1", "a2"], DeliverAll(outbox, "live").SelectMany(b => b.Alerts).Select(a => a.Id));
        Assert.Equal(2, Lane(outbox, "live").DeliveredThrough);
        var dead = Lane(outbox, "dead");
        Assert.Equal(0, dead.DeliveredThrough);
        Assert.Equal(2, dead.Backlog);
        Assert.Equal("degraded", dead.Health);
        Assert.Equal("healthy", Lane(outbox, "live").Health);
        Assert.Equal(2, outbox.Undelivered); // both still held by the dead sink
    }

    [Fact]
    public void Failed_batch_is_retried_as_is_after_an_exponential_delay()
    {
        var outbox = Outbox(new AlertOutboxOptions { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(3) }, ("a", new SinkPolicy()));
        Add(outbox, A("a1"));
        Assert.True(outbox.TryTakeBatch("a", out var batch));
        // Jitter 0.5 gives the middle of [0.8, 1.2): the plain doubling.
        Assert.Equal(TimeSpan.FromSeconds(1), outbox.Failed(batch!, "e1"));
        Add(outbox, A("a2"));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(outbox.TryTakeBatch("a", out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(outbox.TryTakeBatch("a", out var again));
        Assert.Same(batch, again);
        Assert.Equal(2, again!.Attempt);
        Assert.Equal(["a1"], again.Alerts.Select(a => a.Id));
        Assert.Equal(TimeSpan.FromSeconds(2), outbox.Failed(again, "e2"));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(outbox.TryTakeBatch("a", out again));
        Assert.Equal(TimeSpan.FromSeconds(3), outbox.Failed(again!, "e3")); // capped
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(outbox.TryTakeBatch("a", out again));
        Assert.Equal(1, outbox.Delivered(again!));
        Assert.Equal(["a2"], DeliverAll(outbox, "a").SelectMany(b => b.Alerts).Select(a => a.Id));
        Assert.Equal(3, Lane(outbox, "a").Failed);
        Assert.Equal(0, Lane(outbox, "a").ConsecutiveFailures);
    }

    [Fact]
    public void Retry_after_given_by_the_sink_replaces_the_backoff()
    {
        var outbox = Outbox(("a", new SinkPolicy()));
        Add(outbox, A("a1"));
        Assert.True(outbox.TryTakeBatch("a", out var batch));
        Assert.Equal(TimeSpan.FromSeconds(7), outbox.Failed(batch!, "503", TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(7), outbox.NextWakeUp());
    }

    [Fact]
    public void Jitter_spreads_the_delay_by_at_most_twenty_percent()
    {
        var low = new AlertOutbox([new("a", new SinkPolicy())], new AlertOutboxOptions(), _time, () => 0.0);
        var high = new AlertOutbox([new("a", new SinkPolicy())], new AlertOutboxOptions(), _time, () => 0.999999);
        Assert.Equal(TimeSpan.FromMilliseconds(3200), low.Backoff(3));
        Assert.InRange(high.Backoff(3).TotalMilliseconds, 4799, 4800);
    }

    [Fact]
    public void Sink_in_flight_gets_no_second_batch_until_the_first_is_done()
    {
        var outbox = Outbox(("a", new SinkPolicy { BatchSize = 1 }));
        Add(outbox, A("a1"));
        Add(outbox, A("a2"));
        Assert.True(outbox.TryTakeBatch("a", out var first));
        Assert.False(outbox.TryTakeBatch("a", out _));
        Assert.Null(outbox.NextWakeUp());
        outbox.Delivered(first!);
        Assert.True(outbox.TryTakeBatch("a", out _));
    }

    [Fact]
    public void Recovery_offers_each_sink_only_what_lies_past_its_cursor_and_remembers_versions()
    {
        var before = Outbox(("a", new SinkPolicy()), ("b", new SinkPolicy()));
        for (int i = 1; i <= 4; i++) Add(before, A($"a{i}"));
        DeliverAll(before, "a");
        Assert.True(before.TryTakeBatch("b", out var partial));
        before.Failed(partial!, "down");

        var after = new AlertOutbox([new("a", new SinkPolicy()), new("b", new SinkPolicy())], new AlertOutboxOptions(), _time, () => 0.5);
        foreach (var v in before.Versions())
        {
            Assert.True(AlertOutbox.TryParseVersion(v, out var id, out int count));
            after.RememberVersion(id, count);
        }
        foreach (var e in before.Retained()) after.Append(e.SequenceNr, e.Alert);
        foreach (var c in before.Cursors()) after.RestoreCursor(c.Key, c.Value);
        Assert.True(after.IsRecovering);
        after.CompleteRecovery();

        Assert.Empty(DeliverAll(after, "a"));
        Assert.Equal(["a1", "a2", "a3", "a4"], DeliverAll(after, "b").SelectMany(b => b.Alerts).Select(a => a.Id));
        Assert.Equal(OfferResult.Duplicate, after.Offer(A("a3")));
        Assert.Equal(0, after.Accepted);
    }

    [Fact]
    public void Recovered_sink_unknown_to_the_journal_gets_every_retained_alert()
    {
        var outbox = new AlertOutbox([new("new", new SinkPolicy())], new AlertOutboxOptions(), _time);
        outbox.Append(5, A("a5"));
        outbox.RestoreCursor("removed-sink", 5);
        outbox.CompleteRecovery();
        Assert.Equal(["a5"], DeliverAll(outbox, "new").SelectMany(b => b.Alerts).Select(a => a.Id));
    }

    [Fact]
    public void Pull_returns_alerts_after_the_cursor_and_a_cursor_to_resume_from()
    {
        var outbox = Outbox(("a", new SinkPolicy()));
        for (int i = 1; i <= 5; i++) Add(outbox, A($"a{i}"));
        var first = outbox.Pull(0, 2);
        Assert.Equal(["a1", "a2"], first.Alerts.Select(a => a.Alert.Id));
        Assert.Equal(2, first.Next);
        var second = outbox.Pull(first.Next, 10);
        Assert.Equal(["a3", "a4", "a5"], second.Alerts.Select(a => a.Alert.Id));
        var idle = outbox.Pull(second.Next, 10);
        Assert.Empty(idle.Alerts);
        Assert.Equal(5, idle.Next);
        Assert.False(idle.Truncated);
        Add(outbox, A("a6"));
        Assert.Equal(["a6"], outbox.Pull(idle.Next, 10).Alerts.Select(a => a.Alert.Id));
    }

    [Fact]
    public void Poller_behind_the_pull_window_gets_the_oldest_kept_alerts_and_truncated()
    {
        var outbox = Outbox(new AlertOutboxOptions { PullWindow = 3 }, ("a", new SinkPolicy()));
        for (int i = 1; i <= 5; i++) Add(outbox, A($"a{i}"));
        var behind = outbox.Pull(1, 10);
        Assert.True(behind.Truncated);
        Assert.Equal(3, behind.Oldest);
        Assert.Equal(["a3", "a4", "a5"], behind.Alerts.Select(a => a.Alert.Id));
        var justInside = outbox.Pull(2, 10);
        Assert.False(justInside.Truncated);
    }

    [Fact]
    public void Pull_window_keeps_delivered_alerts_and_recent_returns_the_last_ones()
    {
        var outbox = Outbox(("a", new SinkPolicy()));
        for (int i = 1; i <= 5; i++) Add(outbox, A($"a{i}"));
        DeliverAll(outbox, "a");
        Assert.Equal(0, outbox.Undelivered);
        Assert.Equal(["a4", "a5"], outbox.Recent(2).Alerts.Select(a => a.Alert.Id));
        Assert.Equal(5, outbox.Retained().Count);
    }

    [Fact]
    public void Latency_percentiles_are_measured_from_acceptance_to_delivery()
    {
        var outbox = Outbox(("a", new SinkPolicy { BatchSize = 1 }));
        for (int i = 1; i <= 100; i++)
        {
            Add(outbox, A($"a{i}"));
            _time.Advance(TimeSpan.FromMilliseconds(i));
            Assert.True(outbox.TryTakeBatch("a", out var b));
            outbox.Delivered(b!);
        }

        var lane = Lane(outbox, "a");
        Assert.Equal(50, lane.LatencyP50Ms);
        Assert.Equal(99, lane.LatencyP99Ms);
        Assert.Equal(100, lane.Delivered);
    }

    [Fact]
    public void Two_sinks_with_one_name_are_refused() =>
        Assert.Throws<ArgumentException>(() => new AlertOutbox([new("a", new SinkPolicy()), new("a", new SinkPolicy())]));

    [Theory]
    [InlineData(11, 100, 1, 0)]
    [InlineData(0, 0, 1, 0)]
    [InlineData(0, 100, 0, 0)]
    [InlineData(0, 100, 1, -1)]
    public void Bad_policy_values_name_their_key(int minSeverity, int batch, int backlog, double rate)
    {
        var problems = new SinkPolicy { MinSeverity = minSeverity, BatchSize = batch, MaxBacklog = backlog, RateLimitPerSecond = rate }.Validate("FlowActors:Forwarder:Sinks:2").ToList();
        Assert.Single(problems);
        Assert.StartsWith("FlowActors:Forwarder:Sinks:2:", problems[0]);
    }
}
