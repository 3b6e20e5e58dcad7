using FlowActors.Protocols;
using FlowActors.Protocols.Templates;

namespace FlowActors.Cluster.Messages;

/// <summary>Asks this node's receivers for their counters (answered with <see cref="ReceiverStats"/>).</summary>
public sealed record GetReceiverStats : IFlowActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetReceiverStats Instance = new();
    private GetReceiverStats() { }
}

/// <summary>Counters of one exporter as seen by this node.</summary>
/// <param name="Exporter">Exporter address.</param>
/// <param name="Datagrams">Datagrams received.</param>
/// <param name="Records">Flow records decoded.</param>
/// <param name="DecodeErrors">Datagrams with a decode error.</param>
/// <param name="TemplatesLearned">Templates learnt from this exporter's datagrams.</param>
/// <param name="RecordsUndecodable">Data records dropped because their template was unknown.</param>
/// <param name="LastSeenUnixMs">Wall-clock time of the last datagram.</param>
public sealed record ExporterReport(string Exporter, long Datagrams, long Records, long DecodeErrors, long TemplatesLearned, long RecordsUndecodable, long LastSeenUnixMs);

/// <summary>A template known to this node (learnt locally or replicated from another node).</summary>
/// <param name="Exporter">Exporter address.</param>
/// <param name="Version">9 (NetFlow v9) or 10 (IPFIX).</param>
/// <param name="Domain">Source id / observation domain id.</param>
/// <param name="TemplateId">Template id.</param>
/// <param name="IsOptions">True for an options template.</param>
/// <param name="Replicated">True when it came from another node.</param>
public sealed record TemplateReport(string Exporter, ushort Version, uint Domain, ushort TemplateId, bool IsOptions, bool Replicated);

/// <summary>Counters of one receiving port.</summary>
/// <param name="Port">UDP port.</param>
/// <param name="Sockets">Sockets bound.</param>
/// <param name="ReceiveBufferBytes">SO_RCVBUF granted by the kernel.</param>
/// <param name="Datagrams">Datagrams received.</param>
/// <param name="Bytes">Bytes received.</param>
/// <param name="Records">Flow records decoded.</param>
/// <param name="Observations">Observations produced for monitored hosts.</param>
/// <param name="DecodeErrors">Datagrams with a decode error.</param>
/// <param name="DroppedNotAllowed">Datagrams from exporters outside the allowlist.</param>
/// <param name="DroppedOutputFull">Records dropped because a datagram decoded to more records than the output buffer holds.</param>
/// <param name="DroppedHostLimit">Observations dropped because the node's in-flight bound (<c>MaxInFlightObservations</c>) stayed full (the name is kept for the wire format).</param>
/// <param name="BatchesSent">Per-shard batches sent to the host shards.</param>
/// <param name="DroppedKernel">Datagrams the kernel dropped on the port's sockets (receive buffer full), since they opened.</param>
/// <param name="RepairedTimes">Records whose start was after their end, repaired to the end.</param>
/// <param name="TemplatesRefused">Templates refused by the template quotas (table full of other exporters' decodable templates).</param>
public sealed record PortStats(int Port, int Sockets, int ReceiveBufferBytes, long Datagrams, long Bytes, long Records, long Observations, long DecodeErrors, long DroppedNotAllowed, long DroppedOutputFull, long DroppedHostLimit, long BatchesSent,
    long DroppedKernel = 0, long RepairedTimes = 0, long TemplatesRefused = 0);

/// <summary>A sender refused by the exporter allowlist.</summary>
/// <param name="Exporter">Its address.</param>
/// <param name="Datagrams">Datagrams refused.</param>
/// <param name="LastSeenUnixMs">When the last one came.</param>
public sealed record RefusedExporterReport(string Exporter, long Datagrams, long LastSeenUnixMs);

/// <summary>Reply to <see cref="GetReceiverStats"/>.</summary>
/// <param name="Ports">Per-port counters.</param>
/// <param name="Exporters">Per-exporter counters.</param>
/// <param name="Templates">Templates known to this node.</param>
/// <param name="Refused">Senders refused by the exporter allowlist (bounded per socket), with counts.</param>
public sealed record ReceiverStats(IReadOnlyList<PortStats> Ports, IReadOnlyList<ExporterReport> Exporters, IReadOnlyList<TemplateReport> Templates,
    IReadOnlyList<RefusedExporterReport>? Refused = null) : IFlowActorsMessage
{
    /// <summary>Refused senders, never null.</summary>
    public IReadOnlyList<RefusedExporterReport> RefusedExporters => Refused ?? [];
}

/// <summary>
/// A template replicated between nodes through Akka.DistributedData (as the decoder's <c>TemplateCache.Snapshot</c>
/// describes it), imported into other nodes' decoders with <c>TemplateCache.Import</c>, so a receiver that takes over
/// an exporter decodes its data at once.
/// </summary>
/// <param name="Exporter">Exporter address.</param>
/// <param name="Version">9 or 10.</param>
/// <param name="Domain">Source id / observation domain id.</param>
/// <param name="TemplateId">Template id.</param>
/// <param name="IsOptions">True for an options template.</param>
/// <param name="FieldCount">Fields in the template, scope fields included.</param>
/// <param name="ScopeFieldCount">Scope fields (options templates).</param>
/// <param name="Definition">The field specifiers as the exporter sent them (network order).</param>
/// <param name="RefreshedUnixMs">When the exporter last sent it to the node that learnt it (Unix ms): the replicated store's age limit counts from it.</param>
public sealed record TemplateBlob(FlowAddress Exporter, ushort Version, uint Domain, ushort TemplateId, bool IsOptions, int FieldCount, int ScopeFieldCount, byte[] Definition, long RefreshedUnixMs = 0) : IFlowActorsMessage
{
    /// <summary>The DistributedData map key: <c>exporter/version/domain/template</c>.</summary>
    public string Key => KeyOf(TemplateKey);

    /// <summary>The decoder's key of this template.</summary>
    public TemplateKey TemplateKey => new(Exporter, Version, Domain, TemplateId);

    /// <summary>The DistributedData map key of <paramref name="key"/>.</summary>
    public static string KeyOf(TemplateKey key) => $"{key.Exporter}/{key.Version}/{key.Domain}/{key.TemplateId}";
}
