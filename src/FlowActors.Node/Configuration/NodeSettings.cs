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

    /// <summary>Readiness watchdog.</summary>
    public HealthSettings Health { get; init; } = new();

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

    /// <summary>Remoting over TLS; null when remoting is plain TCP.</summary>
    public RemotingTlsSettings? Tls { get; init; }
}

/// <summary>
/// Akka.Remote over TLS (DotNetty SSL): this node's certificate and key, from PEM files or a PFX, and the CA every
/// peer's certificate must chain to. Both ends present certificates (mutual TLS), so a process without a
/// certificate from the CA can neither join nor be joined.
/// </summary>
public sealed record RemotingTlsSettings
{
    /// <summary>PEM certificate (chain) of this node; used with <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; init; }

    /// <summary>PKCS#12 file with certificate and key, instead of the two PEM files.</summary>
    public string? PfxPath { get; init; }

    /// <summary>Password of <see cref="PfxPath"/> (empty for none).</summary>
    public string PfxPassword { get; init; } = "";

    /// <summary>PEM file with the CA certificate(s) peers are validated against (only these, not the system store).</summary>
    public required string CaPath { get; init; }
}

/// <summary>How long the node may stay not ready before it gives up.</summary>
public sealed record HealthSettings
{
    /// <summary>Seconds of continuous not-ready after which the node exits non-zero (0 never exits).</summary>
    public int ExitAfterNotReadySeconds { get; init; } = 300;
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

    /// <summary>Wall-clock tick on which a host that got no flows since the last tick advances its event time, in milliseconds.</summary>
    public int IdleTickMilliseconds { get; init; } = 10_000;

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

/// <summary>Kinds of alert sink the node can configure (<c>Forwarder:Sinks:N:Kind</c>).</summary>
public enum SinkKind
{
    /// <summary>JSON lines appended to a file.</summary>
    File,

    /// <summary>One line per alert on standard output.</summary>
    Console,

    /// <summary>Syslog over UDP, TCP or TLS (CEF, LEEF, JSON or RFC 5424 with JSON).</summary>
    Syslog,

    /// <summary>Splunk HTTP Event Collector.</summary>
    Hec,

    /// <summary>A generic JSON webhook.</summary>
    Webhook,
}

/// <summary>One alert sink.</summary>
/// <param name="Name">Sink name, used to record delivery per sink; stable across restarts.</param>
/// <param name="Kind">What the sink is.</param>
/// <param name="Path">File path for <see cref="SinkKind.File"/>.</param>
public sealed record SinkSettings(string Name, SinkKind Kind, string? Path)
{
    /// <summary>Configuration key of the entry, e.g. <c>FlowActors:Forwarder:Sinks:2</c>.</summary>
    public string Key { get; init; } = "";

    /// <summary>Severity filter, batching, backlog, updates and rate limit.</summary>
    public FlowActors.Siem.Outbox.SinkPolicy Policy { get; init; } = new();

    /// <summary>
    /// The entry bound onto its contract options class (<see cref="FlowActors.Siem.Sinks.SyslogSinkOptions"/>,
    /// <see cref="FlowActors.Siem.Sinks.HecSinkOptions"/>, ...) and validated, with secrets already read from their
    /// <c>*File</c> keys (<c>TokenFile</c> → <c>Token</c>). Never log it: see <see cref="SinkKinds.IsSecret"/>.
    /// </summary>
    public FlowActors.Siem.Sinks.SinkOptions Options { get; init; } = SinkKinds.OptionsFor(Kind);
}

/// <summary>The SIEM forwarder.</summary>
public sealed record ForwarderSettings
{
    /// <summary>Sinks every alert is delivered to.</summary>
    public required IReadOnlyList<SinkSettings> Sinks { get; init; }

    /// <summary>Most recent alerts the forwarder keeps for <c>GET /api/alerts</c> pollers (default 10,000).</summary>
    public int PullWindow { get; init; } = 10_000;
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

    /// <summary>
    /// Bearer token. Mutating routes always need it; read routes need it when it was configured
    /// (<see cref="TokenOrigin"/> is not <see cref="OperatorTokenOrigin.Generated"/>). Empty only until
    /// <c>OperatorToken.Resolve</c> has generated or read one at start.
    /// </summary>
    public required string Token { get; init; }

    /// <summary>File holding the token (a mounted secret), read at start instead of <see cref="Token"/>.</summary>
    public string TokenFile { get; init; } = "";

    /// <summary>Where <see cref="Token"/> came from.</summary>
    public OperatorTokenOrigin TokenOrigin { get; init; } = OperatorTokenOrigin.Configured;

    /// <summary>Whether probes and /metrics also require the token.</summary>
    public required bool ProtectProbesAndMetrics { get; init; }
}

/// <summary>Where the operator token came from.</summary>
public enum OperatorTokenOrigin
{
    /// <summary><c>Operator:Token</c> or <c>Operator:TokenFile</c>: every <c>/api</c> call needs it.</summary>
    Configured,

    /// <summary>Generated at first start into the data directory (mode 0600): only mutating calls need it.</summary>
    Generated,
}
