using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Event;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Persistence;
using FlowActors.Cluster.Serialization;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Actors;

/// <summary>
/// One shard of the <c>host</c> entity type (entity id = shard id): owns that shard's monitored hosts as
/// <see cref="HostUnit"/>s, splits each <see cref="ShardObservations"/> batch to them in order, sends their alerts to
/// the SIEM forwarder and resends them until acknowledged, and persists their states in batches through the
/// <see cref="HostStateStore"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Activation costs no query: a never-seen host starts empty. When the shard starts, one query loads every host
/// written within the passivation timeout (they were active, so they come back at once, open windows included) and
/// one more lists the keys of the others, which are loaded in batches of many hosts per query when their traffic or a
/// <see cref="GetHostState"/> returns (their observations wait, in order, meanwhile).</item>
/// <item>Dirty hosts are written every <see cref="FlowActorsClusterOptions.SnapshotInterval"/> in one transaction
/// (the crash-loss bound), within the node's write-rate ceiling; unchanged hosts are never rewritten. Hand-off and
/// shutdown (<see cref="StopHost"/>) write every dirty host at once, then stop.</item>
/// <item>No per-host timers or messages: one idle tick per shard advances event time of hosts without traffic (so
/// their windows close) and passivates hosts idle for the passivation timeout (state written, memory freed); one
/// retry tick resends the alerts not yet acknowledged.</item>
/// </list>
/// </remarks>
public sealed class HostShardActor : UntypedActor, IWithTimers, IWithUnboundedStash
{
    // Observations kept for one host while its stored state loads; beyond this they are dropped and counted.
    internal const int MaxObservationsWaitingForLoad = 8192;

    /// <summary>
    /// Observations a shard gathers at most before it applies them (see <see cref="FlowActorsClusterOptions.HostApplyDelay"/>):
    /// 8,192 of 88 bytes (720 KB), so a shard's stage stays near the size of a core's L2 cache while it is applied.
    /// </summary>
    public const int MaxStagedObservations = 8192;

    private const string ApplyTimer = "apply";

    private readonly int _shard;
    private readonly FlowActorsClusterOptions _options;
    private readonly Func<IActorRef> _forwarder;
    private readonly HostStateStore _store;
    private readonly HostPopulation _population;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _nodeAddress;
    private readonly HostTable _hosts = new();
    private readonly HashSet<FlowAddress> _stored = new();
    private readonly Dictionary<FlowAddress, WaitingHost> _loading = new();
    private readonly Queue<FlowAddress> _toLoad = new();
    private readonly Dictionary<FlowAddress, byte[]> _unwritten = new(); // passivated hosts whose final state is not yet committed
    private readonly List<HostUnit> _dirty = new();
    private readonly HashSet<HostUnit> _withUnacked = new();
    private readonly Dictionary<string, FlowAddress> _alertOwner = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _alertTrace = new(StringComparer.Ordinal); // traceparent of sampled unacknowledged alerts, for resends
    private readonly List<Alert> _newAlerts = new();
    private readonly List<FlowAddress> _scratch = new();
    private byte[] _snapshotScratch = new byte[4096]; // behaviour snapshots are written here, then into their row
    private readonly ByteArena _flushArena = new(); // the rows of the flush in flight (see ByteArena for why)
    private readonly List<HostStateRow> _flushRows = []; // reused like the arena: a new list per flush lived until the write ended, and was promoted
    // The stage: observations gathered since the last apply, in arrival order, with the slot of their host; grouped by
    // host when applied (see Stage and ApplyStage). Arrays grow with traffic up to MaxStagedObservations (or one batch).
    private FlowObservation[] _stage = [];
    private int[] _stageSlot = [];
    private int[] _stageOrder = [];
    private int _staged;
    private long _stageEpoch;
    private readonly List<HostUnit> _stagedHosts = [];
    // The in-flight budget of the gathered batches, released once they are applied: staged observations still count
    // against the receivers' MaxInFlightObservations. Consecutive batches of one budget share an entry (usually one).
    private readonly List<(InFlightBudget Budget, int Count)> _stagedInFlight = [];
    private int[] _slotCount = new int[64];
    private long _batchSeq;
    private bool _loaded;
    private bool _loadInFlight;
    private bool _flushInFlight;
    private bool _stopping;
    private int _stopFlushFailures;
    private long _droppedHostLimit, _droppedLoadBacklog;

    /// <summary>Creates the shard actor for shard <paramref name="entityId"/>.</summary>
    public HostShardActor(string entityId, FlowActorsClusterOptions options, Func<IActorRef> forwarder, HostStateStore store, HostPopulation population)
    {
        _shard = int.Parse(entityId, System.Globalization.CultureInfo.InvariantCulture);
        _options = options;
        _forwarder = forwarder;
        _store = store;
        _population = population;
        _nodeAddress = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
    }

    /// <summary>Props for shard <paramref name="entityId"/>; <paramref name="forwarder"/> resolves the forwarder proxy lazily.</summary>
    public static Props GetProps(string entityId, FlowActorsClusterOptions options, Func<IActorRef> forwarder, HostStateStore store, HostPopulation population) =>
        Props.Create(() => new HostShardActor(entityId, options, forwarder, store, population));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <summary>Hosts held in memory (tests and diagnostics).</summary>
    internal int ActiveHostCount => _hosts.Count;

    /// <inheritdoc />
    protected override void PreStart() => LoadShard();

    /// <inheritdoc />
    protected override void PostStop()
    {
        // A shard stopped with observations gathered (a crash of the actor, not a hand-off, which applies them first)
        // loses them as it would lose its mailbox, but must not keep the receivers' budget.
        if (_staged > 0) _log.Warning("Host shard {0} stopped with {1} observations not applied", _shard, _staged);
        foreach (var (budget, count) in _stagedInFlight) budget.Release(count);
        _stagedInFlight.Clear();
        foreach (var w in _loading.Values) w.Release();
        _population.Remove(_hosts.Count + _loading.Count + _unwritten.Count);
        if (_dirty.Count > 0 || _unwritten.Count > 0)
            _log.Warning("Host shard {0} stopped with {1} host states unwritten (the last write failed)", _shard, _dirty.Count + _unwritten.Count);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        if (!_loaded)
        {
            switch (message)
            {
                case ShardLoaded loaded: OnShardLoaded(loaded); return;
                case ShardLoadFailed failed:
                    _log.Warning(failed.Cause, "Host shard {0}: loading stored host states failed; retrying in 1 s", _shard);
                    Timers.StartSingleTimer("reload", RetryShardLoad.Instance, TimeSpan.FromSeconds(1));
                    return;
                case RetryShardLoad: LoadShard(); return;
                default: Stash.Stash(); return;
            }
        }

        // Everything but a batch sees the shard as if every batch had been applied on arrival.
        bool hadStage = _staged > 0;
        if (hadStage && message is not ShardObservations) ApplyStage();

        switch (message)
        {
            case ShardObservations batch: OnBatch(batch); break;
            case ApplyStageTick: if (!hadStage) Timers.Cancel(ApplyTimer); break; // a non-empty stage was applied above
            case ObserveBatch single: OnSingle(single); break;
            case GetHostState ask: OnGetHostState(ask); break;
            case AlertAccepted ack: OnAck(ack); break;
            case GetShardHosts top: Sender.Tell(Top(top)); break;
            case HostsLoaded loaded: OnHostsLoaded(loaded); break;
            case HostsLoadFailed failed: OnHostsLoadFailed(failed); break;
            case FlushTick: Flush(force: false); break;
            case FlushDone done: OnFlushDone(done); break;
            case FlushFailed failed: OnFlushFailed(failed); break;
            case IdleTick: OnIdleTick(); break;
            case RetryTick: ResendUnacked(); break;
            case RetryLoad: LoadNext(); break;
            case StopHost: OnStop(); break;
            default: Unhandled(message); break;
        }
    }

    private void LoadShard()
    {
        long since = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)_options.PassivationIdleTimeout.TotalMilliseconds;
        var store = _store;
        int shard = _shard;
        Task.Run(() => store.LoadShardAsync(shard, since)).PipeTo(Self,
            success: r => new ShardLoaded(r.Active, r.Known),
            failure: e => new ShardLoadFailed(e));
    }

    private void OnShardLoaded(ShardLoaded loaded)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        int restored = 0;
        foreach (var row in loaded.Active)
        {
            if (!_population.TryAdd())
            {
                _stored.Add(row.Host); // no room now; loaded when its traffic returns
                continue;
            }
            var unit = Restore(row.Host, row.State);
            unit.LastTrafficMs = now;
            _hosts.Set(row.Host, unit);
            restored++;
        }
        foreach (var host in loaded.Known) _stored.Add(host);
        ClusterMetrics.HostActivations.Add(restored, new KeyValuePair<string, object?>("from", "store"));
        ClusterMetrics.HostStateRowsLoaded.Add(loaded.Active.Count);
        _loaded = true;
        Timers.StartPeriodicTimer("flush", FlushTick.Instance, _options.SnapshotInterval);
        Timers.StartPeriodicTimer("idle", IdleTick.Instance, _options.IdleAdvanceInterval);
        Timers.StartPeriodicTimer("retry", RetryTick.Instance, _options.AlertRetryInterval);
        if (loaded.Active.Count > 0 || loaded.Known.Count > 0)
            _log.Debug("Host shard {0} started: {1} hosts restored, {2} more stored", _shard, restored, _stored.Count);
        ResendUnacked();
        Stash.UnstashAll();
    }

    private HostUnit Restore(FlowAddress host, ReadOnlyMemory<byte> state)
    {
        try
        {
            var snap = FlowActorsSerializer.DecodeHostState(state);
            var behavior = HostBehavior.Restore(snap.Behavior, host, _options.Detection, _options.ThreatIntel, _options.Prevalence);
            var unit = new HostUnit(host, behavior, _options.MaxUnacknowledgedAlertsPerHost)
            {
                FlowsObserved = snap.FlowsObserved,
                Restored = true,
                StateBytes = snap.Behavior.Length,
            };
            foreach (var a in snap.Unacknowledged) TrackAlert(unit, a);
            return unit;
        }
        catch (Exception e) when (e is System.Runtime.Serialization.SerializationException or InvalidDataException or ArgumentException)
        {
            // A corrupt row must not stop the shard: the host relearns its baseline.
            _log.Warning("Host {0}: stored state unreadable ({1}); starting empty", host, e.Message);
            return NewUnit(host);
        }
    }

    private HostUnit NewUnit(FlowAddress host) =>
        new(host, new HostBehavior(host, _options.Detection, _options.ThreatIntel, _options.Prevalence), _options.MaxUnacknowledgedAlertsPerHost);

    /// <summary>The host's unit if in memory; otherwise starts activating it (new: at once; stored: queued for a batched load).</summary>
    private HostUnit? Resolve(FlowAddress host, out WaitingHost? waiting)
    {
        waiting = null;
        if (_hosts.TryGetValue(host, out var unit)) return unit;
        if (_loading.TryGetValue(host, out waiting)) return null;
        if (_unwritten.Remove(host, out var pendingState))
        {
            // Passivated moments ago and not yet committed: its latest state is still here. Its population slot carries over.
            unit = Restore(host, pendingState);
            _hosts.Set(host, unit);
            MarkDirty(unit); // the final write was superseded; write it again later
            return unit;
        }
        if (!_population.TryAdd()) return null;
        if (_stored.Remove(host))
        {
            waiting = new WaitingHost();
            _loading[host] = waiting;
            _toLoad.Enqueue(host);
            LoadNext();
            return null;
        }
        unit = NewUnit(host);
        _hosts.Set(host, unit);
        ClusterMetrics.HostActivations.Add(1, new KeyValuePair<string, object?>("from", "new"));
        return unit;
    }

    private void OnBatch(ShardObservations batch)
    {
        var items = batch.Observations;
        int count = batch.Count;
        Stage(items.AsSpan(0, count));
        if (batch.DetachInFlight() is { } budget)
        {
            if (_stagedInFlight.Count > 0 && ReferenceEquals(_stagedInFlight[^1].Budget, budget))
                _stagedInFlight[^1] = (budget, _stagedInFlight[^1].Count + count);
            else _stagedInFlight.Add((budget, count));
        }
        // Applied now when there is no delay, the stage is full, or nothing was staged (only the budget to give back).
        if (_options.HostApplyDelay <= TimeSpan.Zero || _staged >= MaxStagedObservations || _staged == 0) ApplyStage();
        else if (!Timers.IsTimerActive(ApplyTimer))
        {
            // Periodic while batches keep coming (a tick allocates nothing); stopped by the first tick that finds the stage empty.
            Timers.StartPeriodicTimer(ApplyTimer, ApplyStageTick.Instance, _options.HostApplyDelay);
        }
        ObservationPool.Return(items);
        ClusterMetrics.HostBatches.Add(1);
        ClusterMetrics.HostBatchSize.Record(count);
    }

    /// <summary>
    /// Gathers a batch into the stage, noting each observation's host. Applying observations grouped by host rather than
    /// in arrival order is what makes the apply path's cost follow flows rather than hosts: with 50,000 hosts an
    /// observation in arrival order finds its host's state (about 20 cache lines) cold; grouped, only the first one of
    /// each host does.
    /// </summary>
    private void Stage(ReadOnlySpan<FlowObservation> items)
    {
        if (_staged + items.Length > MaxStagedObservations && _staged > 0) ApplyStage();
        EnsureStageCapacity(_staged + items.Length);
        HostUnit? unit = null;
        WaitingHost? waiting = null;
        FlowAddress current = default;
        bool haveCurrent = false;
        int slot = -1;
        for (int i = 0; i < items.Length; i++)
        {
            ref readonly var o = ref items[i];
            if (!haveCurrent || !o.Host.Equals(current))
            {
                current = o.Host;
                haveCurrent = true;
                waiting = null;
                // The host's entry holds its stage slot: a held host costs one table probe here, not its unit's lines.
                ref var entry = ref _hosts.Find(current);
                if (Unsafe.IsNullRef(ref entry))
                {
                    unit = Resolve(current, out waiting);
                    if (unit is not null) entry = ref _hosts.Find(current); // activated now: its entry exists
                }
                else
                {
                    unit = entry.Unit;
                }
                if (unit is not null)
                {
                    if (entry.StageEpoch != _stageEpoch)
                    {
                        entry.StageEpoch = _stageEpoch;
                        entry.StageSlot = _stagedHosts.Count;
                        if (_stagedHosts.Count == _slotCount.Length) Array.Resize(ref _slotCount, _slotCount.Length * 2);
                        _slotCount[_stagedHosts.Count] = 0;
                        _stagedHosts.Add(unit);
                    }
                    slot = entry.StageSlot;
                }
            }
            if (unit is not null)
            {
                _stage[_staged] = o;
                _stageSlot[_staged] = slot;
                _slotCount[slot]++;
                _staged++;
            }
            else if (waiting is not null)
            {
                if (!waiting.Add(in o)) _droppedLoadBacklog++;
            }
            else
            {
                _droppedHostLimit++;
            }
        }
    }

    private void EnsureStageCapacity(int needed)
    {
        if (_stage.Length >= needed) return;
        int size = Math.Max(256, _stage.Length);
        while (size < needed) size *= 2;
        size = Math.Max(needed, Math.Min(size, MaxStagedObservations));
        Array.Resize(ref _stage, size);
        Array.Resize(ref _stageSlot, size);
        _stageOrder = new int[size];
    }

    /// <summary>Applies the stage grouped by host, each host's observations in their arrival order.</summary>
    private void ApplyStage()
    {
        int n = _staged;
        int hosts = _stagedHosts.Count;
        _staged = 0;
        _stageEpoch++;
        // Counting sort by slot: _slotCount becomes each host's start in _stageOrder, then (after the pass) its end.
        int start = 0;
        for (int s = 0; s < hosts; s++)
        {
            int c = _slotCount[s];
            _slotCount[s] = start;
            start += c;
        }
        var stage = _stage;
        var order = _stageOrder;
        var slots = _stageSlot;
        for (int i = 0; i < n; i++) order[_slotCount[slots[i]]++] = i;

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long seq = ++_batchSeq;
        int from = 0;
        var staged = _stagedHosts;
        for (int s = 0; s < hosts; s++)
        {
            // Most hosts' state is cold here: ask for the next hosts' lines while this one is applied, each step
            // reading only what an earlier step asked for (unit, then its behaviour, then its windows and tables).
            if (s + 3 < hosts) CachePrefetch.Lines(staged[s + 3], 2);
            if (s + 2 < hosts) CachePrefetch.Lines(staged[s + 2].Behavior, HostBehavior.ObjectLines);
            if (s + 1 < hosts) staged[s + 1].Behavior.PrefetchState();
            int to = _slotCount[s];
            var unit = staged[s];
            Touch(unit, seq, now);
            var behavior = unit.Behavior;
            for (int k = from; k < to; k++) behavior.Observe(in stage[order[k]], _newAlerts);
            unit.FlowsObserved += to - from;
            Publish(unit);
            from = to;
        }
        _stagedHosts.Clear();
        ClusterMetrics.HostObservations.Add(n);
        foreach (var (budget, count) in _stagedInFlight) budget.Release(count);
        _stagedInFlight.Clear();
    }

    private void Touch(HostUnit unit, long seq, long now)
    {
        unit.LastBatchSeq = seq;
        unit.Batches++;
        unit.LastTrafficMs = now;
        unit.SawTrafficSinceTick = true;
        MarkDirty(unit);
    }

    private void OnSingle(ObserveBatch batch)
    {
        var unit = Resolve(batch.Host, out var waiting);
        if (unit is null)
        {
            foreach (ref readonly var o in batch.Observations.AsSpan())
            {
                if (waiting is null) _droppedHostLimit++;
                else if (!waiting.Add(in o)) _droppedLoadBacklog++;
            }
            return;
        }
        Apply(unit, batch.Observations.AsSpan());
        ClusterMetrics.HostBatches.Add(1);
        ClusterMetrics.HostBatchSize.Record(batch.Observations.Length);
    }

    private void Apply(HostUnit unit, ReadOnlySpan<FlowObservation> observations)
    {
        if (observations.Length == 0) return;
        Touch(unit, ++_batchSeq, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        unit.Behavior.Observe(observations, _newAlerts);
        unit.FlowsObserved += observations.Length;
        Publish(unit);
        ClusterMetrics.HostObservations.Add(observations.Length);
    }

    private void OnGetHostState(GetHostState ask)
    {
        var unit = Resolve(ask.Host, out var waiting);
        if (unit is not null) Sender.Tell(unit.Report(_nodeAddress));
        else if (waiting is not null) waiting.AddAsker(Sender);
        else Sender.Tell(new Status.Failure(new InvalidOperationException($"host {ask.Host} cannot be activated: this node holds {_options.MaxActiveHosts} hosts (FlowActors:MaxActiveHosts)")));
    }

    private void MarkDirty(HostUnit unit)
    {
        unit.Dirty = true;
        if (unit.InDirtyList) return;
        unit.InDirtyList = true;
        _dirty.Add(unit);
    }

    private void Publish(HostUnit unit)
    {
        if (_newAlerts.Count == 0) return;
        var forwarder = _forwarder();
        foreach (var alert in _newAlerts)
        {
            unit.AlertsRaised++;
            TrackAlert(unit, alert);
            forwarder.Tell(new ForwardAlert(alert, TraceRaised(alert)), Self);
        }
        _newAlerts.Clear();
        MarkDirty(unit);
    }

    /// <summary>The root span of the alert's trace (when sampled): the host window that raised it; its traceparent goes with the alert.</summary>
    private string? TraceRaised(Alert alert)
    {
        if (!ClusterTracing.Source.HasListeners()) return null;
        Activity.Current = null; // a root: nothing on this dispatcher thread is the alert's cause
        using var activity = ClusterTracing.Source.StartActivity(ClusterTracing.AlertRaised, ActivityKind.Producer, default(ActivityContext));
        if (activity is null) return null;
        activity.SetTag("flowactors.alert.id", alert.Id);
        activity.SetTag("flowactors.alert.detector", alert.Detector);
        activity.SetTag("flowactors.alert.count", alert.Count);
        activity.SetTag("flowactors.host", alert.Host);
        activity.SetTag("flowactors.shard", _shard);
        string? traceParent = ClusterTracing.TraceParentOf(activity);
        if (traceParent is not null) _alertTrace[alert.Id] = traceParent;
        return traceParent;
    }

    private void TrackAlert(HostUnit unit, Alert alert)
    {
        var dropped = unit.Track(alert);
        _alertOwner[alert.Id] = unit.Host;
        _withUnacked.Add(unit);
        if (dropped is not null)
        {
            _alertOwner.Remove(dropped.Id);
            _alertTrace.Remove(dropped.Id);
            _log.Warning("Host {0}: {1} alerts unacknowledged; dropped the oldest ({2})", unit.Host, _options.MaxUnacknowledgedAlertsPerHost, dropped.Id);
        }
    }

    private void OnAck(AlertAccepted ack)
    {
        if (!_alertOwner.TryGetValue(ack.AlertId, out var host) || !_hosts.TryGetValue(host, out var unit)) return;
        if (!unit.Acknowledge(ack.AlertId, ack.Count)) return;
        _alertOwner.Remove(ack.AlertId);
        _alertTrace.Remove(ack.AlertId);
        if (unit.UnacknowledgedCount == 0) _withUnacked.Remove(unit);
        MarkDirty(unit);
    }

    private void ResendUnacked()
    {
        if (_withUnacked.Count == 0) return;
        var forwarder = _forwarder();
        foreach (var unit in _withUnacked)
        {
            foreach (var alert in unit.Unacknowledged) forwarder.Tell(new ForwardAlert(alert, _alertTrace.GetValueOrDefault(alert.Id)), Self);
        }
    }

    private void LoadNext()
    {
        if (_loadInFlight || _toLoad.Count == 0) return;
        var hosts = new List<FlowAddress>(Math.Min(_toLoad.Count, _options.HostStateLoadBatch));
        while (hosts.Count < _options.HostStateLoadBatch && _toLoad.TryDequeue(out var h)) hosts.Add(h);
        _loadInFlight = true;
        var store = _store;
        int shard = _shard;
        Task.Run(() => store.LoadAsync(shard, hosts)).PipeTo(Self,
            success: rows => new HostsLoaded(hosts, rows),
            failure: e => new HostsLoadFailed(hosts, e));
    }

    private void OnHostsLoaded(HostsLoaded loaded)
    {
        _loadInFlight = false;
        var states = new Dictionary<FlowAddress, ReadOnlyMemory<byte>>(loaded.Rows.Count);
        foreach (var row in loaded.Rows) states[row.Host] = row.State;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var host in loaded.Hosts)
        {
            if (!_loading.Remove(host, out var waiting)) continue;
            // A host whose row retention deleted meanwhile starts empty.
            var unit = states.TryGetValue(host, out var state) ? Restore(host, state) : NewUnit(host);
            unit.LastTrafficMs = now;
            _hosts.Set(host, unit);
            if (waiting.Count > 0) Apply(unit, waiting.Observations);
            foreach (var asker in waiting.Askers) asker.Tell(unit.Report(_nodeAddress));
            waiting.Release();
        }
        ClusterMetrics.HostActivations.Add(loaded.Hosts.Count, new KeyValuePair<string, object?>("from", "store"));
        ClusterMetrics.HostStateRowsLoaded.Add(loaded.Rows.Count);
        LoadNext();
    }

    private void OnHostsLoadFailed(HostsLoadFailed failed)
    {
        _loadInFlight = false;
        _log.Warning(failed.Cause, "Host shard {0}: loading {1} stored hosts failed; retrying", _shard, failed.Hosts.Count);
        foreach (var h in failed.Hosts) _toLoad.Enqueue(h);
        Timers.StartSingleTimer("load-retry", RetryLoad.Instance, TimeSpan.FromSeconds(1));
    }

    private void Flush(bool force)
    {
        if (_flushInFlight) return;
        int wanted = _dirty.Count;
        int granted = wanted == 0 ? 0 : _store.TakeWriteBudget(wanted, force);
        if (granted == 0 && _unwritten.Count == 0)
        {
            if (_stopping && wanted == 0) Context.Stop(Self);
            return;
        }
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _flushArena.Reset(); // no flush in flight: nothing reads the last one's rows any more
        var rows = _flushRows;
        rows.Clear();
        rows.EnsureCapacity(granted + _unwritten.Count);
        foreach (var (host, state) in _unwritten) rows.Add(new HostStateRow(host, state, now));
        // Oldest dirty first: the list is in the order hosts became dirty.
        for (int i = 0; i < granted; i++)
        {
            var unit = _dirty[i];
            unit.InDirtyList = false;
            if (!unit.Dirty) continue;
            unit.Dirty = false;
            rows.Add(new HostStateRow(unit.Host, unit.EncodeState(ref _snapshotScratch, _flushArena), now));
        }
        _dirty.RemoveRange(0, granted);
        if (rows.Count == 0)
        {
            if (_stopping && _dirty.Count == 0) Context.Stop(Self);
            return;
        }
        _flushInFlight = true;
        var store = _store;
        int shard = _shard;
        Task.Run(() => store.UpsertAsync(shard, rows)).PipeTo(Self,
            success: () => new FlushDone(rows),
            failure: e => new FlushFailed(rows, e));
    }

    private void OnFlushDone(FlushDone done)
    {
        _flushInFlight = false;
        ClusterMetrics.HostStateRowsWritten.Add(done.Rows.Count);
        ClusterMetrics.HostStateFlushes.Add(1, new KeyValuePair<string, object?>("result", "ok"));
        int released = 0;
        foreach (var row in done.Rows)
        {
            if (_unwritten.TryGetValue(row.Host, out var state) && System.Runtime.InteropServices.MemoryMarshal.TryGetArray(row.State, out var written) && ReferenceEquals(state, written.Array))
            {
                _unwritten.Remove(row.Host);
                _stored.Add(row.Host);
                released++;
            }
        }
        _population.Remove(released);
        if (_stopping) Flush(force: true);
    }

    private void OnFlushFailed(FlushFailed failed)
    {
        _flushInFlight = false;
        ClusterMetrics.HostStateFlushes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
        // Still in memory: mark them dirty again so the next flush retries (passivated ones stay in _unwritten).
        foreach (var row in failed.Rows)
        {
            if (_hosts.TryGetValue(row.Host, out var unit)) MarkDirty(unit);
        }
        _log.Warning(failed.Cause, "Host shard {0}: writing {1} host states failed; they stay dirty and are retried", _shard, failed.Rows.Count);
        if (!_stopping) return;
        if (++_stopFlushFailures >= 3)
        {
            _log.Error("Host shard {0}: giving up writing {1} host states on stop after 3 failures", _shard, _dirty.Count + _unwritten.Count);
            Context.Stop(Self);
            return;
        }
        Flush(force: true);
    }

    private void OnIdleTick()
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long horizon = (long)(_options.Detection.Window + _options.Detection.AllowedLateness).TotalMilliseconds;
        long passivateBefore = now - (long)_options.PassivationIdleTimeout.TotalMilliseconds;
        _scratch.Clear();
        foreach (var unit in _hosts)
        {
            if (unit.SawTrafficSinceTick)
            {
                unit.SawTrafficSinceTick = false;
                continue;
            }
            var behavior = unit.Behavior;
            if (behavior.EventTimeMs != long.MinValue)
            {
                // Event time stands still while the host is silent, so the wall-clock tick moves it on and windows close.
                // Live traffic: event time follows the clock. Traffic far behind the clock (a replayed capture, a backlog
                // that has ended, a state restored after a restart): jump one window plus the allowed lateness, so its
                // last window closes at once.
                long target = Math.Min(now, behavior.EventTimeMs + horizon);
                // Only a closed window is worth a write: rewriting every silent host each tick would spend the write
                // budget (and the CPU) on hosts whose baselines did not change.
                if (target > behavior.EventTimeMs && behavior.AdvanceTo(target, _newAlerts))
                {
                    MarkDirty(unit);
                    Publish(unit);
                }
            }
            // Unacknowledged alerts keep a host in memory: only an active host resends them.
            if (unit.LastTrafficMs < passivateBefore && unit.UnacknowledgedCount == 0) _scratch.Add(unit.Host);
        }
        foreach (var host in _scratch) Passivate(host);
        if (_droppedHostLimit + _droppedLoadBacklog != 0)
        {
            ClusterMetrics.HostDroppedObservations.Add(_droppedHostLimit, new KeyValuePair<string, object?>("reason", "host_limit"));
            ClusterMetrics.HostDroppedObservations.Add(_droppedLoadBacklog, new KeyValuePair<string, object?>("reason", "load_backlog"));
            _log.Warning("Host shard {0}: dropped {1} observations of new hosts over the {2}-host limit (FlowActors:MaxActiveHosts) and {3} waiting for their state to load, since the last tick",
                _shard, _droppedHostLimit, _options.MaxActiveHosts, _droppedLoadBacklog);
            _droppedHostLimit = 0;
            _droppedLoadBacklog = 0;
        }
    }

    private void Passivate(FlowAddress host)
    {
        var unit = _hosts[host];
        _hosts.Remove(host);
        _withUnacked.Remove(unit);
        if (unit.Dirty)
        {
            // Kept (encoded, a few KB) until the next flush commits it; its population slot is released then.
            unit.Dirty = false;
            _unwritten[host] = unit.EncodeState(ref _snapshotScratch);
        }
        else
        {
            _stored.Add(host);
            _population.Remove(1);
        }
        if (unit.InDirtyList) _dirty.Remove(unit);
        unit.InDirtyList = false;
        ClusterMetrics.HostPassivations.Add(1);
    }

    private void OnStop()
    {
        _stopping = true;
        Flush(force: true);
    }

    private ShardHosts Top(GetShardHosts ask)
    {
        var top = _hosts.OrderByDescending(u => u.FlowsObserved).ThenBy(u => u.Host).Take(Math.Max(0, ask.Limit))
            .Select(u => u.Report(_nodeAddress)).ToArray();
        return new ShardHosts(_shard, _hosts.Count, top);
    }

    /// <summary>A stored host whose state is loading: its observations (in order) and the operators waiting for it.</summary>
    private sealed class WaitingHost
    {
        private FlowObservation[] _items = [];
        private List<IActorRef>? _askers;

        public int Count { get; private set; }

        public ReadOnlySpan<FlowObservation> Observations => _items.AsSpan(0, Count);

        public IReadOnlyList<IActorRef> Askers => (IReadOnlyList<IActorRef>?)_askers ?? [];

        public bool Add(in FlowObservation o)
        {
            if (Count == _items.Length)
            {
                if (Count >= MaxObservationsWaitingForLoad) return false;
                var bigger = ArrayPool<FlowObservation>.Shared.Rent(Math.Max(16, Count * 2));
                _items.AsSpan(0, Count).CopyTo(bigger);
                ObservationPool.Return(_items);
                _items = bigger;
            }
            _items[Count++] = o;
            return true;
        }

        public void AddAsker(IActorRef asker) => (_askers ??= new List<IActorRef>(1)).Add(asker);

        public void Release()
        {
            ObservationPool.Return(_items);
            _items = [];
            Count = 0;
        }
    }

    private sealed record ShardLoaded(List<HostStateRow> Active, List<FlowAddress> Known) : INoSerializationVerificationNeeded;

    private sealed record ShardLoadFailed(Exception Cause) : INoSerializationVerificationNeeded;

    private sealed record HostsLoaded(List<FlowAddress> Hosts, List<HostStateRow> Rows) : INoSerializationVerificationNeeded;

    private sealed record HostsLoadFailed(List<FlowAddress> Hosts, Exception Cause) : INoSerializationVerificationNeeded;

    private sealed record FlushDone(List<HostStateRow> Rows) : INoSerializationVerificationNeeded;

    private sealed record FlushFailed(List<HostStateRow> Rows, Exception Cause) : INoSerializationVerificationNeeded;

    private sealed class RetryShardLoad : INoSerializationVerificationNeeded
    {
        public static readonly RetryShardLoad Instance = new();
    }

    private sealed class RetryLoad : INoSerializationVerificationNeeded
    {
        public static readonly RetryLoad Instance = new();
    }

    private sealed class ApplyStageTick : INoSerializationVerificationNeeded
    {
        public static readonly ApplyStageTick Instance = new();
    }

    private sealed class FlushTick : INoSerializationVerificationNeeded
    {
        public static readonly FlushTick Instance = new();
    }

    private sealed class IdleTick : INoSerializationVerificationNeeded
    {
        public static readonly IdleTick Instance = new();
    }

    private sealed class RetryTick : INoSerializationVerificationNeeded
    {
        public static readonly RetryTick Instance = new();
    }
}
