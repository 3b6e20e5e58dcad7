using System.Runtime.CompilerServices;
using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// The behaviour state of one monitored host: per-window counters and sketches, EWMA baselines, bounded per-peer
/// structures and every detector. Deterministic and event-time driven: the same observations in the same order
/// give the same alerts however they are batched, live or replayed.
/// </summary>
/// <remarks>
/// <para>Per observation only counters, sketches and small tables are updated (no allocation after warm-up);
/// means, variances, scores and detectors run once per closed window.</para>
/// <para>Windows are fixed, aligned to the Unix epoch, and assigned by the flow's end time. A window closes when
/// event time (the latest flow end seen, or <see cref="AdvanceTo"/>) passes its end plus the allowed lateness;
/// observations for windows already closed are counted in <see cref="LateObservations"/> and dropped.</para>
/// <para>Not thread-safe: one owner (the host actor) calls it.</para>
/// </remarks>
public sealed partial class HostBehavior
{
    private const int F = WindowState.FeatureCount;
    private const int DetectorCount = 13;

    private readonly FlowAddress _host;
    private readonly string _hostText;
    private readonly CompiledSettings _c;
    private readonly ThreatIntelSet? _intel;
    private readonly bool _hostIgnored;

    private long _firstSeenMs = long.MinValue;
    private long _watermark = long.MinValue;
    private long _nextClose;
    // An observation more than MaxClockStep ahead of event time, held until a second record confirms the jump
    // (allocated on the first such record only: rare).
    private FlowObservation[]? _held;
    private long _heldJumpMs = long.MinValue;
    // The (at most two) open windows; allocated when a window opens and dropped when it closes, so a host at
    // rest holds no window memory.
    private WindowState? _a;
    private WindowState? _b;
    private readonly float[] _mean = new float[F];
    private readonly float[] _var = new float[F];
    private readonly ushort[] _featureWindows = new ushort[F];
    private readonly float[] _median = new float[F];
    private readonly float[] _p95 = new float[F];
    private int _windows;
    private uint[]? _hourRing;
    private int _hourPosition;
    private BeaconTable? _beacons;
    private LruSet? _adminHistory;
    private LruSet? _portHistory;
    private LruSet? _authHistory;
    private SuppressionSlot[]? _suppression;
    private LoopTable? _loops;
    private ScanAccumulator? _scans;
    private UploadTable? _uploads;
    private readonly IDestinationPrevalence? _prevalence;

    /// <summary>Creates an empty state for <paramref name="host"/>.</summary>
    /// <param name="host">The monitored address.</param>
    /// <param name="settings">Detection settings (validated here; invalid settings throw <see cref="ArgumentException"/>).</param>
    /// <param name="intel">Block lists, shared by all hosts, or null.</param>
    public HostBehavior(FlowAddress host, DetectionSettings settings, ThreatIntelSet? intel = null)
        : this(host, settings, intel, null)
    {
    }

    /// <summary>Creates an empty state for <paramref name="host"/> that weighs destination prevalence.</summary>
    /// <param name="host">The monitored address.</param>
    /// <param name="settings">Detection settings (validated here; invalid settings throw <see cref="ArgumentException"/>).</param>
    /// <param name="intel">Block lists, shared by all hosts, or null.</param>
    /// <param name="prevalence">
    /// How many monitored hosts talk to a destination, shared by all hosts of the node (and replicated across the
    /// cluster), or null: then every channel counts as seen from this host alone.
    /// </param>
    public HostBehavior(FlowAddress host, DetectionSettings settings, ThreatIntelSet? intel, IDestinationPrevalence? prevalence)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _prevalence = prevalence;
        _host = host;
        _hostText = host.ToString();
        _c = settings.Compiled;
        _intel = intel;
        _hostIgnored = _c.AllowAddresses?.Contains(host) == true;
    }

    /// <summary>The monitored address.</summary>
    public FlowAddress Host => _host;

    /// <summary>Event time reached: the latest flow end observed or time advanced to (unix ms; <see cref="long.MinValue"/> before any).</summary>
    public long EventTimeMs => _watermark;

    /// <summary>Observations dropped because their window had already closed.</summary>
    public long LateObservations { get; private set; }

    /// <summary>Observations more than <see cref="DetectionSettings.MaxClockStep"/> ahead of event time that did not move it (unconfirmed jumps).</summary>
    public long HeldClockJumps { get; private set; }

    /// <summary>Observations skipped by the allowlist.</summary>
    public long IgnoredObservations { get; private set; }

    /// <summary>Windows folded into the baseline so far.</summary>
    public int BaselineWindows => _windows;

    /// <summary>True once the learning period has passed (baseline-relative detectors may fire).</summary>
    public bool IsLearned => _firstSeenMs != long.MinValue && _watermark - _firstSeenMs >= _c.LearningMs && _windows >= 2;

    /// <summary>The learnt baseline of one feature.</summary>
    public BaselineStats GetBaseline(BaselineFeature feature)
    {
        int i = (int)feature;
        double mean = _mean[i];
        return new BaselineStats(Math.Exp(_median[i]) - 1, mean, Math.Sqrt(Math.Max(0, _var[i])), _featureWindows[i], Math.Exp(_p95[i]) - 1);
    }

    /// <summary>Feeds one observation; alerts of any windows it closes are appended to <paramref name="alerts"/>.</summary>
    public void Observe(in FlowObservation o, ICollection<Alert> alerts)
    {
        long t = o.EndMs;
        if (t < 0) t = 0;
        if (_watermark == long.MinValue)
        {
            Start(t);
        }
        else if (t - _watermark > _c.MaxClockStepMs)
        {
            if (!ConfirmsJump(in o, t, alerts)) Hold(in o);
            return;
        }
        else
        {
            if (_heldJumpMs != long.MinValue) ReleaseHeldAtEventTime();
            if (t > _watermark) Advance(t, alerts);
        }

        Count(in o, t);
    }

    private void Count(in FlowObservation o, long t)
    {
        long w = t / _c.WindowMs;
        if (w < _nextClose)
        {
            LateObservations++;
            return;
        }

        if (_hostIgnored || IsAllowlisted(in o))
        {
            IgnoredObservations++;
            return;
        }

        Accumulate(WindowFor(w), in o);
    }

    /// <summary>Feeds a batch in order (identical to feeding each observation).</summary>
    public void Observe(ReadOnlySpan<FlowObservation> batch, ICollection<Alert> alerts)
    {
        for (int i = 0; i < batch.Length; i++) Observe(in batch[i], alerts);
    }

    /// <summary>
    /// Moves event time forward without traffic (the idle tick) and closes the windows it passes. Times at or
    /// before <see cref="EventTimeMs"/> change nothing.
    /// </summary>
    /// <remarks>
    /// From a wall clock, pass the clock minus the exporters' worst export delay (e.g. now − 2 min): observations
    /// ending before event time − allowed lateness are dropped as late, so ticking with the bare clock would discard
    /// records that are merely in transit.
    /// </remarks>
    /// <returns>
    /// True when the state worth persisting changed: a window closed or the held observation was counted. Event time
    /// alone moving on is not worth a write: a host restored with an older event time moves it on at its next tick.
    /// </returns>
    public bool AdvanceTo(long eventTimeMs, ICollection<Alert> alerts)
    {
        if (_watermark == long.MinValue || eventTimeMs <= _watermark) return false;
        long nextClose = _nextClose;
        bool counted = false;
        if (_heldJumpMs != long.MinValue && eventTimeMs >= _heldJumpMs)
        {
            // The clock reached the held observation's time by itself: it counts at its own time.
            long heldAt = _heldJumpMs;
            _heldJumpMs = long.MinValue;
            AdvanceAndCount(in _held![0], heldAt, alerts);
            counted = true;
            if (eventTimeMs <= _watermark) return true;
        }

        Advance(eventTimeMs, alerts);
        return counted || _nextClose != nextClose;
    }

    /// <summary>
    /// True when <paramref name="t"/>, a jump beyond the bounded step, is confirmed by the held observation (a host
    /// back after a silence): event time then moves to the held one's time, which is counted there, then to
    /// <paramref name="t"/>.
    /// </summary>
    private bool ConfirmsJump(in FlowObservation o, long t, ICollection<Alert> alerts)
    {
        if (_heldJumpMs == long.MinValue || Math.Abs(t - _heldJumpMs) > _c.MaxClockStepMs) return false;
        long heldAt = _heldJumpMs;
        _heldJumpMs = long.MinValue;
        // In time order, each counted once event time has reached it (windows open only up to event time).
        if (heldAt <= t)
        {
            AdvanceAndCount(in _held![0], heldAt, alerts);
            AdvanceAndCount(in o, t, alerts);
        }
        else
        {
            AdvanceAndCount(in o, t, alerts);
            AdvanceAndCount(in _held![0], heldAt, alerts);
        }

        return true;
    }

    private void AdvanceAndCount(in FlowObservation o, long t, ICollection<Alert> alerts)
    {
        if (t > _watermark) Advance(t, alerts);
        Count(in o, t);
    }

    /// <summary>
    /// Holds an observation too far ahead of event time: one record alone never moves a host's clock by more than
    /// <see cref="DetectionSettings.MaxClockStep"/>. A held one not confirmed is counted at the current event time.
    /// </summary>
    private void Hold(in FlowObservation o)
    {
        if (_heldJumpMs != long.MinValue) ReleaseHeldAtEventTime();
        (_held ??= new FlowObservation[1])[0] = o;
        _heldJumpMs = Math.Max(0, o.EndMs);
        HeldClockJumps++;
    }

    /// <summary>Counts the held observation at the current event time (no record confirmed its jump).</summary>
    private void ReleaseHeldAtEventTime()
    {
        _heldJumpMs = long.MinValue;
        Count(in _held![0], _watermark);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAllowlisted(in FlowObservation o)
    {
        var ports = _c.AllowPorts;
        if (!ports.IsEmpty && (ports.Contains(o.LocalPort) || ports.Contains(o.PeerPort))) return true;
        return _c.AllowAddresses is { } set && set.Contains(o.Peer);
    }

    private void Start(long t)
    {
        _firstSeenMs = t;
        _watermark = t;
        _nextClose = Math.Max(0, t - _c.LatenessMs) / _c.WindowMs;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private WindowState WindowFor(long index)
    {
        if (_a is not null && _a.Index == index) return _a;
        if (_b is not null && _b.Index == index) return _b;
        // Open windows are always within {_nextClose, _nextClose + 1} because lateness <= window, so one slot is free.
        var opened = WindowPool.Rent(index);
        if (_a is null) _a = opened;
        else _b = opened;
        return opened;
    }

    private void Advance(long t, ICollection<Alert> alerts)
    {
        _watermark = t;
        long lastClosable = (t - _c.LatenessMs) / _c.WindowMs - 1;
        while (_nextClose <= lastClosable)
        {
            if (_a is not null && _a.Index == _nextClose)
            {
                var s = _a;
                _a = null;
                CloseWindow(s, _nextClose, alerts);
                WindowPool.Return(s);
                _nextClose++;
                continue;
            }

            if (_b is not null && _b.Index == _nextClose)
            {
                var s = _b;
                _b = null;
                CloseWindow(s, _nextClose, alerts);
                WindowPool.Return(s);
                _nextClose++;
                continue;
            }

            long nextData = long.MaxValue;
            if (_a is not null && _a.Index > _nextClose) nextData = _a.Index;
            if (_b is not null && _b.Index > _nextClose) nextData = Math.Min(nextData, _b.Index);
            long runEnd = Math.Min(lastClosable, nextData - 1);
            long fold = Math.Min(runEnd - _nextClose + 1, _c.Source.Baseline.MaxIdleWindows);
            for (long i = 0; i < fold; i++) CloseEmpty();
            _nextClose = runEnd + 1;
        }
    }

    private void Accumulate(WindowState win, in FlowObservation o)
    {
        ulong bytes = o.Bytes;
        ulong packets = o.Packets;
        byte proto = o.Protocol;
        bool outbound = o.Outbound;
        FlowAddress peer = o.Peer;
        uint peerHash = (uint)peer.GetStableHashCode();

        if (outbound)
        {
            win.BytesOut += bytes;
            win.PacketsOut += packets;
            win.FlowsOut++;
            win.PeersOut.Add(peerHash);
            if (!o.PeerIsInternal) win.ExternalBytesOut += bytes;
        }
        else
        {
            win.BytesIn += bytes;
            win.PacketsIn += packets;
            win.FlowsIn++;
            win.PeersIn.Add(peerHash);
        }

        var attempt = FlowRules.Classify(proto, o.TcpFlags, packets);
        bool sourceInitiated = attempt switch
        {
            AttemptKind.FailedAttempt => true,
            AttemptKind.Refusal or AttemptKind.Answer => false,
            _ => outbound
                ? FlowRules.SourceIsInitiator(proto, o.LocalPort, o.PeerPort)
                : FlowRules.SourceIsInitiator(proto, o.PeerPort, o.LocalPort),
        };
        bool hostInitiated = outbound == sourceInitiated;
        ushort servicePort = hostInitiated ? o.PeerPort : o.LocalPort;
        if (hostInitiated) win.PortsOut.Add(((uint)proto << 16) | servicePort);
        if (outbound && !o.PeerIsInternal)
        {
            // Keyed by the service port, and whether the host initiated: a server's replies to an external client
            // are not uploads.
            (win.TopExternal ??= new TallyTable(CompiledSettings.TopExternalEntries)).Add(peer, servicePort | (hostInitiated ? 0x1_0000u : 0u), bytes, o.DurationMs);
            if (hostInitiated) win.InitiatedExternalBytesOut += bytes;
            if (hostInitiated && (proto == 17 || (proto == 6 && (o.TcpFlags & 0x02) != 0)) && !_c.BeaconIgnoredPorts.Contains(servicePort))
            {
                // A new connection to the Internet (TCP with SYN, or a UDP conversation): fan-out per port.
                (win.Bursts ??= new BurstTable(CompiledSettings.SweepPorts)).Add(((uint)proto << 16) | servicePort, peerHash, o.StartMs, attempt == AttemptKind.FailedAttempt, bytes);
            }
        }

        if (_intel is not null && _intel.Contains(peer))
        {
            (win.Intel ??= new TallyTable(CompiledSettings.TallyEntries)).Add(peer, servicePort | (hostInitiated ? 0x1_0000u : 0u), bytes, o.DurationMs);
        }

        switch (attempt)
        {
            case AttemptKind.FailedAttempt:
                if (outbound)
                {
                    win.FailedOut++;
                    if (!o.PeerIsInternal && !_c.IsWellKnownService(peer, o.PeerAs))
                    {
                        (_loops ??= new LoopTable(_c.Source.ConnectionLoop.MaxTracked)).Add(peer, o.PeerPort, o.StartMs, _c.LoopHorizonMs);
                    }

                    ref var target = ref (win.OutByTarget ??= new ScanTable(CompiledSettings.ScanEntries)).Get(peer, 0);
                    target.Attempts++;
                    target.Set.Add(o.PeerPort);
                    ref var sweep = ref (win.Sweeps ??= new ScanTable(CompiledSettings.ScanEntries)).Get(default, (6u << 16) | o.PeerPort);
                    sweep.Attempts++;
                    sweep.Set.Add(peerHash);
                }
                else
                {
                    win.FailedIn++;
                    win.FailedInSources.Add(peerHash);
                    win.FailedInPorts.Add(o.LocalPort);
                    ref var source = ref (win.InBySource ??= new ScanTable(CompiledSettings.ScanEntries)).Get(peer, o.PeerIsInternal ? 1u : 0u);
                    source.Attempts++;
                    source.Set.Add(o.LocalPort);
                }

                return;

            case AttemptKind.Refusal:
                if (outbound)
                {
                    // We refused the peer: its attempt on our local port failed.
                    (win.InBySource ??= new ScanTable(CompiledSettings.ScanEntries)).Get(peer, o.PeerIsInternal ? 1u : 0u).Set.Add(o.LocalPort);
                }
                else if (!FlowRules.IsServicePort(o.LocalPort) || FlowRules.IsServicePort(o.PeerPort))
                {
                    // The peer refused us: our attempt on its port failed. (An RST from a client to our service
                    // port is a prober resetting our SYN-ACK: an answer to its probe, not a refusal of ours.)
                    (win.OutByTarget ??= new ScanTable(CompiledSettings.ScanEntries)).Get(peer, 0).Set.Add(o.PeerPort);
                    (win.Sweeps ??= new ScanTable(CompiledSettings.ScanEntries)).Get(default, (6u << 16) | o.PeerPort).Set.Add(peerHash);
                }

                return;
        }

        if (!sourceInitiated) return; // the reply direction of a conversation carries no further facts

        if (proto == 17 && !outbound && packets <= 2 && bytes <= 1_200 && o.LocalPort != o.PeerPort)
        {
            // A one- or two-packet UDP datagram from a peer to one of our ports is a probe (nmap -sU, masscan -pU);
            // symmetric ports (NTP 123-123, IKE 500-500) are peers talking, not probes.
            // whether we answered with ICMP port-unreachable or not at all, the port counts as probed.
            ref var source = ref (win.InBySource ??= new ScanTable(CompiledSettings.ScanEntries)).Get(peer, o.PeerIsInternal ? 1u : 0u);
            source.Attempts++;
            source.Set.Add(0x11_0000u | o.LocalPort);
        }

        if (proto is 1 or 58)
        {
            if (outbound && FlowRules.IsEchoRequest(proto, o.PeerPort))
            {
                ref var sweep = ref (win.Sweeps ??= new ScanTable(CompiledSettings.ScanEntries)).Get(default, (uint)proto << 16);
                sweep.Attempts++;
                sweep.Set.Add(peerHash);
            }

            return;
        }

        if (proto != 6 && proto != 17) return;

        if (proto == 6 && packets <= (ulong)_c.Source.BruteForce.MaxPacketsPerAttempt && _c.AuthPorts.Contains(servicePort))
        {
            (win.Brute ??= new TallyTable(CompiledSettings.TallyEntries)).Add(peer, servicePort | (outbound ? 0u : 0x1_0000u), bytes, o.DurationMs);
        }

        bool learned = _watermark - _firstSeenMs >= _c.LearningMs;
        if (outbound)
        {
            if (servicePort == 53)
            {
                win.DnsFlows++;
                win.DnsBytes += bytes;
                (win.TopDns ??= new TallyTable(CompiledSettings.TopDnsEntries)).Add(peer, 53, bytes, o.DurationMs);
            }

            if (o.PeerIsInternal)
            {
                if (proto == 6 && _c.AdminPorts.Contains(servicePort))
                {
                    bool known = (_adminHistory ??= new LruSet(_c.Source.LateralMovement.MaxHistory)).TouchOrAdd(peerHash, o.EndMs);
                    if (!known && learned)
                    {
                        win.NewAdminPeers++;
                        (win.NewAdmin ??= new TallyTable(CompiledSettings.TallyEntries)).Add(peer, servicePort, bytes, o.DurationMs);
                    }
                }
            }
            else if ((proto == 17 || (o.TcpFlags & 0x02) != 0 || o.TcpFlags == 0) && !_c.BeaconIgnoredPorts.Contains(servicePort)
                && !_c.IsWellKnownService(peer, o.PeerAs))
            {
                // Well-known service destinations (OS vendors' fronts, by prefix or AS) never take a beacon slot.
                // A new connection (TCP with SYN, or any UDP conversation): one beacon candidate. Active-timeout
                // continuation records of long TCP sessions carry no SYN and are not beacons.
                bool repeated = (_beacons ??= new BeaconTable(_c.Source.Beaconing.MaxTrackedPeers))
                    .Record(peer, servicePort, o.StartMs, bytes, _c.BeaconMinIntervalMs, _c.BeaconMaxIntervalMs);
                if (repeated) _prevalence?.Record(_host, peer, o.EndMs);
            }
        }

        if (!FlowRules.IsServicePort(servicePort) && !_c.ExtraWellKnown.Contains(servicePort))
        {
            uint key = ((uint)proto << 16) | servicePort;
            bool seen = (_portHistory ??= new LruSet(_c.Source.RarePort.MaxHistory)).TouchOrAdd(key, o.EndMs);
            if (!seen && learned && (bytes >= (ulong)_c.Source.RarePort.MinBytes || o.DurationMs >= _c.RareMinDurationMs))
            {
                (win.Rare ??= new TallyTable(CompiledSettings.TallyEntries)).Add(peer, key | (outbound ? 0u : 0x100_0000u), bytes, o.DurationMs);
            }
        }
    }

    /// <summary>Where <see cref="ApproximateBytes"/> goes (for measurements and diagnostics).</summary>
    internal string DescribeMemory() =>
        $"windows {_a?.HeapBytes() ?? 0}+{_b?.HeapBytes() ?? 0}, beacons {_beacons?.HeapBytes() ?? 0} ({_beacons?.Count ?? 0} peers), " +
        $"admin {_adminHistory?.HeapBytes() ?? 0}, ports {_portHistory?.HeapBytes() ?? 0} ({_portHistory?.Count ?? 0}), auth {_authHistory?.HeapBytes() ?? 0}, " +
        $"hour ring {(_hourRing is null ? 0 : 24 + (_hourRing.Length * 4))}, suppression {(_suppression is null ? 0 : 24 + (_suppression.Length * 24))}, " +
        $"loops {_loops?.HeapBytes() ?? 0}, scans {_scans?.HeapBytes() ?? 0}, uploads {_uploads?.HeapBytes() ?? 0}";

    /// <summary>
    /// Estimated heap bytes held by this host's state (object headers, arrays and sketches included; the shared
    /// settings and threat-intel sets are not).
    /// </summary>
    public int ApproximateBytes
    {
        get
        {
            int b = 16 + 8 * 16 + 8 * 6 + 4 * 4; // object header, references, longs, ints
            b += (4 * (24 + (F * 4))) + 24 + (F * 2);
            b += (_a?.HeapBytes() ?? 0) + (_b?.HeapBytes() ?? 0);
            if (_hourRing is not null) b += 24 + _hourRing.Length * 4;
            if (_beacons is not null) b += _beacons.HeapBytes();
            if (_adminHistory is not null) b += _adminHistory.HeapBytes();
            if (_portHistory is not null) b += _portHistory.HeapBytes();
            if (_authHistory is not null) b += _authHistory.HeapBytes();
            if (_suppression is not null) b += 24 + _suppression.Length * Unsafe.SizeOf<SuppressionSlot>();
            if (_loops is not null) b += _loops.HeapBytes();
            if (_scans is not null) b += _scans.HeapBytes();
            if (_uploads is not null) b += _uploads.HeapBytes();
            return b;
        }
    }
}
