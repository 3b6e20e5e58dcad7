using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Actors;

/// <summary>
/// One monitored host (a <c>host</c> shard entity, persistence id <c>host-&lt;ip&gt;</c>): applies observation
/// batches to its <see cref="HostBehavior"/>, sends each alert to the SIEM forwarder and resends it until the
/// forwarder acknowledges it. Its state is a snapshot, saved periodically, on passivation and on hand-off,
/// and restored wherever the entity next starts.
/// </summary>
public sealed class HostBehaviorActor : ReceivePersistentActor, IWithTimers
{
    private readonly FlowAddress _host;
    private readonly FlowActorsClusterOptions _options;
    private readonly Func<IActorRef> _forwarder;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<Alert> _newAlerts = new();
    // Unacknowledged alerts in the order raised; bounded by MaxUnacknowledgedAlertsPerHost.
    private readonly LinkedList<Alert> _unacked = new();
    private readonly Dictionary<string, LinkedListNode<Alert>> _unackedById = new(StringComparer.Ordinal);
    private HostBehavior _behavior;
    private bool _dirty;
    private bool _sawBatchSinceTick;
    private bool _restored;
    private bool _stopping;
    private int _snapshotBytes;
    private long _flowsObserved;
    private long _batches;
    private long _alertsRaised;
    private long _alertsDropped;

    /// <summary>Creates the actor for <paramref name="entityId"/> (the host's IP text).</summary>
    public HostBehaviorActor(string entityId, FlowActorsClusterOptions options, Func<IActorRef> forwarder)
    {
        _host = FlowAddress.Parse(entityId);
        _options = options;
        _forwarder = forwarder;
        _behavior = new HostBehavior(_host, options.Detection, options.ThreatIntel);
        PersistenceId = "host-" + entityId;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is HostSnapshot snap)
            {
                _behavior = HostBehavior.Restore(snap.Behavior, _host, _options.Detection, _options.ThreatIntel);
                _flowsObserved = snap.FlowsObserved;
                foreach (var a in snap.Unacknowledged) Track(a);
                _snapshotBytes = snap.Behavior.Length;
                _restored = true;
            }
        });
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<ObserveBatch>(Observe);
        Command<AlertAccepted>(a =>
        {
            // An ack for an older version does not cover an update folded in since (higher count).
            if (_unackedById.TryGetValue(a.AlertId, out var node) && node.Value.Count <= a.Count)
            {
                _unackedById.Remove(a.AlertId);
                _unacked.Remove(node);
                _dirty = true;
            }
        });
        Command<GetHostState>(_ => Sender.Tell(Report()));
        Command<RetryAlerts>(_ => ResendUnacked());
        Command<SnapshotTick>(_ => { if (_dirty) Snapshot(); });
        Command<IdleTick>(_ => AdvanceIdle());
        Command<StopHost>(_ =>
        {
            _stopping = true;
            if (_dirty) Snapshot();
            else Context.Stop(Self);
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            // Only the newest snapshot is needed; older ones go.
            if (s.Metadata.SequenceNr > 0) DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
            if (_stopping) Context.Stop(Self);
        });
        Command<SaveSnapshotFailure>(f =>
        {
            _dirty = true;
            _log.Warning(f.Cause, "Snapshot of host {0} failed", _host);
            if (_stopping) Context.Stop(Self);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Debug("Deleting old snapshots of host {0} failed: {1}", _host, f.Cause.Message));
    }

    /// <summary>Props for the entity <paramref name="entityId"/>; <paramref name="forwarder"/> resolves the forwarder proxy lazily.</summary>
    public static Props GetProps(string entityId, FlowActorsClusterOptions options, Func<IActorRef> forwarder) =>
        Props.Create(() => new HostBehaviorActor(entityId, options, forwarder));

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private void OnRecovered()
    {
        Timers.StartPeriodicTimer("snapshot", SnapshotTick.Instance, _options.SnapshotInterval);
        Timers.StartPeriodicTimer("idle", IdleTick.Instance, _options.IdleAdvanceInterval);
        Timers.StartPeriodicTimer("retry", RetryAlerts.Instance, _options.AlertRetryInterval);
        ResendUnacked();
    }

    private void Observe(ObserveBatch batch)
    {
        _batches++;
        _sawBatchSinceTick = true;
        _newAlerts.Clear();
        _behavior.Observe(batch.Observations, _newAlerts);
        _flowsObserved += batch.Observations.Length;
        _dirty = true;
        Publish();
    }

    private void AdvanceIdle()
    {
        if (_sawBatchSinceTick || _behavior.EventTimeMs == long.MinValue)
        {
            _sawBatchSinceTick = false;
            return;
        }
        // Event time stands still while the host is silent, so the wall-clock tick moves it on and windows close.
        // Live traffic: event time follows the clock. Traffic far behind the clock (a replayed capture, a backlog
        // that has ended): jump one window plus the allowed lateness, so its last window closes at once.
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long horizon = (long)(_options.Detection.Window + _options.Detection.AllowedLateness).TotalMilliseconds;
        long target = Math.Min(now, _behavior.EventTimeMs + horizon);
        if (target <= _behavior.EventTimeMs) return;
        _newAlerts.Clear();
        _behavior.AdvanceTo(target, _newAlerts);
        _dirty = true;
        Publish();
    }

    private void Publish()
    {
        if (_newAlerts.Count == 0) return;
        var forwarder = _forwarder();
        foreach (var alert in _newAlerts)
        {
            _alertsRaised++;
            Track(alert);
            forwarder.Tell(new ForwardAlert(alert), Self);
        }
        _newAlerts.Clear();
    }

    private void Track(Alert alert)
    {
        if (_unackedById.TryGetValue(alert.Id, out var existing))
        {
            existing.Value = alert; // a newer version of the same alert (suppression folded an update in)
            return;
        }
        if (_unacked.Count >= _options.MaxUnacknowledgedAlertsPerHost)
        {
            var oldest = _unacked.First!;
            _unacked.RemoveFirst();
            _unackedById.Remove(oldest.Value.Id);
            _alertsDropped++;
            _log.Warning("Host {0}: {1} alerts unacknowledged; dropped the oldest ({2})", _host, _options.MaxUnacknowledgedAlertsPerHost, oldest.Value.Id);
        }
        _unackedById[alert.Id] = _unacked.AddLast(alert);
    }

    private void ResendUnacked()
    {
        if (_unacked.Count == 0) return;
        var forwarder = _forwarder();
        foreach (var alert in _unacked) forwarder.Tell(new ForwardAlert(alert), Self);
    }

    private void Snapshot()
    {
        var bytes = new byte[_behavior.SnapshotSize];
        int n = _behavior.WriteSnapshot(bytes);
        if (n != bytes.Length) Array.Resize(ref bytes, n);
        _snapshotBytes = n;
        _dirty = false;
        SaveSnapshot(new HostSnapshot(_host, _flowsObserved, bytes, [.. _unacked]));
    }

    private HostStateReport Report() => new(
        _host,
        ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString(),
        _flowsObserved,
        _behavior.BaselineWindows,
        _behavior.EventTimeMs == long.MinValue ? 0 : _behavior.EventTimeMs,
        _batches,
        _alertsRaised,
        _unacked.Count,
        _alertsDropped,
        _restored,
        _snapshotBytes);

    private sealed class SnapshotTick : INoSerializationVerificationNeeded
    {
        public static readonly SnapshotTick Instance = new();
    }

    private sealed class IdleTick : INoSerializationVerificationNeeded
    {
        public static readonly IdleTick Instance = new();
    }

    private sealed class RetryAlerts : INoSerializationVerificationNeeded
    {
        public static readonly RetryAlerts Instance = new();
    }
}
