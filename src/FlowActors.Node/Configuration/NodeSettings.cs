using System.Net;

namespace FlowActors.Node.Configuration;

/// <summary>
/// Everything a node is configured with, read from the <c>FlowActors</c> section of appsettings.json and
/// <c>FLOWACTORS__*</c> environment variables by <see cref="NodeSettingsReader"/>. Immutable once read.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Directory for the SQLite database and the alerts file; relative paths are under the working directory.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Replays the bundled attack captures into the node's own NetFlow receiver (with 10-second detection windows).</summary>
    public required bool Demo { get; init; }

    /// <summary>Cluster membership.</summary>
    public required ClusterSettings Cluster { get; init; }

    /// <summary>UDP flow receivers (edge role).</summary>
    public required ReceiverSettings Receivers { get; init; }

    /// <summary>Which addresses are ours.</summary>
    public required NetworkSettings Networks { get; init; }

    /// <summary>Baseline and detector tuning.</summary>
    public required DetectionSettings Detection { get; init; }

    /// <summary>Journal and snapshot store.</summary>
    public required PersistenceSettings Persistence { get; init; }

    /// <summary>Where the forwarder delivers alerts.</summary>
    public required ForwarderSettings Forwarder { get; init; }

    /// <summary>The HTTP operator endpoint.</summary>
    public required OperatorSettings Operator { get; init; }

    /// <summary>Whether this node carries <paramref name="role"/>.</summary>
    public bool HasRole(string role) => Cluster.Roles.Contains(role, StringComparer.Ordinal);
}

/// <summary>Cluster membership and remoting.</summary>
public sealed record ClusterSettings
{
    /// <summary>Actor system name; every node of a cluster must use the same.</summary>
    public required string SystemName { get; init; }

    /// <summary>Address remoting binds to.</summary>
    public required string Hostname { get; init; }

    /// <summary>Address other nodes use to reach this one (defaults to <see cref="Hostname"/>).</summary>
    public required string PublicHostname { get; init; }

    /// <summary>Remoting TCP port (0 picks a free one; only useful for a single node).</summary>
    public required int Port { get; init; }

    /// <summary>Seed node addresses (<c>akka.tcp://system@host:port</c>); empty means this node forms a cluster of its own.</summary>
    public required IReadOnlyList<string> Seeds { get; init; }

    /// <summary>Roles: any of <c>edge</c>, <c>analytics</c>, <c>forwarder</c>.</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>Number of host shards; fixed for the cluster's life (about 10× the largest node count).</summary>
    public required int ShardCount { get; init; }
}

/// <summary>Edge UDP receivers.</summary>
public sealed record ReceiverSettings
{
    /// <summary>Address the UDP sockets bind to.</summary>
    public required string BindAddress { get; init; }

    /// <summary>NetFlow port (0 disables the receiver). Every receiver accepts every supported version.</summary>
    public required int NetFlowPort { get; init; }

    /// <summary>IPFIX port (0 disables the receiver).</summary>
    public required int IpfixPort { get; init; }

    /// <summary>sFlow port (0 disables the receiver).</summary>
    public required int SflowPort { get; init; }

    /// <summary>Sockets per port, bound with SO_REUSEPORT so the kernel spreads exporters over them.</summary>
    public required int SocketsPerPort { get; init; }

    /// <summary>Requested SO_RCVBUF per socket, in bytes.</summary>
    public required int ReceiveBufferBytes { get; init; }

    /// <summary>Exporters (addresses or CIDR prefixes) accepted; empty accepts every exporter.</summary>
    public required IReadOnlyList<string> ExporterAllowlist { get; init; }

    /// <summary>Largest number of observations in one per-host batch before it is sent.</summary>
    public required int BatchSize { get; init; }

    /// <summary>How often partly filled batches are sent, in milliseconds.</summary>
    public required int FlushIntervalMs { get; init; }

    /// <summary>The enabled receiver ports, in the order NetFlow, IPFIX, sFlow.</summary>
    public IReadOnlyList<int> EnabledPorts
    {
        get
        {
            var ports = new List<int>(3);
            if (NetFlowPort != 0) ports.Add(NetFlowPort);
            if (IpfixPort != 0) ports.Add(IpfixPort);
            if (SflowPort != 0) ports.Add(SflowPort);
            return ports;
        }
    }
}

/// <summary>Monitored networks: flow ends inside them become per-host entities.</summary>
public sealed record NetworkSettings
{
    /// <summary>Monitored prefixes.</summary>
    public required IReadOnlyList<IPNetwork> Monitored { get; init; }
}

/// <summary>Detection tuning.</summary>
public sealed record DetectionSettings
{
    /// <summary>Baseline window length in seconds.</summary>
    public required int WindowSeconds { get; init; }

    /// <summary>How late (event time) a flow may arrive and still count in its window, in seconds.</summary>
    public required int AllowedLatenessSeconds { get; init; }

    /// <summary>Idle time after which a host actor snapshots and stops, in seconds.</summary>
    public required int PassivateAfterSeconds { get; init; }

    /// <summary>How often each host shard writes its dirty hosts in one transaction, in seconds: the bound on host state a crash can lose.</summary>
    public required int SnapshotIntervalSeconds { get; init; }

    /// <summary>
    /// The detection library's settings bound from <c>Detection:Tuning</c> (detector parameters, learning period,
    /// suppression window, allowlists, threat-intel files), with the window and lateness above applied.
    /// </summary>
    public FlowActors.Detection.DetectionSettings Tuning { get; init; } = new();
}

/// <summary>Persistence provider.</summary>
public enum PersistenceProvider
{
    /// <summary>Embedded SQLite file (default).</summary>
    Sqlite,

    /// <summary>PostgreSQL server.</summary>
    PostgreSql,
}

/// <summary>Journal and snapshot store.</summary>
public sealed record PersistenceSettings
{
    /// <summary>Provider.</summary>
    public required PersistenceProvider Provider { get; init; }

    /// <summary>ADO.NET connection string.</summary>
    public required string ConnectionString { get; init; }
}

/// <summary>Kinds of alert sink the node can configure.</summary>
public enum SinkKind
{
    /// <summary>JSON lines appended to a file.</summary>
    File,

    /// <summary>One line per alert on standard output.</summary>
    Console,
}

/// <summary>One alert sink.</summary>
/// <param name="Name">Sink name, used to record delivery per sink; stable across restarts.</param>
/// <param name="Kind">What the sink is.</param>
/// <param name="Path">File path for <see cref="SinkKind.File"/>.</param>
public sealed record SinkSettings(string Name, SinkKind Kind, string? Path);

/// <summary>The SIEM forwarder.</summary>
public sealed record ForwarderSettings
{
    /// <summary>Sinks every alert is delivered to.</summary>
    public required IReadOnlyList<SinkSettings> Sinks { get; init; }
}

/// <summary>The operator endpoint (flowctl, probes, metrics).</summary>
public sealed record OperatorSettings
{
    /// <summary>Whether the endpoint runs.</summary>
    public required bool Enabled { get; init; }

    /// <summary>Address it binds to (loopback by default: expose it deliberately).</summary>
    public required IPAddress BindAddress { get; init; }

    /// <summary>TCP port (0 picks a free one).</summary>
    public required int Port { get; init; }

    /// <summary>Bearer token every <c>/api</c> call must carry; empty means none is required.</summary>
    public required string Token { get; init; }

    /// <summary>Whether probes and /metrics also require the token.</summary>
    public required bool ProtectProbesAndMetrics { get; init; }
}
