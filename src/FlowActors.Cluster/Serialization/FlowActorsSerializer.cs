using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using FlowActors.Cluster.Messages;

namespace FlowActors.Cluster.Serialization;

/// <summary>
/// Compact binary serializer for every <see cref="IFlowActorsMessage"/> (messages, persisted events and
/// snapshots): little-endian fields written with BinaryPrimitives, two-letter manifests. Observations travel
/// as packed fixed-size records. An unknown manifest throws <see cref="SerializationException"/>.
/// </summary>
/// <remarks>Manifests and layouts are a persisted format: never reuse or change one; add a new manifest instead.</remarks>
public sealed class FlowActorsSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer identifier (above 100, as user serializers must be).</summary>
    public const int SerializerId = 4711;

    internal const string ObserveBatchManifest = "ob";
    internal const string StopHostManifest = "sh";
    internal const string GetHostStateManifest = "gh";
    internal const string HostStateReportManifest = "hr"; // without LateObservations: read only
    internal const string HostStateReport2Manifest = "h2";
    internal const string HostSnapshotManifest = "hs";
    internal const string ForwardAlertManifest = "fa";
    internal const string AlertAcceptedManifest = "aa";
    internal const string GetForwarderStatusManifest = "gf";
    internal const string ForwarderStatusManifest = "fs";
    internal const string AlertJournaledManifest = "aj";
    internal const string SinkProgressManifest = "sp";
    internal const string ForwarderSnapshotManifest = "fx";
    internal const string GetReceiverStatsManifest = "gr";
    internal const string ReceiverStatsManifest = "rs";
    internal const string TemplateBlobManifest = "tb";
    internal const string ForwarderStatusV2Manifest = "ft";
    internal const string PullAlertsManifest = "pa";
    internal const string PulledAlertsManifest = "pl";
    internal const string ShardObservationsManifest = "so";
    internal const string GetShardHostsManifest = "gs";
    internal const string ShardHostsManifest = "sx";

    /// <summary>Smallest packed observation: peer (1, 5 or 17 bytes) then fixed fields; the host is written once per batch.</summary>
    internal const int MinObservationBytes = 1 + 8 + 8 + 8 + 8 + 2 + 2 + 2 + 1 + 1;


    /// <summary>Creates the serializer (called by Akka with the actor system).</summary>
    public FlowActorsSerializer(ExtendedActorSystem system) : base(system) { }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        ObserveBatch => ObserveBatchManifest,
        StopHost => StopHostManifest,
        GetHostState => GetHostStateManifest,
        HostStateReport => HostStateReport2Manifest,
        HostSnapshot => HostSnapshotManifest,
        ForwardAlert => ForwardAlertManifest,
        AlertAccepted => AlertAcceptedManifest,
        GetForwarderStatus => GetForwarderStatusManifest,
        ForwarderStatus => ForwarderStatusV2Manifest,
        PullAlerts => PullAlertsManifest,
        PulledAlerts => PulledAlertsManifest,
        AlertJournaled => AlertJournaledManifest,
        SinkProgress => SinkProgressManifest,
        ForwarderSnapshot => ForwarderSnapshotManifest,
        GetReceiverStats => GetReceiverStatsManifest,
        ReceiverStats => ReceiverStatsManifest,
        TemplateBlob => TemplateBlobManifest,
        ShardObservations => ShardObservationsManifest,
        GetShardHosts => GetShardHostsManifest,
        ShardHosts => ShardHostsManifest,
        _ => throw new SerializationException($"FlowActorsSerializer cannot serialize {o.GetType().FullName}."),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var w = new WireWriter(obj switch
        {
            ObserveBatch b => 32 + b.Observations.Length * 60,
            ShardObservations s => 16 + s.Count * 64,
            _ => 256,
        });
        switch (obj)
        {
            case ObserveBatch m:
                w.Address(m.Host);
                w.I32(m.Observations.Length);
                foreach (ref readonly var o in m.Observations.AsSpan()) WriteObservation(w, in o);
                break;
            case StopHost:
            case GetForwarderStatus:
            case GetReceiverStats:
                break;
            case GetHostState m:
                w.Address(m.Host);
                break;
            case HostStateReport m:
                WriteHostStateReport(w, m);
                break;
            case HostSnapshot m:
                WriteHostSnapshot(w, m);
                break;
            case ShardObservations m:
                // Leaving the process: the sender's in-flight budget is released here, the receiving node's shard owns the copy.
                m.ReleaseInFlight();
                w.I32(m.Shard);
                w.I32(m.Count);
                foreach (ref readonly var o in m.Observations.AsSpan(0, m.Count))
                {
                    w.Address(o.Host);
                    WriteObservation(w, in o);
                }
                break;
            case GetShardHosts m:
                w.I32(m.Shard); w.I32(m.Limit);
                break;
            case ShardHosts m:
                w.I32(m.Shard); w.I32(m.ActiveHosts); w.I32(m.Hosts.Length);
                foreach (var h in m.Hosts) WriteHostStateReport(w, h);
                break;
            case ForwardAlert m:
                WriteAlert(w, m.Alert);
                WriteTraceParent(w, m.TraceParent);
                break;
            case AlertAccepted m:
                w.String(m.AlertId); w.I32(m.Count);
                break;
            case ForwarderStatus m:
                w.String(m.NodeAddress); w.I64(m.LastSequenceNr); w.I32(m.Outbox); w.I64(m.Accepted); w.I64(m.Duplicates); w.I64(m.Refused); w.Bool(m.Recovered);
                w.I32(m.Sinks.Count);
                foreach (var s in m.Sinks)
                {
                    w.String(s.Name); w.I64(s.DeliveredThrough); w.I32(s.Pending); w.I64(s.Delivered); w.I64(s.Failures); w.String(s.LastError);
                    w.I64(s.Retried); w.I64(s.Dropped); w.I64(s.RateLimited); w.I64(s.Filtered); w.I64(s.SuppressedUpdates);
                    w.String(s.Circuit); w.String(s.Health); w.F64(s.LatencyP50Ms); w.F64(s.LatencyP99Ms); w.I64(s.NextAttemptUnixMs);
                }
                w.I64(m.Stale); w.I64(m.PullOldest);
                break;
            case PullAlerts m:
                w.Bool(m.After.HasValue); w.I64(m.After ?? 0); w.I32(m.Limit);
                break;
            case PulledAlerts m:
                w.I32(m.Alerts.Count);
                foreach (var a in m.Alerts) { w.I64(a.Cursor); WriteAlert(w, a.Alert); }
                w.I64(m.Next); w.I64(m.Oldest); w.Bool(m.Truncated); w.I32(m.Window);
                break;
            case AlertJournaled m:
                WriteAlert(w, m.Alert);
                WriteTraceParent(w, m.TraceParent);
                break;
            case SinkProgress m:
                w.String(m.Sink); w.I64(m.DeliveredThrough);
                break;
            case ForwarderSnapshot m:
                w.I32(m.Outbox.Count);
                foreach (var e in m.Outbox) { w.I64(e.SequenceNr); WriteAlert(w, e.Alert); }
                w.I32(m.Progress.Count);
                foreach (var p in m.Progress) { w.String(p.Sink); w.I64(p.DeliveredThrough); }
                w.I32(m.RecentIds.Count);
                foreach (var id in m.RecentIds) w.String(id);
                break;
            case ReceiverStats m:
                w.I32(m.Ports.Count);
                foreach (var p in m.Ports)
                {
                    w.I32(p.Port); w.I32(p.Sockets); w.I32(p.ReceiveBufferBytes); w.I64(p.Datagrams); w.I64(p.Bytes); w.I64(p.Records); w.I64(p.Observations);
                    w.I64(p.DecodeErrors); w.I64(p.DroppedNotAllowed); w.I64(p.DroppedOutputFull); w.I64(p.DroppedHostLimit); w.I64(p.BatchesSent);
                    w.I64(p.DroppedKernel); w.I64(p.RepairedTimes); w.I64(p.TemplatesRefused);
                }
                w.I32(m.Exporters.Count);
                foreach (var e in m.Exporters)
                {
                    w.String(e.Exporter); w.I64(e.Datagrams); w.I64(e.Records); w.I64(e.DecodeErrors); w.I64(e.TemplatesLearned); w.I64(e.RecordsUndecodable); w.I64(e.LastSeenUnixMs);
                }
                w.I32(m.Templates.Count);
                foreach (var t in m.Templates)
                {
                    w.String(t.Exporter); w.U16(t.Version); w.U32(t.Domain); w.U16(t.TemplateId); w.Bool(t.IsOptions); w.Bool(t.Replicated);
                }
                w.I32(m.RefusedExporters.Count);
                foreach (var x in m.RefusedExporters)
                {
                    w.String(x.Exporter); w.I64(x.Datagrams); w.I64(x.LastSeenUnixMs);
                }
                break;
            case TemplateBlob m:
                w.Address(m.Exporter); w.U16(m.Version); w.U32(m.Domain); w.U16(m.TemplateId); w.Bool(m.IsOptions); w.I32(m.FieldCount); w.I32(m.ScopeFieldCount); w.Bytes(m.Definition); w.I64(m.RefreshedUnixMs);
                break;
            default:
                throw new SerializationException($"FlowActorsSerializer cannot serialize {obj.GetType().FullName}.");
        }
        return w.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new WireReader(bytes);
        switch (manifest)
        {
            case ObserveBatchManifest:
            {
                var host = r.Address();
                var obs = new FlowObservation[r.Count(MinObservationBytes)];
                for (int i = 0; i < obs.Length; i++) obs[i] = ReadObservation(ref r, host);
                return new ObserveBatch(host, obs);
            }
            case StopHostManifest: return StopHost.Instance;
            case GetForwarderStatusManifest: return GetForwarderStatus.Instance;
            case GetReceiverStatsManifest: return GetReceiverStats.Instance;
            case GetHostStateManifest: return new GetHostState(r.Address());
            case HostStateReportManifest:
                return new HostStateReport(r.Address(), r.RequiredString(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I32(), r.I64(), r.Bool(), r.I32());
            case HostStateReport2Manifest: return ReadHostStateReport(ref r);
            case HostSnapshotManifest: return ReadHostSnapshot(ref r);
            case ShardObservationsManifest:
            {
                int shard = r.I32();
                if (shard < 0) throw new SerializationException($"FlowActors message has shard {shard}.");
                int count = r.Count(MinObservationBytes + 1);
                // Rented: the shard that applies the batch returns it to the pool.
                var obs = ObservationPool.Rent(Math.Max(1, count));
                for (int i = 0; i < count; i++)
                {
                    var host = r.Address();
                    obs[i] = ReadObservation(ref r, host);
                }
                return new ShardObservations(shard, obs, count);
            }
            case GetShardHostsManifest: return new GetShardHosts(r.I32(), r.I32());
            case ShardHostsManifest:
            {
                int shard = r.I32(), active = r.I32();
                var hosts = new HostStateReport[r.Count(8)];
                for (int i = 0; i < hosts.Length; i++) hosts[i] = ReadHostStateReport(ref r);
                return new ShardHosts(shard, active, hosts);
            }
            case ForwardAlertManifest: return new ForwardAlert(ReadAlert(ref r), ReadTraceParent(ref r));
            case AlertAcceptedManifest: return new AlertAccepted(r.RequiredString(), r.I32());
            case ForwarderStatusManifest:
            {
                string node = r.RequiredString();
                long last = r.I64(); int outbox = r.I32(); long acc = r.I64(); long dup = r.I64(); long refused = r.I64(); bool recovered = r.Bool();
                var sinks = new SinkStatus[r.Count(4)];
                for (int i = 0; i < sinks.Length; i++) sinks[i] = new SinkStatus(r.RequiredString(), r.I64(), r.I32(), r.I64(), r.I64(), r.String());
                return new ForwarderStatus(node, last, outbox, acc, dup, refused, recovered, sinks);
            }
            case ForwarderStatusV2Manifest:
            {
                string node = r.RequiredString();
                long last = r.I64(); int outbox = r.I32(); long acc = r.I64(); long dup = r.I64(); long refused = r.I64(); bool recovered = r.Bool();
                var sinks = new SinkStatus[r.Count(4)];
                for (int i = 0; i < sinks.Length; i++)
                {
                    sinks[i] = new SinkStatus(r.RequiredString(), r.I64(), r.I32(), r.I64(), r.I64(), r.String())
                    {
                        Retried = r.I64(), Dropped = r.I64(), RateLimited = r.I64(), Filtered = r.I64(), SuppressedUpdates = r.I64(),
                        Circuit = r.RequiredString(), Health = r.RequiredString(), LatencyP50Ms = r.F64(), LatencyP99Ms = r.F64(), NextAttemptUnixMs = r.I64(),
                    };
                }
                return new ForwarderStatus(node, last, outbox, acc, dup, refused, recovered, sinks) { Stale = r.I64(), PullOldest = r.I64() };
            }
            case PullAlertsManifest:
            {
                bool has = r.Bool(); long after = r.I64();
                return new PullAlerts(has ? after : null, r.I32());
            }
            case PulledAlertsManifest:
            {
                var alerts = new PulledAlert[r.Count(12)];
                for (int i = 0; i < alerts.Length; i++) alerts[i] = new PulledAlert(r.I64(), ReadAlert(ref r));
                return new PulledAlerts(alerts, r.I64(), r.I64(), r.Bool(), r.I32());
            }
            case AlertJournaledManifest: return new AlertJournaled(ReadAlert(ref r), ReadTraceParent(ref r));
            case SinkProgressManifest: return new SinkProgress(r.RequiredString(), r.I64());
            case ForwarderSnapshotManifest:
            {
                var outbox = new OutboxEntry[r.Count(8)];
                for (int i = 0; i < outbox.Length; i++) outbox[i] = new OutboxEntry(r.I64(), ReadAlert(ref r));
                var progress = new SinkProgress[r.Count(12)];
                for (int i = 0; i < progress.Length; i++) progress[i] = new SinkProgress(r.RequiredString(), r.I64());
                var ids = new string[r.Count(4)];
                for (int i = 0; i < ids.Length; i++) ids[i] = r.RequiredString();
                return new ForwarderSnapshot(outbox, progress, ids);
            }
            case ReceiverStatsManifest:
            {
                var ports = new PortStats[r.Count(4)];
                for (int i = 0; i < ports.Length; i++)
                    ports[i] = new PortStats(r.I32(), r.I32(), r.I32(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
                var exporters = new ExporterReport[r.Count(4)];
                for (int i = 0; i < exporters.Length; i++)
                    exporters[i] = new ExporterReport(r.RequiredString(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
                var templates = new TemplateReport[r.Count(4)];
                for (int i = 0; i < templates.Length; i++)
                    templates[i] = new TemplateReport(r.RequiredString(), r.U16(), r.U32(), r.U16(), r.Bool(), r.Bool());
                var refused = new RefusedExporterReport[r.Count(4)];
                for (int i = 0; i < refused.Length; i++)
                    refused[i] = new RefusedExporterReport(r.RequiredString(), r.I64(), r.I64());
                return new ReceiverStats(ports, exporters, templates, refused);
            }
            case TemplateBlobManifest:
                return new TemplateBlob(r.Address(), r.U16(), r.U32(), r.U16(), r.Bool(), r.I32(), r.I32(), r.Bytes(), r.I64());
            default:
                throw new SerializationException($"FlowActorsSerializer does not know manifest '{manifest}'.");
        }
    }

    private static void WriteHostStateReport(WireWriter w, HostStateReport m)
    {
        w.Address(m.Host); w.String(m.NodeAddress); w.I64(m.FlowsObserved); w.I64(m.WindowsClosed); w.I64(m.EventTimeMs);
        w.I64(m.BatchesApplied); w.I64(m.AlertsRaised); w.I32(m.UnacknowledgedAlerts); w.I64(m.AlertsDropped);
        w.Bool(m.RestoredFromSnapshot); w.I32(m.SnapshotBytes); w.I64(m.LateObservations);
    }

    private static HostStateReport ReadHostStateReport(ref WireReader r) =>
        new(r.Address(), r.RequiredString(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I32(), r.I64(), r.Bool(), r.I32(), r.I64());

    private static void WriteHostSnapshot(WireWriter w, HostSnapshot m)
    {
        w.Address(m.Host); w.I64(m.FlowsObserved); w.Bytes(m.Behavior);
        w.I32(m.Unacknowledged.Length);
        foreach (var a in m.Unacknowledged) WriteAlert(w, a);
    }

    private static HostSnapshot ReadHostSnapshot(ref WireReader r)
    {
        var host = r.Address();
        long flows = r.I64();
        var behavior = r.Bytes();
        var alerts = new Alert[r.Count(4)];
        for (int i = 0; i < alerts.Length; i++) alerts[i] = ReadAlert(ref r);
        return new HostSnapshot(host, flows, behavior, alerts);
    }

    /// <summary>A host's stored state (the <see cref="HostSnapshot"/> layout, manifest <c>hs</c>) as bytes for the host-state table.</summary>
    public static byte[] EncodeHostState(HostSnapshot snapshot)
    {
        var w = new WireWriter(64 + snapshot.Behavior.Length);
        WriteHostSnapshot(w, snapshot);
        return w.ToArray();
    }

    /// <summary>Decodes <see cref="EncodeHostState"/>'s bytes; throws <see cref="SerializationException"/> when they are corrupt.</summary>
    public static HostSnapshot DecodeHostState(byte[] bytes)
    {
        var r = new WireReader(bytes);
        var snapshot = ReadHostSnapshot(ref r);
        if (r.Remaining != 0) throw new SerializationException("Stored host state has trailing bytes.");
        return snapshot;
    }

    private static void WriteObservation(WireWriter w, in FlowObservation o)
    {
        w.Address(o.Peer); w.I64(o.StartMs); w.I64(o.EndMs); w.U64(o.Packets); w.U64(o.Bytes);
        w.U16(o.LocalPort); w.U16(o.PeerPort); w.U16(o.TcpFlags); w.U8(o.Protocol);
        // Bit 4 says the peer's AS follows (only when the exporter sent one), so bytes without it still read.
        w.U8((byte)((o.Outbound ? 1 : 0) | (o.PeerIsInternal ? 2 : 0) | (o.PeerAs != 0 ? 4 : 0)));
        if (o.PeerAs != 0) w.U32(o.PeerAs);
    }

    private static FlowObservation ReadObservation(ref WireReader r, Protocols.FlowAddress host)
    {
        var peer = r.Address();
        long start = r.I64(), end = r.I64();
        ulong packets = r.U64(), bytes = r.U64();
        ushort localPort = r.U16(), peerPort = r.U16(), flags = r.U16();
        byte protocol = r.U8(), bits = r.U8();
        uint peerAs = (bits & 4) != 0 ? r.U32() : 0;
        return new FlowObservation(host, peer, localPort, peerPort, protocol, flags, (bits & 1) != 0, (bits & 2) != 0, packets, bytes, start, end, peerAs);
    }

    /// <summary>
    /// The W3C traceparent, appended after the alert only when there is one: messages and journal events written
    /// before it existed end after the alert, and read as having none.
    /// </summary>
    private static void WriteTraceParent(WireWriter w, string? traceParent)
    {
        if (traceParent is not null) w.String(traceParent);
    }

    private static string? ReadTraceParent(ref WireReader r) => r.Remaining > 0 ? r.String() : null;

    private static void WriteAlert(WireWriter w, Alert a)
    {
        w.String(a.Id); w.I64(a.Time.Ticks); w.String(a.Host); w.String(a.Role);
        w.I32(a.Peers.Count);
        foreach (var p in a.Peers) w.String(p);
        w.I32(a.Ports.Count);
        foreach (var p in a.Ports) w.I32(p);
        w.String(a.Detector); w.String(a.Tactic); w.String(a.TacticName); w.String(a.Technique); w.String(a.TechniqueName);
        w.I32(a.Severity); w.String(a.Summary);
        w.I32(a.Evidence.Count);
        foreach (var (name, value) in a.Evidence) { w.String(name); w.F64(value); }
        w.I64(a.WindowStart.Ticks); w.I64(a.WindowEnd.Ticks); w.I32(a.Count);
    }

    private static DateTime Utc(long ticks) =>
        ticks is < 0 or > 3155378975999999999 ? throw new SerializationException($"FlowActors message has an impossible time ({ticks} ticks).") : new DateTime(ticks, DateTimeKind.Utc);

    private static Alert ReadAlert(ref WireReader r)
    {
        string id = r.RequiredString();
        var time = Utc(r.I64());
        string host = r.RequiredString();
        string role = r.RequiredString();
        var peers = new string[r.Count(4)];
        for (int i = 0; i < peers.Length; i++) peers[i] = r.RequiredString();
        var ports = new int[r.Count(4)];
        for (int i = 0; i < ports.Length; i++) ports[i] = r.I32();
        string detector = r.RequiredString(), tactic = r.RequiredString(), tacticName = r.RequiredString();
        string technique = r.RequiredString(), techniqueName = r.RequiredString();
        int severity = r.I32();
        string summary = r.RequiredString();
        int evidenceCount = r.Count(12);
        var evidence = new Dictionary<string, double>(evidenceCount, StringComparer.Ordinal);
        for (int i = 0; i < evidenceCount; i++) evidence[r.RequiredString()] = r.F64();
        var windowStart = Utc(r.I64());
        var windowEnd = Utc(r.I64());
        return new Alert(id, time, host, role, peers, ports, detector, tactic, tacticName, technique, techniqueName,
            severity, summary, evidence, windowStart, windowEnd, r.I32());
    }
}
