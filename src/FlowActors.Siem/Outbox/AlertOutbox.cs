using System.Globalization;

namespace FlowActors.Siem.Outbox;

/// <summary>
/// The forwarder's delivery decisions, without actors or I/O: which alert versions are new, which sink gets which
/// alert and when, how far each sink has got, and what the pull API sees. The forwarder actor journals what this
/// class accepts, runs the deliveries it hands out and reports their outcome back.
/// </summary>
/// <remarks>
/// Each sink has its own lane: a bounded backlog (oldest dropped and counted when full), its own cursor, its own
/// retry schedule and rate limit, so a slow or dead sink never holds back another. A lane's cursor is the largest
/// sequence number through which everything is done for that sink; it is what the actor journals, and after a
/// restart every retained alert past it is offered to the lane again (at least once).
/// Not thread-safe: one owner (the actor) calls it.
/// </remarks>
public sealed class AlertOutbox
{
    private readonly AlertOutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<double> _jitter;
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly BoundedMap<int> _versions;
    private readonly EntryRing _window;
    private SortedDictionary<long, JournaledAlert>? _recovering = new();
    private long _evictedThrough;
    private int _undelivered;

    /// <summary>Creates an outbox for <paramref name="sinks"/> (name and policy each), in recovery until <see cref="CompleteRecovery"/>.</summary>
    /// <param name="sinks">The configured sinks; names must be distinct.</param>
    /// <param name="options">Bounds; defaults when null.</param>
    /// <param name="time">Clock for rate limits, retry schedules and latency; the system clock when null.</param>
    /// <param name="jitter">Source of values in [0, 1) for retry jitter; <see cref="Random.Shared"/> when null.</param>
    public AlertOutbox(IEnumerable<KeyValuePair<string, SinkPolicy>> sinks, AlertOutboxOptions? options = null, TimeProvider? time = null, Func<double>? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _options = options ?? new AlertOutboxOptions();
        _time = time ?? TimeProvider.System;
        _jitter = jitter ?? Random.Shared.NextDouble;
        _versions = new BoundedMap<int>(_options.RecentIdCapacity);
        _window = new EntryRing(_options.PullWindow);
        foreach (var (name, policy) in sinks)
        {
            if (!_lanes.TryAdd(name, new Lane(name, policy, _options.UpdateMemory)))
                throw new ArgumentException($"Two alert sinks are named '{name}'; sink names must be distinct.", nameof(sinks));
        }
    }

    /// <summary>True until <see cref="CompleteRecovery"/>: appended alerts are collected, not yet offered to sinks.</summary>
    public bool IsRecovering => _recovering is not null;

    /// <summary>Sink names, in configuration order.</summary>
    public IEnumerable<string> Sinks => _lanes.Keys;

    /// <summary>Highest journal sequence number appended.</summary>
    public long LastSequenceNr { get; private set; }

    /// <summary>Alerts accepted (appended after recovery) by this incarnation.</summary>
    public long Accepted { get; private set; }

    /// <summary>Exact resends acknowledged as duplicates.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Versions refused because a higher count of the same id was accepted already.</summary>
    public long Stale { get; private set; }

    /// <summary>Alerts refused unacknowledged because too many were undelivered.</summary>
    public long Refused { get; private set; }

    /// <summary>Alerts at least one sink still has to deliver.</summary>
    public int Undelivered => _undelivered;

    /// <summary>Decides what to do with an offered alert. Counts duplicates, stale versions and refusals.</summary>
    public OfferResult Offer(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_versions.TryGet(alert.Id, out int known))
        {
            if (alert.Count == known)
            {
                Duplicates++;
                return OfferResult.Duplicate;
            }

            if (alert.Count < known)
            {
                Stale++;
                return OfferResult.Stale;
            }
        }

        if (_undelivered >= _options.MaxUndelivered)
        {
            Refused++;
            return OfferResult.Full;
        }

        return OfferResult.Accept;
    }

    /// <summary>
    /// Adds a journalled alert (live, or replayed during recovery). Sequence numbers must rise; a replayed number
    /// already known is ignored.
    /// </summary>
    /// <param name="sequenceNr">Its journal sequence number.</param>
    /// <param name="alert">The alert.</param>
    /// <param name="traceParent">W3C traceparent its deliveries are traced under; null when not traced.</param>
    public void Append(long sequenceNr, Alert alert, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        RememberVersion(alert.Id, alert.Count);
        var entry = new JournaledAlert(sequenceNr, alert, _time.GetUtcNow(), traceParent);
        if (_recovering is not null)
        {
            _recovering[sequenceNr] = entry;
            LastSequenceNr = Math.Max(LastSequenceNr, sequenceNr);
            return;
        }

        if (sequenceNr <= LastSequenceNr) return;
        LastSequenceNr = sequenceNr;
        Accepted++;
        AddToWindow(entry);
        foreach (var lane in _lanes.Values) Admit(lane, entry);
    }

    /// <summary>Recovery: an alert version accepted before (from an older snapshot's recent ids).</summary>
    public void RememberVersion(string id, int count)
    {
        if (!_versions.TryGet(id, out int known) || count > known) _versions.Set(id, count);
    }

    /// <summary>Recovery: <paramref name="sink"/> had everything through <paramref name="deliveredThrough"/>. Unknown sinks are ignored.</summary>
    public void RestoreCursor(string sink, long deliveredThrough)
    {
        if (_lanes.TryGetValue(sink, out var lane)) lane.LastSeen = Math.Max(lane.LastSeen, deliveredThrough);
    }

    /// <summary>Ends recovery: fills the pull window and offers every retained alert past each sink's cursor to that sink.</summary>
    public void CompleteRecovery()
    {
        if (_recovering is not { } entries) return;
        _recovering = null;
        int skip = Math.Max(0, entries.Count - _options.PullWindow);
        bool first = true;
        foreach (var entry in entries.Values)
        {
            if (first) _evictedThrough = entry.SequenceNr - 1;
            first = false;
            if (skip-- > 0) _evictedThrough = entry.SequenceNr;
            else _window.Add(entry);
        }

        foreach (var lane in _lanes.Values)
        {
            long cursor = lane.LastSeen;
            foreach (var entry in entries.Values)
            {
                if (entry.SequenceNr > cursor) Admit(lane, entry);
            }

            lane.LastSeen = Math.Max(lane.LastSeen, LastSequenceNr);
        }
    }

    /// <summary>
    /// The next batch for <paramref name="sink"/> when it is idle, not waiting after a failure, and has alerts due
    /// (rate limit); a failed batch is handed out again before newer alerts.
    /// </summary>
    public bool TryTakeBatch(string sink, out DeliveryBatch? batch)
    {
        batch = null;
        if (_recovering is not null || !_lanes.TryGetValue(sink, out var lane) || lane.Active) return false;
        var now = _time.GetUtcNow();
        if (now < lane.NotBefore) return false;
        if (lane.Held is null)
        {
            var entries = new List<JournaledAlert>(Math.Min(lane.Policy.BatchSize, lane.Queue.Count));
            while (entries.Count < lane.Policy.BatchSize && lane.Queue.Count > 0 && lane.Queue.Peek().ReleaseAt <= now)
            {
                entries.Add(lane.Queue.Dequeue().Entry);
            }

            if (entries.Count == 0) return false;
            lane.Held = new DeliveryBatch(sink, entries);
        }

        lane.Active = true;
        lane.Held.Attempt++;
        batch = lane.Held;
        return true;
    }

    /// <summary>Records a successful delivery; returns the sink's new cursor (to journal).</summary>
    public long Delivered(DeliveryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var lane = _lanes[batch.Sink];
        if (!ReferenceEquals(lane.Held, batch)) throw new InvalidOperationException($"Batch for sink '{batch.Sink}' is not the one in flight.");
        var now = _time.GetUtcNow();
        lane.Held = null;
        lane.Active = false;
        lane.ConsecutiveFailures = 0;
        lane.NotBefore = DateTimeOffset.MinValue;
        lane.LastDeliveredAt = now;
        lane.Delivered += batch.Entries.Count;
        var tag = OutboxMetrics.Tag(lane.Name);
        OutboxMetrics.Delivered.Add(batch.Entries.Count, tag);
        foreach (var entry in batch.Entries)
        {
            double ms = Math.Max(0, (now - entry.AcceptedAt).TotalMilliseconds);
            lane.RecordLatency(ms);
            OutboxMetrics.Latency.Record(ms / 1000, tag);
            Release(entry);
        }

        return lane.Cursor;
    }

    /// <summary>
    /// Records a failed delivery; the same batch is handed out again after the returned delay: exponential from
    /// <see cref="AlertOutboxOptions.RetryBaseDelay"/> with ±20 % jitter, capped, or <paramref name="retryAfter"/>
    /// when the sink asked for a delay (HTTP Retry-After) or its circuit is open.
    /// </summary>
    public TimeSpan Failed(DeliveryBatch batch, string error, TimeSpan? retryAfter = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var lane = _lanes[batch.Sink];
        if (!ReferenceEquals(lane.Held, batch)) throw new InvalidOperationException($"Batch for sink '{batch.Sink}' is not the one in flight.");
        lane.Active = false;
        lane.Failed++;
        lane.ConsecutiveFailures++;
        lane.LastError = error;
        OutboxMetrics.Failed.Add(1, OutboxMetrics.Tag(lane.Name));
        var delay = retryAfter ?? Backoff(lane.ConsecutiveFailures);
        if (delay > _options.RetryMaxDelay && retryAfter is null) delay = _options.RetryMaxDelay;
        lane.NotBefore = _time.GetUtcNow() + delay;
        return delay;
    }

    /// <summary>The delay before retry number <paramref name="failures"/>: base × 2^(failures−1), capped, times a jitter in [0.8, 1.2).</summary>
    internal TimeSpan Backoff(int failures)
    {
        double factor = Math.Pow(2, Math.Min(failures - 1, 30));
        double ms = Math.Min(_options.RetryBaseDelay.TotalMilliseconds * factor, _options.RetryMaxDelay.TotalMilliseconds);
        ms *= 0.8 + (0.4 * _jitter());
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.RetryMaxDelay.TotalMilliseconds));
    }

    /// <summary>How long until some idle sink has a batch due (after a failure delay or a rate limit); null when none waits.</summary>
    public TimeSpan? NextWakeUp()
    {
        if (_recovering is not null) return null;
        var now = _time.GetUtcNow();
        DateTimeOffset? earliest = null;
        foreach (var lane in _lanes.Values)
        {
            if (lane.Active) continue;
            DateTimeOffset? due = lane.Held is not null ? lane.NotBefore
                : lane.Queue.Count > 0 ? Max(lane.NotBefore, lane.Queue.Peek().ReleaseAt) : null;
            if (due is { } d && (earliest is null || d < earliest)) earliest = d;
        }

        if (earliest is not { } e) return null;
        return e <= now ? TimeSpan.Zero : e - now;
    }

    /// <summary>
    /// Alerts with a cursor above <paramref name="after"/>, oldest first, at most <paramref name="limit"/>, from the
    /// window of the last <see cref="AlertOutboxOptions.PullWindow"/> accepted alerts.
    /// </summary>
    public PullResult Pull(long after, int limit)
    {
        limit = Math.Max(1, limit);
        int start = _window.FirstAfter(after);
        var alerts = new List<JournaledAlert>(Math.Min(limit, _window.Count - start));
        for (int i = start; i < _window.Count && alerts.Count < limit; i++) alerts.Add(_window[i]);
        long next = alerts.Count > 0 ? alerts[^1].SequenceNr : after;
        return new PullResult(alerts, next, Oldest, after < _evictedThrough);
    }

    /// <summary>The last <paramref name="limit"/> alerts of the pull window, oldest first.</summary>
    public PullResult Recent(int limit)
    {
        limit = Math.Max(1, limit);
        int start = Math.Max(0, _window.Count - limit);
        var alerts = new List<JournaledAlert>(_window.Count - start);
        for (int i = start; i < _window.Count; i++) alerts.Add(_window[i]);
        return new PullResult(alerts, alerts.Count > 0 ? alerts[^1].SequenceNr : LastSequenceNr, Oldest, false);
    }

    private long Oldest => _window.Count > 0 ? _window[0].SequenceNr : 0;

    /// <summary>What a snapshot must hold: every alert in the pull window or some sink's backlog, in sequence order.</summary>
    public IReadOnlyList<JournaledAlert> Retained()
    {
        var all = new SortedDictionary<long, JournaledAlert>();
        for (int i = 0; i < _window.Count; i++) all[_window[i].SequenceNr] = _window[i];
        foreach (var lane in _lanes.Values)
        {
            if (lane.Held is { } held) foreach (var e in held.Entries) all[e.SequenceNr] = e;
            foreach (var p in lane.Queue) all[p.Entry.SequenceNr] = p.Entry;
        }

        return all.Values.ToArray();
    }

    /// <summary>Each sink's cursor (for a snapshot).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Cursors() =>
        _lanes.Values.Select(l => new KeyValuePair<string, long>(l.Name, l.Cursor)).ToArray();

    /// <summary>Remembered alert versions as <c>id#count</c>, oldest first (for a snapshot).</summary>
    public IReadOnlyList<string> Versions() =>
        _versions.Entries().Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}#{kv.Value}")).ToArray();

    /// <summary>Parses an <c>id#count</c> version key (as <see cref="Versions"/> writes them and the first forwarder did).</summary>
    public static bool TryParseVersion(string key, out string id, out int count)
    {
        ArgumentNullException.ThrowIfNull(key);
        int hash = key.LastIndexOf('#');
        id = hash > 0 ? key[..hash] : key;
        count = 1;
        return hash > 0 && int.TryParse(key.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out count);
    }

    /// <summary>Alerts waiting for <paramref name="sink"/>, including a batch in flight (0 for an unknown sink).</summary>
    public int Backlog(string sink) => _lanes.TryGetValue(sink, out var l) ? l.Queue.Count + (l.Held?.Entries.Count ?? 0) : 0;

    /// <summary>Per-sink state.</summary>
    public IReadOnlyList<SinkLaneStatus> Status()
    {
        var list = new List<SinkLaneStatus>(_lanes.Count);
        foreach (var l in _lanes.Values)
        {
            var (p50, p99) = l.Percentiles();
            list.Add(new SinkLaneStatus(l.Name, l.Cursor, l.Queue.Count + (l.Held?.Entries.Count ?? 0), l.Delivered, l.Failed, l.Dropped,
                l.RateLimited, l.Filtered, l.Suppressed, l.ConsecutiveFailures, l.LastError, l.LastDeliveredAt, p50, p99,
                l.ConsecutiveFailures > 0 ? l.NotBefore : null));
        }

        return list;
    }

    private void AddToWindow(JournaledAlert entry)
    {
        if (_window.Add(entry) is { } evicted) _evictedThrough = evicted.SequenceNr;
    }

    private void Admit(Lane lane, JournaledAlert entry)
    {
        var alert = entry.Alert;
        lane.LastSeen = Math.Max(lane.LastSeen, entry.SequenceNr);
        if (alert.Severity < lane.Policy.MinSeverity)
        {
            lane.Filtered++;
            return;
        }

        if (!lane.PassesUpdatePolicy(alert))
        {
            lane.Suppressed++;
            OutboxMetrics.Suppressed.Add(1, OutboxMetrics.Tag(lane.Name));
            return;
        }

        int held = lane.Held?.Entries.Count ?? 0;
        if (lane.Queue.Count + held >= lane.Policy.MaxBacklog)
        {
            lane.Dropped++;
            OutboxMetrics.Dropped.Add(1, OutboxMetrics.Tag(lane.Name));
            if (lane.Queue.Count == 0) return; // the whole backlog is one batch in flight: the newest gives way
            Release(lane.Queue.Dequeue().Entry);
        }

        var now = _time.GetUtcNow();
        var releaseAt = lane.ReleaseTime(now);
        if (releaseAt > now)
        {
            lane.RateLimited++;
            OutboxMetrics.RateLimited.Add(1, OutboxMetrics.Tag(lane.Name));
        }

        if (entry.Holders++ == 0) _undelivered++;
        lane.Queue.Enqueue(new Pending(entry, releaseAt));
    }

    private void Release(JournaledAlert entry)
    {
        if (--entry.Holders == 0) _undelivered--;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private readonly record struct Pending(JournaledAlert Entry, DateTimeOffset ReleaseAt);

    private sealed class Lane(string name, SinkPolicy policy, int updateMemory)
    {
        private readonly double[] _latencies = new double[1024];
        private int _latencyCount;
        private int _latencyNext;
        private readonly BoundedMap<DateTime> _sent = new(updateMemory);
        private DateTimeOffset _tat = DateTimeOffset.MinValue;

        public string Name { get; } = name;
        public SinkPolicy Policy { get; } = policy;
        public Queue<Pending> Queue { get; } = new();
        public DeliveryBatch? Held { get; set; }
        public bool Active { get; set; }
        public long LastSeen { get; set; }
        public DateTimeOffset NotBefore { get; set; } = DateTimeOffset.MinValue;
        public int ConsecutiveFailures { get; set; }
        public long Delivered { get; set; }
        public long Failed { get; set; }
        public long Dropped { get; set; }
        public long RateLimited { get; set; }
        public long Filtered { get; set; }
        public long Suppressed { get; set; }
        public string? LastError { get; set; }
        public DateTimeOffset? LastDeliveredAt { get; set; }

        /// <summary>Everything through this sequence number is done for the sink.</summary>
        public long Cursor =>
            Held is { } h ? h.Entries[0].SequenceNr - 1
            : Queue.Count > 0 ? Queue.Peek().Entry.SequenceNr - 1
            : LastSeen;

        /// <summary>The Updates policy, judged on alert (event) time so a replay decides the same way.</summary>
        public bool PassesUpdatePolicy(Alert alert)
        {
            switch (Policy.Updates.Mode)
            {
                case UpdateMode.First:
                    if (_sent.TryGet(alert.Id, out _)) return false;
                    _sent.Set(alert.Id, alert.Time);
                    return true;
                case UpdateMode.Every:
                    if (_sent.TryGet(alert.Id, out var last) && alert.Time - last < Policy.Updates.Interval) return false;
                    _sent.Set(alert.Id, alert.Time);
                    return true;
                default:
                    return true;
            }
        }

        /// <summary>
        /// Generic cell rate algorithm: alerts are spaced 1/rate apart, with a burst of up to one second's worth
        /// (at least one) released at once.
        /// </summary>
        public DateTimeOffset ReleaseTime(DateTimeOffset now)
        {
            double rate = Policy.RateLimitPerSecond;
            if (rate <= 0) return now;
            var interval = TimeSpan.FromTicks(Math.Max(1, (long)(TimeSpan.TicksPerSecond / rate)));
            var tolerance = interval * (Math.Max(1, Math.Floor(rate)) - 1);
            var tat = _tat > now ? _tat : now;
            var release = tat - tolerance > now ? tat - tolerance : now;
            _tat = tat + interval;
            return release;
        }

        public void RecordLatency(double ms)
        {
            _latencies[_latencyNext] = ms;
            _latencyNext = (_latencyNext + 1) % _latencies.Length;
            if (_latencyCount < _latencies.Length) _latencyCount++;
        }

        public (double P50, double P99) Percentiles()
        {
            if (_latencyCount == 0) return (0, 0);
            var sorted = _latencies.AsSpan(0, _latencyCount).ToArray();
            Array.Sort(sorted);
            return (At(sorted, 0.50), At(sorted, 0.99));

            static double At(double[] s, double q) => s[Math.Min(s.Length - 1, (int)Math.Ceiling(q * s.Length) - 1)];
        }
    }

    /// <summary>A map bounded to a capacity; the entry inserted first is evicted first.</summary>
    private sealed class BoundedMap<TValue>(int capacity)
    {
        private readonly Dictionary<string, TValue> _map = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        public bool TryGet(string key, out TValue value) => _map.TryGetValue(key, out value!);

        public void Set(string key, TValue value)
        {
            if (_map.ContainsKey(key))
            {
                _map[key] = value;
                return;
            }

            _map[key] = value;
            _order.Enqueue(key);
            while (_order.Count > Math.Max(1, capacity)) _map.Remove(_order.Dequeue());
        }

        public IEnumerable<KeyValuePair<string, TValue>> Entries()
        {
            foreach (var key in _order) yield return new(key, _map[key]);
        }
    }

    /// <summary>The pull window: a ring of the last accepted alerts in sequence order.</summary>
    private sealed class EntryRing(int capacity)
    {
        private readonly JournaledAlert[] _items = new JournaledAlert[Math.Max(1, capacity)];
        private int _head;

        public int Count { get; private set; }

        public JournaledAlert this[int index] => _items[(_head + index) % _items.Length];

        /// <summary>Appends; returns the evicted oldest entry when the ring was full.</summary>
        public JournaledAlert? Add(JournaledAlert entry)
        {
            if (Count < _items.Length)
            {
                _items[(_head + Count) % _items.Length] = entry;
                Count++;
                return null;
            }

            var evicted = _items[_head];
            _items[_head] = entry;
            _head = (_head + 1) % _items.Length;
            return evicted;
        }

        /// <summary>Index of the first entry with a sequence number above <paramref name="sequenceNr"/>.</summary>
        public int FirstAfter(long sequenceNr)
        {
            int lo = 0, hi = Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (this[mid].SequenceNr <= sequenceNr) lo = mid + 1;
                else hi = mid;
            }

            return lo;
        }
    }
}
