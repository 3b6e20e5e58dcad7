using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FlowActors.Cluster.Messages;
using FlowActors.Siem.Sinks;

namespace FlowActors.Cluster.Actors;

/// <summary>
/// The SIEM forwarder (a cluster singleton, persistence id <c>siem-forwarder</c>): a persistent outbox.
/// Each accepted alert is journalled before it is acknowledged, then delivered to every sink at least once;
/// per-sink progress is journalled too. A snapshot holds what some sink still lacks, and the journal before it
/// is deleted. After a crash or hand-over the next instance recovers and delivers what was pending.
/// </summary>
public sealed class SiemForwarderActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>The persistence id (one forwarder per cluster).</summary>
    public const string ForwarderPersistenceId = "siem-forwarder";

    private const int MaxDeliveryBatch = 256;
    private const int RecentIdCapacity = 20_000;

    private readonly FlowActorsClusterOptions _options;
    private readonly Func<IReadOnlyList<IAlertSink>> _sinkFactory;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<OutboxEntry> _outbox = new();
    private readonly Dictionary<string, long> _progress = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();
    private readonly HashSet<string> _recentIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SinkState> _sinks = new(StringComparer.Ordinal);
    private int _eventsSinceSnapshot;
    private long _accepted;
    private long _duplicates;
    private long _refused;
    private bool _recovered;

    /// <summary>Creates the forwarder; <paramref name="sinkFactory"/> opens the sinks when the actor starts.</summary>
    public SiemForwarderActor(FlowActorsClusterOptions options, Func<IReadOnlyList<IAlertSink>> sinkFactory)
    {
        _options = options;
        _sinkFactory = sinkFactory;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not ForwarderSnapshot snap) return;
            _recovered = true;
            _outbox.Clear();
            _outbox.AddRange(snap.Outbox);
            foreach (var p in snap.Progress) _progress[p.Sink] = p.DeliveredThrough;
            foreach (var id in snap.RecentIds) Remember(id);
        });
        Recover<AlertJournaled>(e =>
        {
            _recovered = true;
            _outbox.Add(new OutboxEntry(LastSequenceNr, e.Alert));
            Remember(VersionKey(e.Alert));
            _eventsSinceSnapshot++;
        });
        Recover<SinkProgress>(e =>
        {
            _recovered = true;
            _progress[e.Sink] = Math.Max(e.DeliveredThrough, _progress.GetValueOrDefault(e.Sink));
            _eventsSinceSnapshot++;
        });
        Recover<RecoveryCompleted>(_ =>
        {
            Prune();
            if (_outbox.Count > 0) _log.Info("SIEM forwarder recovered {0} undelivered alerts", _outbox.Count);
            foreach (var sink in _sinks.Values) TryDeliver(sink);
        });

        Command<ForwardAlert>(Accept);
        Command<SinkDelivered>(Delivered);
        Command<SinkFailed>(Failed);
        Command<RetrySink>(r => { if (_sinks.TryGetValue(r.Sink, out var s)) { s.RetryScheduled = false; TryDeliver(s); } });
        Command<GetForwarderStatus>(_ => Sender.Tell(Status()));
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

    /// <summary>Props for the forwarder.</summary>
    public static Props GetProps(FlowActorsClusterOptions options, Func<IReadOnlyList<IAlertSink>> sinkFactory) =>
        Props.Create(() => new SiemForwarderActor(options, sinkFactory));

    /// <summary>The sinks configured by <paramref name="options"/>: JSON lines, console, then any additional ones.</summary>
    public static IReadOnlyList<IAlertSink> CreateSinks(FlowActorsClusterOptions options)
    {
        var sinks = new List<IAlertSink>();
        if (options.EffectiveAlertsJsonLinesPath is { } path) sinks.Add(new JsonLinesFileSink(path));
        if (options.ConsoleSink) sinks.Add(new ConsoleSink());
        foreach (var f in options.AdditionalSinks) sinks.Add(f());
        return sinks;
    }

    /// <inheritdoc />
    public override string PersistenceId => ForwarderPersistenceId;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        foreach (var sink in _sinkFactory())
        {
            if (!_sinks.TryAdd(sink.Name, new SinkState(sink)))
                throw new InvalidOperationException($"Two alert sinks are named '{sink.Name}'; sink names must be distinct.");
        }
        base.PreStart();
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        foreach (var s in _sinks.Values)
        {
            try
            {
                s.Sink.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            }
            catch (Exception e)
            {
                _log.Warning(e, "Closing sink {0} failed", s.Sink.Name);
            }
        }
        base.PostStop();
    }

    private void Accept(ForwardAlert msg)
    {
        var alert = msg.Alert;
        if (_recentIds.Contains(VersionKey(alert)))
        {
            _duplicates++;
            Sender.Tell(new AlertAccepted(alert.Id, alert.Count));
            return;
        }
        if (_outbox.Count >= _options.ForwarderMaxOutbox)
        {
            // Not acknowledged: the host actor keeps it and retries once sinks have caught up.
            _refused++;
            if (_refused % 1000 == 1) _log.Warning("SIEM forwarder outbox full ({0} alerts); refusing new alerts until sinks catch up ({1} refused)", _outbox.Count, _refused);
            return;
        }
        var sender = Sender;
        Persist(new AlertJournaled(alert), e =>
        {
            _accepted++;
            _outbox.Add(new OutboxEntry(LastSequenceNr, e.Alert));
            Remember(VersionKey(e.Alert));
            sender.Tell(new AlertAccepted(e.Alert.Id, e.Alert.Count));
            AfterEvent();
            foreach (var s in _sinks.Values) TryDeliver(s);
        });
    }

    private void TryDeliver(SinkState state)
    {
        if (state.InFlight || state.RetryScheduled || IsRecovering) return;
        long through = _progress.GetValueOrDefault(state.Sink.Name);
        int start = FirstAfter(through);
        if (start >= _outbox.Count) return;
        int count = Math.Min(MaxDeliveryBatch, _outbox.Count - start);
        var alerts = new Alert[count];
        for (int i = 0; i < count; i++) alerts[i] = _outbox[start + i].Alert;
        long last = _outbox[start + count - 1].SequenceNr;
        state.InFlight = true;
        Deliver(state.Sink, alerts, last).PipeTo(Self);
    }

    /// <summary>Runs one delivery; a sink that throws (synchronously or not) becomes a <see cref="SinkFailed"/>.</summary>
    private static async Task<object> Deliver(IAlertSink sink, Alert[] alerts, long last)
    {
        try
        {
            await sink.DeliverAsync(alerts, CancellationToken.None).ConfigureAwait(false);
            return new SinkDelivered(sink.Name, last, alerts.Length);
        }
        catch (Exception e)
        {
            return new SinkFailed(sink.Name, e.GetBaseException().Message);
        }
    }

    private void Delivered(SinkDelivered d)
    {
        if (!_sinks.TryGetValue(d.Sink, out var state)) return;
        state.Delivered += d.Count;
        state.Backoff = TimeSpan.Zero;
        Persist(new SinkProgress(d.Sink, d.Through), e =>
        {
            _progress[e.Sink] = Math.Max(e.DeliveredThrough, _progress.GetValueOrDefault(e.Sink));
            state.InFlight = false;
            Prune();
            AfterEvent();
            TryDeliver(state);
        });
    }

    private void Failed(SinkFailed f)
    {
        if (!_sinks.TryGetValue(f.Sink, out var state)) return;
        state.InFlight = false;
        state.Failures++;
        state.LastError = f.Error;
        state.Backoff = state.Backoff == TimeSpan.Zero ? _options.SinkRetryInterval
            : TimeSpan.FromTicks(Math.Min(state.Backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        _log.Warning("Delivery to sink {0} failed ({1}); retrying in {2}", f.Sink, f.Error, state.Backoff);
        state.RetryScheduled = true;
        Timers.StartSingleTimer("retry-" + f.Sink, new RetrySink(f.Sink), state.Backoff);
    }

    private int FirstAfter(long sequenceNr)
    {
        int lo = 0, hi = _outbox.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_outbox[mid].SequenceNr <= sequenceNr) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Drops outbox entries every configured sink has.</summary>
    private void Prune()
    {
        if (_sinks.Count == 0 || _outbox.Count == 0) return;
        long min = long.MaxValue;
        foreach (var name in _sinks.Keys) min = Math.Min(min, _progress.GetValueOrDefault(name));
        int n = FirstAfter(min);
        if (n > 0) _outbox.RemoveRange(0, n);
    }

    private void AfterEvent()
    {
        if (++_eventsSinceSnapshot < _options.ForwarderSnapshotEvery) return;
        _eventsSinceSnapshot = 0;
        var progress = new List<SinkProgress>(_progress.Count);
        foreach (var (sink, seq) in _progress) progress.Add(new SinkProgress(sink, seq));
        SaveSnapshot(new ForwarderSnapshot([.. _outbox], progress, [.. _recentOrder]));
    }

    /// <summary>
    /// Dedup key: the id plus the suppression count. A retry of the same version is a duplicate; an update that
    /// folded more findings into the alert (higher count) is delivered again under the same id.
    /// </summary>
    private static string VersionKey(Alert alert) => string.Create(CultureInfo.InvariantCulture, $"{alert.Id}#{alert.Count}");

    private void Remember(string id)
    {
        if (!_recentIds.Add(id)) return;
        _recentOrder.Enqueue(id);
        if (_recentOrder.Count > RecentIdCapacity) _recentIds.Remove(_recentOrder.Dequeue());
    }

    private ForwarderStatus Status()
    {
        var sinks = new List<SinkStatus>(_sinks.Count);
        foreach (var (name, s) in _sinks)
        {
            long through = _progress.GetValueOrDefault(name);
            sinks.Add(new SinkStatus(name, through, _outbox.Count - FirstAfter(through), s.Delivered, s.Failures, s.LastError));
        }
        return new ForwarderStatus(((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString(), LastSequenceNr, _outbox.Count, _accepted, _duplicates, _refused, _recovered, sinks);
    }

    private sealed class SinkState(IAlertSink sink)
    {
        public IAlertSink Sink { get; } = sink;
        public bool InFlight { get; set; }
        public bool RetryScheduled { get; set; }
        public TimeSpan Backoff { get; set; }
        public long Delivered { get; set; }
        public long Failures { get; set; }
        public string? LastError { get; set; }
    }

    private sealed record SinkDelivered(string Sink, long Through, int Count) : INoSerializationVerificationNeeded;

    private sealed record SinkFailed(string Sink, string Error) : INoSerializationVerificationNeeded;

    private sealed record RetrySink(string Sink) : INoSerializationVerificationNeeded;
}
