using Akka;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using FlowActors.Cluster.Messages;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// This node's receivers: the template replicator and one <see cref="FlowReceiverActor"/> per configured port.
/// Opens the ports only once the node is up and the <c>host</c> shard region knows its coordinator, so
/// start-up traffic is not piled into the region's buffer. Answers <see cref="GetReceiverStats"/>; on
/// <see cref="StopReceivers"/> (coordinated shutdown) closes the ports after they flush their batches.
/// </summary>
public sealed class ReceiverSupervisorActor : ReceiveActor, IWithTimers
{
    private readonly FlowActorsClusterOptions _options;
    private readonly IActorRef _region;
    private readonly InFlightBudget _inFlight;
    private readonly TemplateExchange _exchange = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _receivers = new();
    private IActorRef _replicator = ActorRefs.Nobody;
    private bool _stopped;

    /// <summary>Creates the supervisor; <paramref name="region"/> is the host shard region or its proxy.</summary>
    public ReceiverSupervisorActor(FlowActorsClusterOptions options, IActorRef region)
    {
        _options = options;
        _region = region;
        _inFlight = new InFlightBudget(options.MaxInFlightObservations);

        Receive<CheckRegion>(_ =>
        {
            if (_stopped || _receivers.Count > 0) return;
            _region.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(3))
                .ContinueWith(t => t.IsCompletedSuccessfully ? (object)new RegionAnswer(t.Result.Regions.Count) : new RegionAnswer(0), TaskScheduler.Default)
                .PipeTo(Self);
        });
        Receive<RegionAnswer>(a =>
        {
            if (_stopped || _receivers.Count > 0) return;
            if (a.Regions == 0)
            {
                Timers.StartSingleTimer("check", CheckRegion.Instance, TimeSpan.FromMilliseconds(500));
                return;
            }
            StartReceivers();
        });
        Receive<GetReceiverStats>(_ => Gather().PipeTo(Sender));
        Receive<Terminated>(t =>
        {
            // A port that could not be bound (or whose actor failed) is gone: stop asking it, so the stats (and
            // readiness, which compares them with the configured ports) show it missing instead of timing out.
            if (_receivers.Remove(t.ActorRef)) _log.Error("Flow receiver {0} stopped; its UDP port is not received and the node is not ready", t.ActorRef.Path.Name);
        });
        Receive<StopReceivers>(_ =>
        {
            _stopped = true;
            foreach (var r in _receivers) Context.Unwatch(r);
            var stops = new List<Task>(_receivers.Count);
            foreach (var r in _receivers) stops.Add(r.GracefulStop(TimeSpan.FromSeconds(10)));
            _receivers.Clear();
            Task.WhenAll(stops).ContinueWith(_ => Done.Instance, TaskScheduler.Default).PipeTo(Sender);
        });
    }

    /// <summary>Props for the supervisor.</summary>
    public static Props GetProps(FlowActorsClusterOptions options, IActorRef region) =>
        Props.Create(() => new ReceiverSupervisorActor(options, region));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        _replicator = Context.ActorOf(TemplateReplicatorActor.GetProps(_exchange,
            _options.Decoder.MaxTemplates, _options.Decoder.MaxTemplatesPerExporter, _options.Decoder.TemplateMaxAge), "templates");
        var self = Self;
        Akka.Cluster.Cluster.Get(Context.System).RegisterOnMemberUp(() => self.Tell(CheckRegion.Instance));
    }

    private void StartReceivers()
    {
        for (int i = 0; i < _options.Receivers.Count; i++)
        {
            var port = _options.Receivers[i];
            var receiver = Context.ActorOf(FlowReceiverActor.GetProps(port, _options, _region, _inFlight, _replicator, _exchange), $"udp-{i}-{port.Port}");
            Context.Watch(receiver);
            _receivers.Add(receiver);
        }
        _log.Info("Host shard region ready; started {0} flow receiver(s)", _receivers.Count);
    }

    private async Task<ReceiverStats> Gather()
    {
        var timeout = TimeSpan.FromSeconds(5);
        var portTasks = new List<Task<FlowReceiverActor.PortReport>>();
        foreach (var r in _receivers) portTasks.Add(r.Ask<FlowReceiverActor.PortReport>(FlowReceiverActor.GetPortStats.Instance, timeout));
        var templates = await _replicator.Ask<TemplateReport[]>(TemplateReplicatorActor.GetTemplateReports.Instance, timeout).ConfigureAwait(false);
        var ports = new List<PortStats>();
        var byExporter = new Dictionary<string, ExporterReport>(StringComparer.Ordinal);
        var refused = new Dictionary<string, RefusedExporterReport>(StringComparer.Ordinal);
        foreach (var t in portTasks)
        {
            var report = await t.ConfigureAwait(false);
            ports.Add(report.Stats);
            foreach (var x in report.Refused)
            {
                refused[x.Exporter] = refused.TryGetValue(x.Exporter, out var o)
                    ? new RefusedExporterReport(x.Exporter, o.Datagrams + x.Datagrams, Math.Max(o.LastSeenUnixMs, x.LastSeenUnixMs))
                    : x;
            }
            foreach (var e in report.Exporters)
            {
                byExporter[e.Exporter] = byExporter.TryGetValue(e.Exporter, out var o)
                    ? new ExporterReport(e.Exporter, o.Datagrams + e.Datagrams, o.Records + e.Records, o.DecodeErrors + e.DecodeErrors,
                        o.TemplatesLearned + e.TemplatesLearned, o.RecordsUndecodable + e.RecordsUndecodable, Math.Max(o.LastSeenUnixMs, e.LastSeenUnixMs))
                    : e;
            }
        }
        return new ReceiverStats(ports, [.. byExporter.Values], templates, [.. refused.Values]);
    }

    /// <summary>Closes every port after its pending batches are sent; answered with <see cref="Done"/>.</summary>
    public sealed record StopReceivers : INoSerializationVerificationNeeded
    {
        /// <summary>The single instance.</summary>
        public static readonly StopReceivers Instance = new();
    }

    private sealed record CheckRegion : INoSerializationVerificationNeeded
    {
        public static readonly CheckRegion Instance = new();
    }

    private sealed record RegionAnswer(int Regions) : INoSerializationVerificationNeeded;
}
