using System.Net;
using FlowActors.Cluster;
using FlowActors.Protocols;

namespace FlowActors.Node.Configuration;

/// <summary>
/// Everything a node is configured with: the options bound from the <c>FlowActors</c> section of appsettings.json,
/// <c>FLOWACTORS__*</c> environment variables and the command line by <see cref="NodeSettingsOptions.AddNodeSettings"/>
/// (<c>AddOptions&lt;NodeSettings&gt;().Bind(...)</c>, unknown keys refused) and checked by
/// <see cref="NodeSettingsValidator"/>. The initialisers here are the one default of each setting. Treat an instance
/// as immutable once the options pipeline has produced it.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Bind or read problems found by <see cref="NodeSettingsBinder"/>, reported by <see cref="NodeSettingsValidator"/> with the rules' own.</summary>
    internal List<SettingError> BindingErrors { get; } = [];

    /// <summary>Directory for the SQLite database and the alerts file; a relative path is resolved against the working directory (absolute once bound).</summary>
    [Setting("to a writable directory, e.g. /var/lib/flowactors")]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Replays the bundled attack captures into the node's own NetFlow receiver (with 10-second detection windows).</summary>
    public bool Demo { get; set; }

    /// <summary>Cluster membership.</summary>
    public ClusterSettings Cluster { get; set; } = new();

    /// <summary>UDP flow receivers (edge role).</summary>
    public ReceiverSettings Receivers { get; set; } = new();

    /// <summary>Which addresses are ours.</summary>
    public NetworkSettings Networks { get; set; } = new();

    /// <summary>Baseline and detector tuning, and the host actors' timings.</summary>
    public DetectionOptions Detection { get; set; } = new();

    /// <summary>Journal and snapshot store.</summary>
    public PersistenceSettings Persistence { get; set; } = new();

    /// <summary>Where the forwarder delivers alerts.</summary>
    public ForwarderSettings Forwarder { get; set; } = new();

    /// <summary>The HTTP operator endpoint.</summary>
    public OperatorSettings Operator { get; set; } = new();

    /// <summary>Readiness watchdog.</summary>
    public HealthSettings Health { get; set; } = new();

    /// <summary>Whether this node carries <paramref name="role"/>.</summary>
    public bool HasRole(string role) => Cluster.Roles.Contains(role, StringComparer.Ordinal);
}

/// <summary>Cluster membership and remoting.</summary>
public sealed record ClusterSettings
{
    /// <summary>Actor system name; every node of a cluster must use the same.</summary>
    [Setting("to the same name on every node, e.g. flowactors")]
    public string SystemName { get; set; } = "flowactors";

    /// <summary>Address remoting binds to.</summary>
    [Setting("to e.g. 0.0.0.0 or 127.0.0.1")]
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>Address other nodes use to reach this one (empty: <see cref="Hostname"/>).</summary>
    [Setting("to e.g. flowactors-0.flowactors")]
    public string PublicHostname { get; set; } = "";

    /// <summary>Remoting TCP port (0 picks a free one; only useful for a single node).</summary>
    [Setting("to a free TCP port, e.g. 4053", Min = 0, Max = 65535)]
    public int Port { get; set; } = 4053;

    /// <summary>Seed node addresses (<c>akka.tcp://system@host:port</c> or <c>host:port</c>); empty means this node forms a cluster of its own.</summary>
    [Setting("to e.g. flowactors-0.flowactors:4053 (comma-separated)")]
    public IReadOnlyList<string> Seeds { get; set; } = [];

    /// <summary>Roles: any of <c>edge</c>, <c>analytics</c>, <c>forwarder</c>.</summary>
    [Setting("to a comma-separated subset of edge,analytics,forwarder")]
    public IReadOnlyList<string> Roles { get; set; } = NodeSettingsOptions.AllRoles;

    /// <summary>Number of host shards; fixed for the cluster's life (about 10× the largest node count).</summary>
    [Setting("to about 10 times the largest node count, e.g. 100 (never change it on a running cluster)", Min = 1, Max = FlowActorsClusterOptions.MaxShardCount)]
    public int ShardCount { get; set; } = 100;

    /// <summary>
    /// How long a host shard gathers arriving batches before applying them grouped by host, in milliseconds (0 applies
    /// each batch on arrival). Grouping visits each host's state once per group instead of once per observation, which
    /// is most of the apply path's cost with tens of thousands of hosts; it delays alerts by at most this much.
    /// </summary>
    [Setting("to 0-1000 milliseconds, e.g. 100 (0 applies each batch on arrival)", Min = 0, Max = FlowActorsClusterOptions.MaxHostApplyDelayMs)]
    public int HostApplyDelayMs { get; set; } = (int)FlowActorsClusterOptions.DefaultHostApplyDelay.TotalMilliseconds;

    /// <summary>
    /// How long the split brain resolver waits for a stable membership before it downs unreachable members. 7 s is
    /// Akka's advice for up to about 5 nodes; a shorter wait loses fewer flows to a dead node, a longer one fewer
    /// healthy nodes to a long GC pause.
    /// </summary>
    [Setting("to 7 for up to 5 nodes or about 20 for 100 nodes", Min = 1, Max = 600)]
    public int DowningStableAfterSeconds { get; set; } = 7;

    /// <summary>Remoting over TLS; null when remoting is plain TCP (<c>Tls:Enabled</c> false).</summary>
    public RemotingTlsSettings? Tls { get; set; }
}

/// <summary>
/// Akka.Remote over TLS (DotNetty SSL): this node's certificate and key, from PEM files or a PFX, and the CA every
/// peer's certificate must chain to. Both ends present certificates (mutual TLS), so a process without a
/// certificate from the CA can neither join nor be joined.
/// </summary>
public sealed record RemotingTlsSettings
{
    /// <summary>Whether remoting runs over TLS (the other keys are read only then).</summary>
    public bool Enabled { get; set; }

    /// <summary>PEM certificate (chain) of this node; used with <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PKCS#12 file with certificate and key, instead of the two PEM files.</summary>
    public string? PfxPath { get; set; }

    /// <summary>Password of <see cref="PfxPath"/> (empty for none). A secret: masked in <c>flowctl node config</c>.</summary>
    public string PfxPassword { get; set; } = "";

    /// <summary>File holding <see cref="PfxPassword"/> (a mounted secret), read at start instead of it.</summary>
    public string PfxPasswordFile { get; set; } = "";

    /// <summary>PEM file with the CA certificate(s) peers are validated against (only these, not the system store).</summary>
    public string CaPath { get; set; } = "";
}

/// <summary>How long the node may stay not ready before it gives up.</summary>
public sealed record HealthSettings
{
    /// <summary>Seconds of continuous not-ready after which the node exits non-zero (0 never exits).</summary>
    [Setting("to 0 (never exit) or the seconds of not-ready after which the node exits, e.g. 300", Min = 0, Max = 86_400)]
    public int ExitAfterNotReadySeconds { get; set; } = 300;
}

/// <summary>Edge UDP receivers.</summary>
public sealed record ReceiverSettings
{
    /// <summary>Address the UDP sockets bind to.</summary>
    [Setting("to 0.0.0.0 (all IPv4), :: (all) or one local address")]
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>NetFlow port (0 disables the receiver). Every receiver accepts every supported version.</summary>
    [Setting("to a free UDP port (2055 by convention), or 0 to disable", Min = 0, Max = 65535)]
    public int NetFlowPort { get; set; } = 2055;

    /// <summary>IPFIX port (0 disables the receiver).</summary>
    [Setting("to a free UDP port (4739 by convention), or 0 to disable", Min = 0, Max = 65535)]
    public int IpfixPort { get; set; } = 4739;

    /// <summary>sFlow port (0 disables the receiver).</summary>
    [Setting("to a free UDP port (6343 by convention), or 0 to disable", Min = 0, Max = 65535)]
    public int SflowPort { get; set; } = 6343;

    /// <summary>Sockets per port, bound with SO_REUSEPORT so the kernel spreads exporters over them.</summary>
    [Setting("to 1-64 (about one per core that should receive)", Min = 1, Max = ReceiverPortOptions.MaxSockets)]
    public int SocketsPerPort { get; set; } = ReceiverPortOptions.DefaultSockets;

    /// <summary>Requested SO_RCVBUF per socket, in bytes.</summary>
    [Setting("to a size in bytes, e.g. 8388608 (8 MiB)", Min = ReceiverPortOptions.MinReceiveBufferBytes, Max = 1024 * 1024 * 1024)]
    public int ReceiveBufferBytes { get; set; } = ReceiverPortOptions.DefaultReceiveBufferBytes;

    /// <summary>
    /// Datagrams each socket's io_uring receive ring holds (Linux): the kernel fills it also while a collection has
    /// suspended the receive thread. A power of two, 64-32768, or 0 for ordinary receives.
    /// </summary>
    [Setting("to a power of two from 64 to 32768, e.g. 32768, or 0 for ordinary receives", Min = 0, Max = ReceiverPortOptions.MaxRingBuffers)]
    public int RingBuffers { get; set; } = ReceiverPortOptions.DefaultRingBuffers;

    /// <summary>Bytes of each receive-ring buffer; datagrams longer than this less 44 bytes are cut and counted.</summary>
    [Setting("to 1024-65600 bytes, e.g. 2048 (9216 for exporters that send jumbo datagrams)", Min = ReceiverPortOptions.MinRingBufferBytes, Max = ReceiverPortOptions.MaxRingBufferBytes)]
    public int RingBufferBytes { get; set; } = ReceiverPortOptions.DefaultRingBufferBytes;

    /// <summary>Exporters (addresses or CIDR prefixes) accepted; empty accepts every exporter.</summary>
    [Setting("to e.g. 192.0.2.1,198.51.100.0/24, or leave it empty to accept every exporter")]
    public IReadOnlyList<string> ExporterAllowlist { get; set; } = [];

    /// <summary>Largest number of observations in one per-host batch before it is sent.</summary>
    [Setting("to 1-65536 observations, e.g. 256", Min = 1, Max = FlowActorsClusterOptions.MaxBatchSize)]
    public int BatchSize { get; set; } = FlowActorsClusterOptions.DefaultBatchSize;

    /// <summary>How often partly filled batches are sent, in milliseconds.</summary>
    [Setting("to 1-60000 milliseconds, e.g. 100", Min = 1, Max = FlowActorsClusterOptions.MaxFlushIntervalMs)]
    public int FlushIntervalMs { get; set; } = (int)FlowActorsClusterOptions.DefaultFlushInterval.TotalMilliseconds;

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
    private PrefixSet? _set;

    /// <summary>Monitored prefixes in CIDR form (default RFC 1918 and IPv6 unique-local, the detection library's default).</summary>
    [Setting("to e.g. 10.0.0.0/8,2001:db8::/32 (comma-separated)")]
    public IReadOnlyList<string> Monitored { get; set; } = FlowActors.Detection.NetworkClassifier.DefaultNetworks;

    /// <summary>Whether <paramref name="address"/> lies in a monitored network.</summary>
    public bool IsMonitored(FlowAddress address)
    {
        if (_set is null) PrefixSet.TryBuild(Monitored, out _set, out _);
        return _set!.Contains(address);
    }
}

/// <summary>
/// The <c>Detection</c> section: the detection library's own settings (<see cref="Tuning"/>, the one model of detector
/// parameters and of the window), and the host actors' timings. <see cref="WindowSeconds"/> and
/// <see cref="AllowedLatenessSeconds"/> are the window and lateness of <see cref="Tuning"/> in seconds, not copies.
/// </summary>
public sealed class DetectionOptions
{
    /// <summary>Baseline window length in seconds (<see cref="FlowActors.Detection.DetectionSettings.Window"/>).</summary>
    [Setting("to 10-3600 seconds, e.g. 300", Min = FlowActors.Detection.DetectionSettings.MinWindowSeconds, Max = FlowActors.Detection.DetectionSettings.MaxWindowSeconds)]
    public int WindowSeconds
    {
        get => (int)Tuning.Window.TotalSeconds;
        set => Tuning.Window = TimeSpan.FromSeconds(value);
    }

    /// <summary>How late (event time) a flow may arrive and still count in its window, in seconds (<see cref="FlowActors.Detection.DetectionSettings.AllowedLateness"/>).</summary>
    [Setting("to a fraction of the window, e.g. 30", Min = 0, Max = FlowActors.Detection.DetectionSettings.MaxWindowSeconds)]
    public int AllowedLatenessSeconds
    {
        get => (int)Tuning.AllowedLateness.TotalSeconds;
        set => Tuning.AllowedLateness = TimeSpan.FromSeconds(value);
    }

    /// <summary>Idle time after which a host actor snapshots and stops, in seconds.</summary>
    [Setting("to 10-604800 seconds, e.g. 600", Min = 10, Max = 604_800)]
    public int PassivateAfterSeconds { get; set; } = (int)FlowActorsClusterOptions.DefaultPassivationIdleTimeout.TotalSeconds;

    /// <summary>How often each host shard writes its dirty hosts in one transaction, in seconds: the bound on host state a crash can lose.</summary>
    [Setting("to 1-86400 seconds, e.g. 5", Min = 1, Max = 86_400)]
    public int SnapshotIntervalSeconds { get; set; } = (int)FlowActorsClusterOptions.DefaultSnapshotInterval.TotalSeconds;

    /// <summary>Wall-clock tick on which a host that got no flows since the last tick advances its event time, in milliseconds.</summary>
    [Setting("to 100-3600000 milliseconds, e.g. 10000", Min = 100, Max = 3_600_000)]
    public int IdleTickMilliseconds { get; set; } = (int)FlowActorsClusterOptions.DefaultIdleAdvanceInterval.TotalMilliseconds;

    /// <summary>How often the threat-intel files are checked for changes besides the file watcher's events, in seconds (0: events only).</summary>
    [Setting("to 0 (file events only) or 1-86400 seconds, e.g. 30", Min = 0, Max = 86_400)]
    public int ThreatIntelPollSeconds { get; set; } = 30;

    /// <summary>
    /// The detection library's settings bound from <c>Detection:Tuning</c> (detector parameters, learning period,
    /// suppression window, allowlists, threat-intel files); its window and lateness are the two keys above, and its
    /// networks are <c>Networks:Monitored</c>.
    /// </summary>
    public FlowActors.Detection.DetectionSettings Tuning { get; set; } = new();
}

/// <summary>Journal and snapshot store.</summary>
public sealed record PersistenceSettings
{
    /// <summary>Provider.</summary>
    [Setting("to sqlite (embedded file under the data directory) or postgresql", Must = "be sqlite or postgresql")]
    public PersistenceProvider Provider { get; set; } = PersistenceProvider.Sqlite;

    /// <summary>ADO.NET connection string (empty: SQLite file <c>flowactors.db</c> in the data directory). A secret where it holds a password: shown redacted.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>File holding the whole connection string (a mounted secret), read at start instead of <see cref="ConnectionString"/>.</summary>
    public string ConnectionStringFile { get; set; } = "";

    /// <summary>File holding the database password (a mounted secret), set as the connection string's <c>Password</c>.</summary>
    public string PasswordFile { get; set; } = "";
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
/// <param name="Path">File path for <see cref="SinkKind.File"/> (absolute once bound).</param>
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
    /// <summary>Sinks every alert is delivered to (bound by <see cref="NodeSettingsBinder"/>: each entry's keys depend on its kind).</summary>
    public IReadOnlyList<SinkSettings> Sinks { get; set; } = [];

    /// <summary>Most recent alerts the forwarder keeps for <c>GET /api/alerts</c> pollers.</summary>
    [Setting("to how many recent alerts pollers of /api/alerts may fall behind by, e.g. 10000", Min = 1, Max = FlowActorsClusterOptions.MaxPullWindow)]
    public int PullWindow { get; set; } = 10_000;
}

/// <summary>The operator endpoint (flowctl, probes, metrics).</summary>
public sealed record OperatorSettings
{
    /// <summary>Whether the endpoint runs.</summary>
    [Setting("to true or false")]
    public bool Enabled { get; set; } = true;

    /// <summary>Address it binds to (loopback by default: expose it deliberately).</summary>
    [Setting("to 127.0.0.1 (local only) or 0.0.0.0 (with a Token)", Must = "be an IP address")]
    public IPAddress BindAddress { get; set; } = IPAddress.Loopback;

    /// <summary>TCP port (0 picks a free one).</summary>
    [Setting("to a free TCP port, e.g. 9110", Min = 0, Max = 65535)]
    public int Port { get; set; } = 9110;

    /// <summary>
    /// Bearer token. Mutating routes always need it; read routes need it when it was configured
    /// (<see cref="TokenOrigin"/> is not <see cref="OperatorTokenOrigin.Generated"/>). Empty only until
    /// <c>OperatorToken.Resolve</c> has generated or read one at start.
    /// </summary>
    public string Token { get; set; } = "";

    /// <summary>File holding the token (a mounted secret), read at start instead of <see cref="Token"/>.</summary>
    public string TokenFile { get; set; } = "";

    /// <summary>Where <see cref="Token"/> came from (not a setting).</summary>
    [NotASetting]
    public OperatorTokenOrigin TokenOrigin { get; set; } = OperatorTokenOrigin.Configured;

    /// <summary>Whether probes and /metrics also require the token.</summary>
    public bool ProtectProbesAndMetrics { get; set; }
}

/// <summary>Where the operator token came from.</summary>
public enum OperatorTokenOrigin
{
    /// <summary><c>Operator:Token</c> or <c>Operator:TokenFile</c>: every <c>/api</c> call needs it.</summary>
    Configured,

    /// <summary>Generated at first start into the data directory (mode 0600): only mutating calls need it.</summary>
    Generated,
}
