using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using FlowActors.Cluster.Messages;
using WireReader = FlowActors.Detection.LittleEndianReader;
using WireWriter = FlowActors.Detection.LittleEndianWriter;

namespace FlowActors.Cluster.Serialization;

/// <summary>
/// Serializer for every <see cref="IFlowActorsMessage"/>. Journalled events, snapshots and alert-bearing messages
/// are Protocol Buffers with field tags (<c>Proto/flowactors.proto</c>, manifests starting with <c>p</c>), so fields
/// can be added without new manifests; observation batches stay packed little-endian records (the hot path); the
/// other queries and replies are positional little-endian. Bytes under the positional manifests written by earlier
/// versions (<c>fa</c>, <c>aa</c>, <c>aj</c>, <c>sp</c>, <c>fx</c>, <c>pl</c>, <c>hs</c>) are still read. An
/// unknown manifest or corrupt bytes throw <see cref="SerializationException"/>.
/// </summary>
/// <remarks>
/// Manifests, field numbers and layouts are a persisted format: never reuse or change one. Golden bytes of each
/// (tests/FlowActors.Cluster.Tests/Golden) pin them.
/// </remarks>
public sealed class FlowActorsSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer identifier (above 100, as user serializers must be).</summary>
    public const int SerializerId = 4711;

    internal const string ObserveBatchManifest = "ob";
    internal const string StopHostManifest = "sh";
    internal const string GetHostStateManifest = "gh";
    internal const string HostStateReportManifest = "hr"; // without LateObservations: read only
    internal const string HostStateReport2Manifest = "h2";
    internal const string HostSnapshotManifest = "hs"; // positional: read only
    internal const string ForwardAlertManifest = "fa"; // positional: read only
    internal const string AlertAcceptedManifest = "aa"; // positional: read only
    internal const string GetForwarderStatusManifest = "gf";
    internal const string ForwarderStatusManifest = "fs";
    internal const string AlertJournaledManifest = "aj"; // positional: read only
    internal const string SinkProgressManifest = "sp"; // positional: read only
    internal const string ForwarderSnapshotManifest = "fx"; // positional: read only
    internal const string GetReceiverStatsManifest = "gr";
    internal const string ReceiverStatsManifest = "rs";
    internal const string TemplateBlobManifest = "tb";
    internal const string ForwarderStatusV2Manifest = "ft";
    internal const string PullAlertsManifest = "pa";
    internal const string PulledAlertsManifest = "pl"; // positional: read only
    internal const string ShardObservationsManifest = "so";
    internal const string GetShardHostsManifest = "gs";
    internal const string ShardHostsManifest = "sx";

    // Tagged (Protocol Buffers) forms of the alert-bearing and persisted messages; the positional manifests above
    // for the same types (fa, aa, aj, sp, fx, pl, hs) are read only.
    internal const string TaggedForwardAlertManifest = "pfa";
    internal const string TaggedAlertAcceptedManifest = "paa";
    internal const string TaggedAlertJournaledManifest = "paj";
    internal const string TaggedSinkProgressManifest = "psp";
    internal const string TaggedForwarderSnapshotManifest = "pfx";
    internal const string TaggedPulledAlertsManifest = "ppl";
    internal const string TaggedHostSnapshotManifest = "phs";

    /// <summary>First byte of a tagged host-state blob; a positional one (manifest <c>hs</c> layout) starts with an address family (0, 4 or 6).</summary>
    private const byte TaggedHostStateFormat = 2;

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
        HostSnapshot => TaggedHostSnapshotManifest,
        ForwardAlert => TaggedForwardAlertManifest,
        AlertAccepted => TaggedAlertAcceptedManifest,
        GetForwarderStatus => GetForwarderStatusManifest,
        ForwarderStatus => ForwarderStatusV2Manifest,
        PullAlerts => PullAlertsManifest,
        PulledAlerts => TaggedPulledAlertsManifest,
        AlertJournaled => TaggedAlertJournaledManifest,
        SinkProgress => TaggedSinkProgressManifest,
        ForwarderSnapshot => TaggedForwarderSnapshotManifest,
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
        switch (obj)
        {
            case ForwardAlert m: return TaggedFormat.ForwardAlert(m);
            case AlertAccepted m: return TaggedFormat.AlertAccepted(m);
            case AlertJournaled m: return TaggedFormat.AlertJournaled(m);
            case SinkProgress m: return TaggedFormat.SinkProgress(m);
            case ForwarderSnapshot m: return TaggedFormat.ForwarderSnapshot(m);
            case PulledAlerts m: return TaggedFormat.PulledAlerts(m);
            case HostSnapshot m: return TaggedFormat.HostState(m);
        }

        var w = WireWriter.Growable(obj switch
        {
            ObserveBatch b => 32 + b.Observations.Length * 60,
            ShardObservations s => 16 + s.Count * 64,
            _ => 256,
        });
        switch (obj)
        {
            case ObserveBatch m:
                w.CompactAddress(m.Host);
                w.I32(m.Observations.Length);
                foreach (ref readonly var o in m.Observations.AsSpan()) WriteObservation(ref w, in o);
                break;
            case StopHost:
            case GetForwarderStatus:
            case GetReceiverStats:
                break;
            case GetHostState m:
                w.CompactAddress(m.Host);
                break;
            case HostStateReport m:
                WriteHostStateReport(ref w, m);
                break;
            case ShardObservations m:
                // Leaving the process: the sender's in-flight budget is released here, the receiving node's shard owns the copy.
                m.ReleaseInFlight();
                w.I32(m.Shard);
                w.I32(m.Count);
                foreach (ref readonly var o in m.Observations.AsSpan(0, m.Count))
                {
                    w.CompactAddress(o.Host);
                    WriteObservation(ref w, in o);
                }
                break;
            case GetShardHosts m:
                w.I32(m.Shard); w.I32(m.Limit);
                break;
            case ShardHosts m:
                w.I32(m.Shard); w.I32(m.ActiveHosts); w.I32(m.Hosts.Length);
                foreach (var h in m.Hosts) WriteHostStateReport(ref w, h);
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
                w.CompactAddress(m.Exporter); w.U16(m.Version); w.U32(m.Domain); w.U16(m.TemplateId); w.Bool(m.IsOptions); w.I32(m.FieldCount); w.I32(m.ScopeFieldCount); w.SizedBytes(m.Definition); w.I64(m.RefreshedUnixMs);
                break;
            default:
                throw new SerializationException($"FlowActorsSerializer cannot serialize {obj.GetType().FullName}.");
        }
        return w.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            return Read(bytes, manifest);
        }
        catch (InvalidDataException e)
        {
            throw new SerializationException($"FlowActors message '{manifest}' is corrupt: {e.Message}", e);
        }
    }

    private static object Read(byte[] bytes, string manifest)
    {
        switch (manifest)
        {
            case TaggedForwardAlertManifest: return TaggedFormat.ReadForwardAlert(bytes);
            case TaggedAlertAcceptedManifest: return TaggedFormat.ReadAlertAccepted(bytes);
            case TaggedAlertJournaledManifest: return TaggedFormat.ReadAlertJournaled(bytes);
            case TaggedSinkProgressManifest: return TaggedFormat.ReadSinkProgress(bytes);
            case TaggedForwarderSnapshotManifest: return TaggedFormat.ReadForwarderSnapshot(bytes);
            case TaggedPulledAlertsManifest: return TaggedFormat.ReadPulledAlerts(bytes);
            case TaggedHostSnapshotManifest: return TaggedFormat.ReadHostState(bytes);
        }

        var r = new WireReader(bytes);
        switch (manifest)
        {
            case ObserveBatchManifest:
            {
                var host = r.CompactAddress();
                var obs = new FlowObservation[r.CountFitting(MinObservationBytes)];
                for (int i = 0; i < obs.Length; i++) obs[i] = ReadObservation(ref r, host);
                return new ObserveBatch(host, obs);
            }
            case StopHostManifest: return StopHost.Instance;
            case GetForwarderStatusManifest: return GetForwarderStatus.Instance;
            case GetReceiverStatsManifest: return GetReceiverStats.Instance;
            case GetHostStateManifest: return new GetHostState(r.CompactAddress());
            case HostStateReportManifest:
                return new HostStateReport(r.CompactAddress(), r.RequiredString(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I32(), r.I64(), r.Bool(), r.I32());
            case HostStateReport2Manifest: return ReadHostStateReport(ref r);
            case HostSnapshotManifest: return ReadHostSnapshot(ref r);
            case ShardObservationsManifest:
            {
                int shard = r.I32();
                if (shard < 0) throw new SerializationException($"FlowActors message has shard {shard}.");
                int count = r.CountFitting(MinObservationBytes + 1);
                // Rented: the shard that applies the batch returns it to the pool.
                var obs = ObservationPool.Rent(Math.Max(1, count));
                for (int i = 0; i < count; i++)
                {
                    var host = r.CompactAddress();
                    obs[i] = ReadObservation(ref r, host);
                }
                return new ShardObservations(shard, obs, count);
            }
            case GetShardHostsManifest: return new GetShardHosts(r.I32(), r.I32());
            case ShardHostsManifest:
            {
                int shard = r.I32(), active = r.I32();
                var hosts = new HostStateReport[r.CountFitting(8)];
                for (int i = 0; i < hosts.Length; i++) hosts[i] = ReadHostStateReport(ref r);
                return new ShardHosts(shard, active, hosts);
            }
            case ForwardAlertManifest: return new ForwardAlert(ReadAlert(ref r));
            case AlertAcceptedManifest: return new AlertAccepted(r.RequiredString(), r.I32());
            case ForwarderStatusManifest:
            {
                string node = r.RequiredString();
                long last = r.I64(); int outbox = r.I32(); long acc = r.I64(); long dup = r.I64(); long refused = r.I64(); bool recovered = r.Bool();
                var sinks = new SinkStatus[r.CountFitting(4)];
                for (int i = 0; i < sinks.Length; i++) sinks[i] = new SinkStatus(r.RequiredString(), r.I64(), r.I32(), r.I64(), r.I64(), r.String());
                return new ForwarderStatus(node, last, outbox, acc, dup, refused, recovered, sinks);
            }
            case ForwarderStatusV2Manifest:
            {
                string node = r.RequiredString();
                long last = r.I64(); int outbox = r.I32(); long acc = r.I64(); long dup = r.I64(); long refused = r.I64(); bool recovered = r.Bool();
                var sinks = new SinkStatus[r.CountFitting(4)];
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
                var alerts = new PulledAlert[r.CountFitting(12)];
                for (int i = 0; i < alerts.Length; i++) alerts[i] = new PulledAlert(r.I64(), ReadAlert(ref r));
                return new PulledAlerts(alerts, r.I64(), r.I64(), r.Bool(), r.I32());
            }
            case AlertJournaledManifest: return new AlertJournaled(ReadAlert(ref r));
            case SinkProgressManifest: return new SinkProgress(r.RequiredString(), r.I64());
            case ForwarderSnapshotManifest:
            {
                var outbox = new OutboxEntry[r.CountFitting(8)];
                for (int i = 0; i < outbox.Length; i++) outbox[i] = new OutboxEntry(r.I64(), ReadAlert(ref r));
                var progress = new SinkProgress[r.CountFitting(12)];
                for (int i = 0; i < progress.Length; i++) progress[i] = new SinkProgress(r.RequiredString(), r.I64());
                var ids = new string[r.CountFitting(4)];
                for (int i = 0; i < ids.Length; i++) ids[i] = r.RequiredString();
                return new ForwarderSnapshot(outbox, progress, ids);
            }
            case ReceiverStatsManifest:
            {
                var ports = new PortStats[r.CountFitting(4)];
                for (int i = 0; i < ports.Length; i++)
                    ports[i] = new PortStats(r.I32(), r.I32(), r.I32(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
                var exporters = new ExporterReport[r.CountFitting(4)];
                for (int i = 0; i < exporters.Length; i++)
                    exporters[i] = new ExporterReport(r.RequiredString(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
                var templates = new TemplateReport[r.CountFitting(4)];
                for (int i = 0; i < templates.Length; i++)
                    templates[i] = new TemplateReport(r.RequiredString(), r.U16(), r.U32(), r.U16(), r.Bool(), r.Bool());
                var refused = new RefusedExporterReport[r.CountFitting(4)];
                for (int i = 0; i < refused.Length; i++)
                    refused[i] = new RefusedExporterReport(r.RequiredString(), r.I64(), r.I64());
                return new ReceiverStats(ports, exporters, templates, refused);
            }
            case TemplateBlobManifest:
                return new TemplateBlob(r.CompactAddress(), r.U16(), r.U32(), r.U16(), r.Bool(), r.I32(), r.I32(), r.SizedBytes(), r.I64());
            default:
                throw new SerializationException($"FlowActorsSerializer does not know manifest '{manifest}'.");
        }
    }

    private static void WriteHostStateReport(ref WireWriter w, HostStateReport m)
    {
        w.CompactAddress(m.Host); w.String(m.NodeAddress); w.I64(m.FlowsObserved); w.I64(m.WindowsClosed); w.I64(m.EventTimeMs);
        w.I64(m.BatchesApplied); w.I64(m.AlertsRaised); w.I32(m.UnacknowledgedAlerts); w.I64(m.AlertsDropped);
        w.Bool(m.RestoredFromSnapshot); w.I32(m.SnapshotBytes); w.I64(m.LateObservations);
    }

    private static HostStateReport ReadHostStateReport(ref WireReader r) =>
        new(r.CompactAddress(), r.RequiredString(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I32(), r.I64(), r.Bool(), r.I32(), r.I64());

    /// <summary>The positional host snapshot (manifest <c>hs</c>, read only).</summary>
    private static HostSnapshot ReadHostSnapshot(ref WireReader r)
    {
        var host = r.CompactAddress();
        long flows = r.I64();
        var behavior = r.SizedBytes();
        var alerts = new Alert[r.CountFitting(4)];
        for (int i = 0; i < alerts.Length; i++) alerts[i] = ReadAlert(ref r);
        return new HostSnapshot(host, flows, behavior, alerts);
    }

    /// <summary>
    /// A host's stored state as bytes for the host-state table: a format byte (2), then the tagged
    /// <c>HostState</c> message of Proto/flowactors.proto.
    /// </summary>
    public static byte[] EncodeHostState(HostSnapshot snapshot) => TaggedFormat.HostState(snapshot, TaggedHostStateFormat);

    /// <summary>
    /// The same bytes as <see cref="EncodeHostState(HostSnapshot)"/> for a host whose behaviour snapshot is in the
    /// caller's (reused) buffer: the snapshot is copied once, straight into the returned row.
    /// </summary>
    /// <param name="host">The monitored host.</param>
    /// <param name="flowsObserved">Observations the host has applied.</param>
    /// <param name="behavior">The host's behaviour snapshot (<c>HostBehavior.WriteSnapshot</c>'s bytes).</param>
    /// <param name="unacknowledged">Its alerts not yet acknowledged, in the order raised.</param>
    public static byte[] EncodeHostState(Protocols.FlowAddress host, long flowsObserved, ReadOnlySpan<byte> behavior, IReadOnlyList<Alert> unacknowledged)
    {
        ArgumentNullException.ThrowIfNull(unacknowledged);
        return TaggedFormat.HostState(host, flowsObserved, behavior, unacknowledged, TaggedHostStateFormat);
    }

    /// <summary>The same bytes as <see cref="EncodeHostState(Protocols.FlowAddress, long, ReadOnlySpan{byte}, IReadOnlyList{Alert})"/>, written into a range of <paramref name="arena"/>.</summary>
    public static ReadOnlyMemory<byte> EncodeHostState(Protocols.FlowAddress host, long flowsObserved, ReadOnlySpan<byte> behavior, IReadOnlyList<Alert> unacknowledged, Persistence.ByteArena arena)
    {
        ArgumentNullException.ThrowIfNull(unacknowledged);
        ArgumentNullException.ThrowIfNull(arena);
        return TaggedFormat.HostState(host, flowsObserved, behavior, unacknowledged, TaggedHostStateFormat, arena);
    }

    /// <summary>
    /// Decodes <see cref="EncodeHostState(HostSnapshot)"/>'s bytes, or the positional layout (manifest <c>hs</c>) earlier versions
    /// stored; throws <see cref="SerializationException"/> when they are corrupt.
    /// </summary>
    public static HostSnapshot DecodeHostState(byte[] bytes) => DecodeHostState((ReadOnlyMemory<byte>)bytes);

    /// <summary>Decodes a stored host state held in any memory (a row read back, or one still in a flush's arena).</summary>
    public static HostSnapshot DecodeHostState(ReadOnlyMemory<byte> state)
    {
        if (state.Length == 0) throw new SerializationException("Stored host state is empty.");
        if (state.Span[0] == TaggedHostStateFormat) return TaggedFormat.ReadHostState(state.Span[1..]);
        byte[] bytes = Persistence.ByteArena.ExactArray(state); // the positional layout of old rows is read from arrays only
        try
        {
            var r = new WireReader(bytes);
            var snapshot = ReadHostSnapshot(ref r);
            if (r.Remaining != 0) throw new SerializationException("Stored host state has trailing bytes.");
            return snapshot;
        }
        catch (InvalidDataException e)
        {
            throw new SerializationException($"Stored host state is corrupt: {e.Message}", e);
        }
    }

    private static void WriteObservation(ref WireWriter w, in FlowObservation o)
    {
        w.CompactAddress(o.Peer); w.I64(o.StartMs); w.I64(o.EndMs); w.U64(o.Packets); w.U64(o.Bytes);
        w.U16(o.LocalPort); w.U16(o.PeerPort); w.U16(o.TcpFlags); w.U8(o.Protocol);
        // Bit 4 says the peer's AS follows (only when the exporter sent one), so bytes without it still read.
        w.U8((byte)((o.Outbound ? 1 : 0) | (o.PeerIsInternal ? 2 : 0) | (o.PeerAs != 0 ? 4 : 0)));
        if (o.PeerAs != 0) w.U32(o.PeerAs);
    }

    private static FlowObservation ReadObservation(ref WireReader r, Protocols.FlowAddress host)
    {
        var peer = r.CompactAddress();
        long start = r.I64(), end = r.I64();
        ulong packets = r.U64(), bytes = r.U64();
        ushort localPort = r.U16(), peerPort = r.U16(), flags = r.U16();
        byte protocol = r.U8(), bits = r.U8();
        uint peerAs = (bits & 4) != 0 ? r.U32() : 0;
        return new FlowObservation(host, peer, localPort, peerPort, protocol, flags, (bits & 1) != 0, (bits & 2) != 0, packets, bytes, start, end, peerAs);
    }

    private static DateTime Utc(long ticks) =>
        ticks is < 0 or > 3155378975999999999 ? throw new SerializationException($"FlowActors message has an impossible time ({ticks} ticks).") : new DateTime(ticks, DateTimeKind.Utc);

    /// <summary>The positional alert of the read-only manifests <c>fa</c>, <c>aj</c>, <c>fx</c>, <c>pl</c> and <c>hs</c>.</summary>
    private static Alert ReadAlert(ref WireReader r)
    {
        string id = r.RequiredString();
        var time = Utc(r.I64());
        string host = r.RequiredString();
        string role = r.RequiredString();
        var peers = new string[r.CountFitting(4)];
        for (int i = 0; i < peers.Length; i++) peers[i] = r.RequiredString();
        var ports = new int[r.CountFitting(4)];
        for (int i = 0; i < ports.Length; i++) ports[i] = r.I32();
        string detector = r.RequiredString(), tactic = r.RequiredString(), tacticName = r.RequiredString();
        string technique = r.RequiredString(), techniqueName = r.RequiredString();
        int severity = r.I32();
        string summary = r.RequiredString();
        int evidenceCount = r.CountFitting(12);
        var evidence = new Dictionary<string, double>(evidenceCount, StringComparer.Ordinal);
        for (int i = 0; i < evidenceCount; i++) evidence[r.RequiredString()] = r.F64();
        var windowStart = Utc(r.I64());
        var windowEnd = Utc(r.I64());
        return new Alert(id, time, host, role, peers, ports, detector, tactic, tacticName, technique, techniqueName,
            severity, summary, evidence, windowStart, windowEnd, r.I32());
    }
}
