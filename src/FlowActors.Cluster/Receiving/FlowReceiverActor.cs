using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Sharding;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Owns one configured UDP port: N sockets bound with SO_REUSEPORT and a large SO_RCVBUF, each read by its own
/// <see cref="ReceiveLoop"/> thread that decodes, classifies and batches into the <c>host</c> shard region.
/// A receive loop that ends on its own (a bug, a socket error) takes the port down: every loop of the port is
/// stopped (sending its pending batches), and the port is rebound after an exponential backoff
/// (<see cref="RestartDelay"/>), counted by <see cref="ClusterMetrics.ReceiverRestarts"/>. A bind that fails (the
/// port held by another process) is retried the same way. While the port is down its stats show no running loop,
/// so readiness is false.
/// </summary>
public sealed class FlowReceiverActor : ReceiveActor, IWithTimers
{
    /// <summary>The first rebind waits this long; each further consecutive failure doubles it.</summary>
    internal static readonly TimeSpan MinRestartBackoff = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two rebinds of a failing port.</summary>
    internal static readonly TimeSpan MaxRestartBackoff = TimeSpan.FromSeconds(30);

    /// <summary>A port that has run this long since its last rebind starts again from <see cref="MinRestartBackoff"/>.</summary>
    internal static readonly TimeSpan BackoffReset = TimeSpan.FromMinutes(1);

    private readonly ReceiverPortOptions _port;
    private readonly FlowActorsClusterOptions _options;
    private readonly NetworkClassifier _classifier;
    private readonly ExporterAllowlist _allowlist;
    private readonly IActorRef _region;
    private readonly HostMessageExtractor _extractor;
    private readonly InFlightBudget _inFlight;
    private readonly IActorRef _replicator;
    private readonly TemplateExchange _exchange;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<ReceiveLoop> _loops = new();
    private readonly List<Socket> _sockets = new();
    private int _boundPort;
    private int _grantedBuffer;
    // Bumped on every bind and unbind, so a death reported by a loop of an earlier binding is ignored.
    private int _generation;
    private int _consecutiveFailures;
    private long _boundAtMs;
    private bool _holdDown;
    // Counters of the loops of earlier bindings, so the port's totals never go backwards after a rebind.
    private long _retiredDatagrams, _retiredBytes, _retiredRecords, _retiredObservations, _retiredErrors, _retiredNotAllowed, _retiredOutputFull,
        _retiredHostLimit, _retiredBatches, _retiredKernel, _retiredRepaired, _retiredTemplatesRefused;

    /// <summary>Creates the receiver for <paramref name="port"/>.</summary>
    public FlowReceiverActor(ReceiverPortOptions port, FlowActorsClusterOptions options, IActorRef region, InFlightBudget inFlight, IActorRef replicator, TemplateExchange exchange)
    {
        _port = port;
        _options = options;
        _classifier = new NetworkClassifier(options.Detection.Networks);
        _allowlist = new ExporterAllowlist(options.ExporterAllowlist);
        _region = region;
        _extractor = new HostMessageExtractor(options.ShardCount);
        _inFlight = inFlight;
        _replicator = replicator;
        _exchange = exchange;
        _boundPort = port.Port;
        Receive<GetPortStats>(_ => Sender.Tell(Stats()));
        Receive<LoopDied>(OnLoopDied);
        Receive<Rebind>(_ =>
        {
            if (_loops.Count > 0) return;
            ClusterMetrics.ReceiverRestarts.Add(1, new KeyValuePair<string, object?>("port", _boundPort));
            Bind();
        });
        Receive<FailReceiveLoop>(f =>
        {
            if (_sockets.Count == 0) return;
            _holdDown = f.HoldDown;
            _log.Warning("UDP {0}:{1}: closing a socket under its receive loop (fault injection)", _port.BindAddress, _boundPort);
            _sockets[0].Dispose();
        });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for one port.</summary>
    public static Props GetProps(ReceiverPortOptions port, FlowActorsClusterOptions options, IActorRef region, InFlightBudget inFlight, IActorRef replicator, TemplateExchange exchange) =>
        Props.Create(() => new FlowReceiverActor(port, options, region, inFlight, replicator, exchange));

    /// <inheritdoc />
    protected override void PreStart()
    {
        Bind();
        if (IsOpenToAnySender(_port, _allowlist))
        {
            // The allowlist is the first defence against forged flows (and so forged alerts) from any UDP sender.
            _log.Warning("UDP {0}:{1} accepts flows from any sender: the exporter allowlist is empty on a non-loopback bind. Anyone who can reach this port can inject flows and alerts; list your exporters in ExporterAllowlist (FLOWACTORS__RECEIVERS__EXPORTERALLOWLIST__0=192.0.2.1/32)",
                _port.BindAddress, _boundPort);
        }
    }

    /// <summary>
    /// Opens the port's sockets (the port bound before, when it was picked by the kernel) and starts a loop on each;
    /// on failure schedules the next attempt.
    /// </summary>
    private void Bind()
    {
        List<Socket> sockets;
        try
        {
            var port = _boundPort == _port.Port ? _port : new ReceiverPortOptions
            {
                Port = _boundPort, BindAddress = _port.BindAddress, Sockets = _port.Sockets, ReceiveBufferBytes = _port.ReceiveBufferBytes,
                RingBuffers = _port.RingBuffers, RingBufferBytes = _port.RingBufferBytes,
            };
            sockets = ReceiveLoop.OpenSockets(port, _log, out _grantedBuffer);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            _consecutiveFailures++;
            var delay = RestartDelay(_consecutiveFailures, Random.Shared.NextDouble());
            _log.Error("UDP {0}:{1} cannot be bound ({2}: in use by another process?); it is not received and the node is not ready. Next attempt in {3:0.0} s",
                _port.BindAddress, _boundPort, e.Message, delay.TotalSeconds);
            Timers.StartSingleTimer(nameof(Rebind), Rebind.Instance, delay);
            return;
        }

        _generation++;
        _boundPort = ((System.Net.IPEndPoint)sockets[0].LocalEndPoint!).Port;
        _boundAtMs = Environment.TickCount64;
        _sockets.AddRange(sockets);
        var self = Self;
        for (int i = 0; i < sockets.Count; i++)
        {
            int generation = _generation;
            string name = $"flow-rx-{_boundPort}-{i}";
            var loop = new ReceiveLoop(sockets[i], _options, _classifier, _allowlist, _region, _extractor, _inFlight, _replicator, _exchange, _log, name,
                died: e => self.Tell(new LoopDied(generation, name, e)), ringBuffers: _port.RingBuffers, ringBufferBytes: _port.RingBufferBytes);
            _loops.Add(loop);
            loop.Start();
        }
        if (_consecutiveFailures == 0)
            _log.Info("Receiving flows on UDP {0}:{1} with {2} socket(s), receive buffer {3} bytes", _port.BindAddress, _boundPort, sockets.Count, _grantedBuffer);
        else
            _log.Info("UDP {0}:{1} rebound after {2} failure(s), {3} socket(s): receiving flows again", _port.BindAddress, _boundPort, _consecutiveFailures, sockets.Count);
    }

    private void OnLoopDied(LoopDied died)
    {
        if (died.Generation != _generation || _loops.Count == 0) return;
        // Ran long enough since its last rebind: this failure is a new incident, not the same one again.
        if (Environment.TickCount64 - _boundAtMs >= (long)BackoffReset.TotalMilliseconds) _consecutiveFailures = 0;
        _consecutiveFailures++;
        Unbind();
        if (_holdDown)
        {
            _holdDown = false;
            _log.Error("UDP {0}:{1}: receive loop {2} stopped ({3}); the port is down until rebound (fault injection holds it down)",
                _port.BindAddress, _boundPort, died.Loop, died.Error?.Message ?? "its socket was closed");
            return;
        }
        var delay = RestartDelay(_consecutiveFailures, Random.Shared.NextDouble());
        _log.Error("UDP {0}:{1}: receive loop {2} stopped ({3}); the port is down and the node not ready until it is rebound in {4:0.0} s (failure {5} in a row)",
            _port.BindAddress, _boundPort, died.Loop, died.Error?.Message ?? "its socket was closed", delay.TotalSeconds, _consecutiveFailures);
        Timers.StartSingleTimer(nameof(Rebind), Rebind.Instance, delay);
    }

    /// <summary>Stops every loop of the port (each sends its pending batches) and closes its sockets, keeping their counters.</summary>
    private void Unbind()
    {
        _generation++;
        foreach (var l in _loops)
        {
            l.Dispose();
            _retiredDatagrams += l.Datagrams; _retiredBytes += l.Bytes; _retiredRecords += l.Records; _retiredObservations += l.Observations;
            _retiredErrors += l.DecodeErrors; _retiredNotAllowed += l.DroppedNotAllowed; _retiredOutputFull += l.DroppedOutputFull;
            _retiredHostLimit += l.DroppedOverload; _retiredBatches += l.BatchesSent; _retiredKernel += l.DroppedKernel;
            _retiredRepaired += l.RepairedTimes; _retiredTemplatesRefused += l.TemplatesRefused;
        }
        _loops.Clear();
        foreach (var s in _sockets) s.Dispose();
        _sockets.Clear();
    }

    /// <summary>
    /// How long to wait before rebinding after <paramref name="consecutiveFailures"/> failures in a row:
    /// <see cref="MinRestartBackoff"/> doubled per failure up to <see cref="MaxRestartBackoff"/>, then spread by up to
    /// ±20 % (<paramref name="jitter"/> in [0, 1)) so the ports of many nodes failing together do not retry in step.
    /// </summary>
    internal static TimeSpan RestartDelay(int consecutiveFailures, double jitter)
    {
        double exponent = Math.Min(Math.Max(consecutiveFailures, 1) - 1, 16);
        double ms = Math.Min(MinRestartBackoff.TotalMilliseconds * Math.Pow(2, exponent), MaxRestartBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * jitter));
    }

    /// <summary>True when anyone who can reach the port may inject flows: no exporter allowlist on a non-loopback bind.</summary>
    internal static bool IsOpenToAnySender(ReceiverPortOptions port, ExporterAllowlist allowlist) =>
        allowlist.AllowsAll && !System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(port.BindAddress));

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Disposing a loop stops its thread, which sends its pending batches on the way out.
        Unbind();
    }

    private PortReport Stats()
    {
        long datagrams = _retiredDatagrams, bytes = _retiredBytes, records = _retiredRecords, observations = _retiredObservations, errors = _retiredErrors,
            notAllowed = _retiredNotAllowed, outputFull = _retiredOutputFull, hostLimit = _retiredHostLimit, batches = _retiredBatches;
        long kernel = _retiredKernel, repaired = _retiredRepaired, templatesRefused = _retiredTemplatesRefused;
        var exporters = new List<ExporterReport>();
        var refused = new List<RefusedExporterReport>();
        foreach (var l in _loops)
        {
            datagrams += l.Datagrams; bytes += l.Bytes; records += l.Records; observations += l.Observations; errors += l.DecodeErrors;
            notAllowed += l.DroppedNotAllowed; outputFull += l.DroppedOutputFull; hostLimit += l.DroppedOverload; batches += l.BatchesSent;
            exporters.AddRange(l.ExporterReports);
            kernel += l.DroppedKernel; repaired += l.RepairedTimes; templatesRefused += l.TemplatesRefused;
            foreach (var x in l.RefusedExporters) refused.Add(new RefusedExporterReport(x.Exporter.ToString(), x.Datagrams, x.LastSeenMs));
        }
        // Sockets counts live receive loops: a port that is down shows none, and readiness turns false.
        var stats = new PortStats(_boundPort, _loops.Count(l => l.IsRunning), _grantedBuffer, datagrams, bytes, records, observations, errors, notAllowed, outputFull, hostLimit, batches,
            kernel, repaired, templatesRefused);
        return new PortReport(stats, exporters, refused);
    }

    /// <summary>Asks a receiver for its counters (answered with <see cref="PortReport"/>).</summary>
    internal sealed record GetPortStats : INoSerializationVerificationNeeded
    {
        public static readonly GetPortStats Instance = new();
    }

    /// <summary>A loop of binding <paramref name="Generation"/> ended on its own (told from the loop's thread).</summary>
    private sealed record LoopDied(int Generation, string Loop, Exception? Error) : INoSerializationVerificationNeeded;

    /// <summary>Rebinds a port that is down (the backoff timer, or a test releasing a port held down).</summary>
    internal sealed record Rebind : INoSerializationVerificationNeeded
    {
        public static readonly Rebind Instance = new();
    }

    /// <summary>
    /// Fault injection for tests: closes a socket under its receive loop, as a socket error would, so the loop dies.
    /// With <paramref name="HoldDown"/> the port stays down until a <see cref="Rebind"/> arrives instead of the timer.
    /// </summary>
    internal sealed record FailReceiveLoop(bool HoldDown) : INoSerializationVerificationNeeded;

    /// <summary>A receiver's counters and per-exporter reports.</summary>
    internal sealed record PortReport(PortStats Stats, IReadOnlyList<ExporterReport> Exporters, IReadOnlyList<RefusedExporterReport> Refused) : INoSerializationVerificationNeeded;
}
