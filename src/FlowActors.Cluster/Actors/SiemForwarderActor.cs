using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using FlowActors.Cluster.Messages;
using FlowActors.Siem.Outbox;
using FlowActors.Siem.Sinks;

namespace FlowActors.Cluster.Actors;

/// <summary>
/// The SIEM forwarder (a cluster singleton, persistence id <c>siem-forwarder</c>): a persistent outbox. Each accepted
/// alert is journalled before it is acknowledged; what to deliver where and when is decided by an
/// <see cref="AlertOutbox"/>, and each sink's deliveries run through its own <see cref="SinkDeliveryPipeline"/>
/// (timeout, retry, circuit breaker). Per-sink progress is journalled after each delivery; every
/// <see cref="FlowActorsClusterOptions.ForwarderSnapshotEvery"/> events a snapshot holds what the pull window and the
/// sinks' backlogs still need, and the journal before it is deleted. After a crash or hand-over the next instance
/// recovers and delivers what was pending.
/// </summary>
public sealed class SiemForwarderActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>The persistence id (one forwarder per cluster).</summary>
    public const string ForwarderPersistenceId = "siem-forwarder";

    private const string WakeTimer = "wake";

    private readonly FlowActorsClusterOptions _options;
    private readonly IReadOnlyList<AlertSinkDefinition> _definitions;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, SinkDeliveryPipeline> _pipelines = new(StringComparer.Ordinal);
    private readonly AlertOutbox _outbox;
    private readonly ForwarderGauges _gauges;
    private int _eventsSinceSnapshot;
    private bool _recovered;
    private long _refusalsLogged;

    /// <summary>Creates the forwarder for <paramref name="sinks"/>; each sink is created when first delivered to.</summary>
    public SiemForwarderActor(FlowActorsClusterOptions options, IReadOnlyList<AlertSinkDefinition> sinks, TimeProvider? time = null)
    {
        _options = options;
        _definitions = sinks;
        _time = time ?? TimeProvider.System;
        _outbox = new AlertOutbox(
            sinks.Select(s => new KeyValuePair<string, SinkPolicy>(s.Name, s.Policy)),
            new AlertOutboxOptions
            {
                PullWindow = options.ForwarderPullWindow,
                MaxUndelivered = options.ForwarderMaxOutbox,
                RetryBaseDelay = options.SinkRetryInterval,
                RetryMaxDelay = TimeSpan.FromSeconds(30),
            },
            _time);
        _gauges = new ForwarderGauges([.. _outbox.Sinks]);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not ForwarderSnapshot snap) return;
            _recovered = true;
            foreach (var id in snap.RecentIds)
            {
                if (AlertOutbox.TryParseVersion(id, out var alertId, out int count)) _outbox.RememberVersion(alertId, count);
            }
            foreach (var e in snap.Outbox) _outbox.Append(e.SequenceNr, e.Alert, e.TraceParent);
            foreach (var p in snap.Progress) _outbox.RestoreCursor(p.Sink, p.DeliveredThrough);
        });
        Recover<AlertJournaled>(e =>
        {
            _recovered = true;
            _outbox.Append(LastSequenceNr, e.Alert, e.TraceParent);
            _eventsSinceSnapshot++;
        });
        Recover<SinkProgress>(e =>
        {
            _recovered = true;
            _outbox.RestoreCursor(e.Sink, e.DeliveredThrough);
            _eventsSinceSnapshot++;
        });
        Recover<RecoveryCompleted>(_ =>
        {
            _outbox.CompleteRecovery();
            if (_outbox.Undelivered > 0) _log.Info("SIEM forwarder recovered {0} alerts not yet delivered to every sink", _outbox.Undelivered);
            Pump();
        });

        Command<ForwardAlert>(Accept);
        Command<DeliveryDone>(Done);
        Command<Wake>(_ => Pump());
        Command<GetForwarderStatus>(_ => Sender.Tell(Status()));
        Command<PullAlerts>(q => Sender.Tell(Pull(q)));
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            if (s.Metadata.SequenceNr > 1) DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "SIEM forwarder snapshot failed; the journal is kept"));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning(f.Cause, "SIEM forwarder could not delete journalled events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Debug("Deleting old forwarder snapshots failed: {0}", f.Cause.Message));
    }

    /// <summary>Props for the forwarder with configured sink definitions.</summary>
    public static Props GetProps(FlowActorsClusterOptions options, IReadOnlyList<AlertSinkDefinition> sinks, TimeProvider? time = null) =>
        Props.Create(() => new SiemForwarderActor(options, sinks, time));

    /// <summary>Props for the forwarder over ready sink instances, each with the default policy.</summary>
    public static Props GetProps(FlowActorsClusterOptions options, Func<IReadOnlyList<IAlertSink>> sinkFactory)
    {
        ArgumentNullException.ThrowIfNull(sinkFactory);
        var sinks = sinkFactory();
        var definitions = sinks.Select(s => new AlertSinkDefinition(s.Name, new SinkPolicy(), () => s) { ReopenAfterFailure = false }).ToArray();
        return GetProps(options, definitions);
    }

    /// <summary>
    /// The forwarder singleton under a backoff supervisor: a failed journal write stops the persistent actor, and the
    /// supervisor starts it again (recovering from the journal) after 1 s, doubling up to 30 s, instead of leaving the
    /// cluster without a forwarder.
    /// </summary>
    public static Props GetSupervisedProps(FlowActorsClusterOptions options, IReadOnlyList<AlertSinkDefinition> sinks, TimeProvider? time = null) =>
        BackoffSupervisor.Props(Backoff.OnStop(GetProps(options, sinks, time), "forwarder", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, -1)
            .WithDefaultStoppingStrategy());

    /// <summary>
    /// The sinks configured by <paramref name="options"/>: the JSON-lines file and console sinks when enabled, the
    /// further instances, then <see cref="FlowActorsClusterOptions.Sinks"/>.
    /// </summary>
    public static IReadOnlyList<AlertSinkDefinition> SinkDefinitions(FlowActorsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sinks = new List<AlertSinkDefinition>();
        if (options.EffectiveAlertsJsonLinesPath is { } path) sinks.Add(new AlertSinkDefinition("jsonl", new SinkPolicy(), () => new JsonLinesFileSink(path)));
        if (options.ConsoleSink) sinks.Add(new AlertSinkDefinition("console", new SinkPolicy(), () => new ConsoleSink()));
        foreach (var f in options.AdditionalSinks)
        {
            var sink = f();
            sinks.Add(new AlertSinkDefinition(sink.Name, new SinkPolicy(), () => sink) { ReopenAfterFailure = false });
        }

        sinks.AddRange(options.Sinks);
        return sinks;
    }

    /// <inheritdoc />
    public override string PersistenceId => ForwarderPersistenceId;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        foreach (var d in _definitions)
        {
            _pipelines[d.Name] = new SinkDeliveryPipeline(d.Name, d.Create, d.Retry, _time, d.ReopenAfterFailure);
        }

        ClusterMetrics.Attach(_gauges);
        base.PreStart();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        ClusterMetrics.Detach(_gauges);
        foreach (var p in _pipelines.Values)
        {
            try
            {
                p.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            }
            catch (Exception e)
            {
                _log.Warning(e, "Closing sink {0} failed", p.Name);
            }
        }

        base.PostStop();
    }

    private void Accept(ForwardAlert msg)
    {
        var alert = msg.Alert;
        switch (_outbox.Offer(alert))
        {
            case OfferResult.Duplicate:
                ClusterMetrics.ForwarderDuplicates.Add(1);
                Sender.Tell(new AlertAccepted(alert.Id, alert.Count));
                return;
            case OfferResult.Stale:
                ClusterMetrics.ForwarderStale.Add(1);
                // A newer version of this id is journalled already: acknowledge, so the sender stops resending it.
                if (_outbox.Stale % 1000 == 1) _log.Warning("SIEM forwarder refused alert {0} with count {1}: a higher count was accepted already ({2} stale so far)", alert.Id, alert.Count, _outbox.Stale);
                Sender.Tell(new AlertAccepted(alert.Id, alert.Count));
                return;
            case OfferResult.Full:
                ClusterMetrics.ForwarderRefused.Add(1);
                // Not acknowledged: the host actor keeps it and retries once sinks have caught up.
                if (_refusalsLogged++ % 1000 == 0) _log.Warning("SIEM forwarder outbox full ({0} alerts undelivered); refusing new alerts until sinks catch up ({1} refused)", _outbox.Undelivered, _outbox.Refused);
                return;
        }

        var sender = Sender;
        // The accept span ends when the event is journalled; its traceparent is journalled with the alert, so
        // deliveries (also after a restart or hand-over) are its children.
        var activity = ClusterTracing.StartChild(ClusterTracing.AlertAccepted, ActivityKind.Consumer, msg.TraceParent);
        activity?.SetTag("flowactors.alert.id", alert.Id);
        activity?.SetTag("flowactors.alert.count", alert.Count);
        Persist(new AlertJournaled(alert, ClusterTracing.TraceParentOf(activity) ?? msg.TraceParent), e =>
        {
            _outbox.Append(LastSequenceNr, e.Alert, e.TraceParent);
            ClusterMetrics.ForwarderAccepted.Add(1);
            activity?.SetTag("flowactors.journal.sequence_nr", LastSequenceNr);
            activity?.Stop();
            sender.Tell(new AlertAccepted(e.Alert.Id, e.Alert.Count));
            AfterEvent();
            Pump();
        });
        // Persist runs its handler later, on another message: this span must not stay Current for the next message.
        if (activity is not null) Activity.Current = null;
    }

    /// <summary>Starts a delivery on every idle sink with a batch due, then sets the wake-up for the next one due.</summary>
    private void Pump()
    {
        if (IsRecovering) return;
        foreach (var name in _outbox.Sinks)
        {
            if (_outbox.TryTakeBatch(name, out var batch)) Deliver(_pipelines[name], batch!).PipeTo(Self);
        }

        if (_outbox.NextWakeUp() is { } delay) Timers.StartSingleTimer(WakeTimer, Wake.Instance, delay + TimeSpan.FromMilliseconds(1));
        else Timers.Cancel(WakeTimer);
        PublishGauges();
    }

    /// <summary>Writes the backlog the observable gauges report (every change passes through <see cref="Pump"/>).</summary>
    private void PublishGauges()
    {
        _gauges.Outbox = _outbox.Undelivered;
        for (int i = 0; i < _gauges.Sinks.Count; i++) _gauges.SetPending(i, _outbox.Backlog(_gauges.Sinks[i]));
    }

    /// <summary>
    /// Runs one delivery; a sink that throws (synchronously or not, also when created) becomes a failed
    /// <see cref="DeliveryDone"/>. Each traced alert of the batch gets a delivery span, a child of its accept span.
    /// </summary>
    private static async Task<DeliveryDone> Deliver(SinkDeliveryPipeline pipeline, DeliveryBatch batch)
    {
        var spans = StartDeliverySpans(batch);
        try
        {
            await pipeline.DeliverAsync(batch.Alerts, CancellationToken.None).ConfigureAwait(false);
            EndDeliverySpans(spans, null);
            return new DeliveryDone(batch, null, null);
        }
        catch (Exception e)
        {
            string error = e.GetBaseException().Message;
            EndDeliverySpans(spans, error);
            return new DeliveryDone(batch, error, SinkDeliveryPipeline.RetryAfter(e));
        }
    }

    private static List<Activity>? StartDeliverySpans(DeliveryBatch batch)
    {
        if (!ClusterTracing.Source.HasListeners()) return null;
        List<Activity>? spans = null;
        foreach (var entry in batch.Journaled)
        {
            var activity = ClusterTracing.StartChild(ClusterTracing.AlertDelivered, ActivityKind.Producer, entry.TraceParent);
            if (activity is null) continue;
            activity.SetTag("flowactors.alert.id", entry.Alert.Id);
            activity.SetTag("flowactors.sink", batch.Sink);
            activity.SetTag("flowactors.delivery.attempt", batch.Attempt);
            activity.SetTag("flowactors.delivery.batch_size", batch.Alerts.Count);
            (spans ??= []).Add(activity);
        }

        // Started one after another, each became Current; the sink's own work is not any one alert's child.
        Activity.Current = null;
        return spans;
    }

    private static void EndDeliverySpans(List<Activity>? spans, string? error)
    {
        if (spans is null) return;
        foreach (var activity in spans)
        {
            if (error is null) activity.SetStatus(ActivityStatusCode.Ok);
            else activity.SetStatus(ActivityStatusCode.Error, error);
            activity.Stop();
        }
    }

    private void Done(DeliveryDone d)
    {
        var batch = d.Batch;
        if (d.Error is null)
        {
            long through = _outbox.Delivered(batch);
            if (batch.Attempt > 1) _log.Info("Sink {0} delivered again after {1} attempts", batch.Sink, batch.Attempt);
            Persist(new SinkProgress(batch.Sink, through), _ =>
            {
                AfterEvent();
                Pump();
            });
            return;
        }

        var delay = _outbox.Failed(batch, d.Error, d.RetryAfter);
        // One line per failed attempt would flood the log during a long outage: the first few, then every 100th.
        if (batch.Attempt <= 3 || batch.Attempt % 100 == 0)
            _log.Warning("Delivery of {0} alerts to sink {1} failed (attempt {2}: {3}); retrying in {4:0.0} s", batch.Alerts.Count, batch.Sink, batch.Attempt, d.Error, delay.TotalSeconds);
        Pump();
    }

    private void AfterEvent()
    {
        if (++_eventsSinceSnapshot < _options.ForwarderSnapshotEvery) return;
        _eventsSinceSnapshot = 0;
        var retained = _outbox.Retained();
        var entries = new OutboxEntry[retained.Count];
        for (int i = 0; i < entries.Length; i++) entries[i] = new OutboxEntry(retained[i].SequenceNr, retained[i].Alert, retained[i].TraceParent);
        var progress = _outbox.Cursors().Select(c => new SinkProgress(c.Key, c.Value)).ToArray();
        SaveSnapshot(new ForwarderSnapshot(entries, progress, _outbox.Versions()));
    }

    /// <summary>
    /// Most bytes of alerts (measured as their JSON, which is larger than their wire form) in one pull answer. The asker
    /// is often on another node, and an answer above Akka.Remote's frame limit (128 KB by default) is dropped there, so
    /// the page ends early instead; <see cref="PulledAlerts.Next"/> lets the caller continue.
    /// </summary>
    internal const int PullReplyBudgetBytes = 96 * 1024;

    private PulledAlerts Pull(PullAlerts q)
    {
        int limit = Math.Clamp(q.Limit, 1, 10_000);
        var result = q.After is { } after ? _outbox.Pull(after, limit) : _outbox.Recent(limit);
        var page = result.Alerts;
        long next = result.Next;
        int kept = page.Count, bytes = 0;
        if (q.After is not null)
        {
            // Oldest first: keep the oldest that fit, and continue after the last kept.
            for (int i = 0; i < page.Count; i++)
            {
                bytes += page[i].Alert.ToJsonLine().Length;
                if (bytes > PullReplyBudgetBytes && i > 0) { kept = i; break; }
            }

            if (kept < page.Count) next = page[kept - 1].SequenceNr;
            page = page.Take(kept).ToArray();
        }
        else
        {
            // The most recent: keep the newest that fit.
            for (int i = page.Count - 1; i >= 0; i--)
            {
                bytes += page[i].Alert.ToJsonLine().Length;
                if (bytes > PullReplyBudgetBytes && i < page.Count - 1) { kept = page.Count - 1 - i; break; }
            }

            page = page.Skip(page.Count - kept).ToArray();
        }

        var alerts = page.Select(a => new PulledAlert(a.SequenceNr, a.Alert)).ToArray();
        return new PulledAlerts(alerts, next, result.Oldest, result.Truncated, _options.ForwarderPullWindow);
    }

    private ForwarderStatus Status()
    {
        var sinks = new List<SinkStatus>();
        foreach (var lane in _outbox.Status())
        {
            var pipeline = _pipelines[lane.Name];
            string circuit = pipeline.Circuit;
            sinks.Add(new SinkStatus(lane.Name, lane.DeliveredThrough, lane.Backlog, lane.Delivered, lane.Failed, lane.LastError)
            {
                Retried = pipeline.Retried,
                Dropped = lane.Dropped,
                RateLimited = lane.RateLimited,
                Filtered = lane.Filtered,
                SuppressedUpdates = lane.SuppressedUpdates,
                Circuit = circuit,
                Health = circuit == "closed" ? lane.Health : "degraded",
                LatencyP50Ms = lane.LatencyP50Ms,
                LatencyP99Ms = lane.LatencyP99Ms,
                NextAttemptUnixMs = lane.NextAttemptAt?.ToUnixTimeMilliseconds() ?? 0,
            });
        }

        return new ForwarderStatus(((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString(), LastSequenceNr, _outbox.Undelivered,
            _outbox.Accepted, _outbox.Duplicates, _outbox.Refused, _recovered, sinks)
        {
            Stale = _outbox.Stale,
            PullOldest = _outbox.Recent(1).Oldest,
        };
    }

    private sealed record DeliveryDone(DeliveryBatch Batch, string? Error, TimeSpan? RetryAfter) : INoSerializationVerificationNeeded;

    private sealed class Wake : INoSerializationVerificationNeeded
    {
        public static readonly Wake Instance = new();
    }
}
