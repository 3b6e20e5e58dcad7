using Akka.Actor;
using Akka.Event;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Sharding;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Owns one configured UDP port: N sockets bound with SO_REUSEPORT and a large SO_RCVBUF, each read by its own
/// <see cref="ReceiveLoop"/> thread that decodes, classifies and batches into the <c>host</c> shard region.
/// </summary>
public sealed class FlowReceiverActor : ReceiveActor
{
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
    private int _boundPort;
    private int _grantedBuffer;

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
        Receive<GetPortStats>(_ => Sender.Tell(Stats()));
    }

    /// <summary>Props for one port.</summary>
    public static Props GetProps(ReceiverPortOptions port, FlowActorsClusterOptions options, IActorRef region, InFlightBudget inFlight, IActorRef replicator, TemplateExchange exchange) =>
        Props.Create(() => new FlowReceiverActor(port, options, region, inFlight, replicator, exchange));

    /// <inheritdoc />
    protected override void PreStart()
    {
        var sockets = ReceiveLoop.OpenSockets(_port, _log, out _grantedBuffer);
        _boundPort = ((System.Net.IPEndPoint)sockets[0].LocalEndPoint!).Port;
        for (int i = 0; i < sockets.Count; i++)
        {
            var loop = new ReceiveLoop(sockets[i], _options, _classifier, _allowlist, _region, _extractor, _inFlight, _replicator, _exchange, _log, $"flow-rx-{_boundPort}-{i}");
            _loops.Add(loop);
            loop.Start();
        }
        _log.Info("Receiving flows on UDP {0}:{1} with {2} socket(s), receive buffer {3} bytes", _port.BindAddress, _boundPort, sockets.Count, _grantedBuffer);
        if (IsOpenToAnySender(_port, _allowlist))
        {
            // The allowlist is the first defence against forged flows (and so forged alerts) from any UDP sender.
            _log.Warning("UDP {0}:{1} accepts flows from any sender: the exporter allowlist is empty on a non-loopback bind. Anyone who can reach this port can inject flows and alerts; list your exporters in ExporterAllowlist (FLOWACTORS__RECEIVERS__EXPORTERALLOWLIST__0=192.0.2.1/32)",
                _port.BindAddress, _boundPort);
        }
    }

    /// <summary>True when anyone who can reach the port may inject flows: no exporter allowlist on a non-loopback bind.</summary>
    internal static bool IsOpenToAnySender(ReceiverPortOptions port, ExporterAllowlist allowlist) =>
        allowlist.AllowsAll && !System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(port.BindAddress));

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Disposing a loop stops its thread, which sends its pending batches on the way out.
        foreach (var loop in _loops) loop.Dispose();
        _loops.Clear();
    }

    private PortReport Stats()
    {
        long datagrams = 0, bytes = 0, records = 0, observations = 0, errors = 0, notAllowed = 0, outputFull = 0, hostLimit = 0, batches = 0;
        long kernel = 0, repaired = 0, templatesRefused = 0;
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
        // Sockets counts live receive loops: a loop that died shows here, and readiness turns false.
        var stats = new PortStats(_boundPort, _loops.Count(l => l.IsRunning), _grantedBuffer, datagrams, bytes, records, observations, errors, notAllowed, outputFull, hostLimit, batches,
            kernel, repaired, templatesRefused);
        return new PortReport(stats, exporters, refused);
    }

    /// <summary>Asks a receiver for its counters (answered with <see cref="PortReport"/>).</summary>
    internal sealed record GetPortStats : INoSerializationVerificationNeeded
    {
        public static readonly GetPortStats Instance = new();
    }

    /// <summary>A receiver's counters and per-exporter reports.</summary>
    internal sealed record PortReport(PortStats Stats, IReadOnlyList<ExporterReport> Exporters, IReadOnlyList<RefusedExporterReport> Refused) : INoSerializationVerificationNeeded;
}
