using FlowActors.Protocols;
using FlowActors.Siem.Outbox;
using FlowActors.Siem.Sinks;

namespace FlowActors.Cluster;

/// <summary>Which database Akka.Persistence.Sql writes host snapshots and the forwarder journal to.</summary>
public enum PersistenceProvider
{
    /// <summary>An embedded SQLite file (default: <c>data/flowactors.db</c>).</summary>
    Sqlite = 0,
    /// <summary>A PostgreSQL server (Npgsql connection string).</summary>
    PostgreSql = 1,
}

/// <summary>One UDP listening port served by one <c>FlowReceiverActor</c>.</summary>
public sealed class ReceiverPortOptions
{
    /// <summary>UDP port (2055 NetFlow, 4739 IPFIX, 6343 sFlow; every port accepts every supported format). 0 picks a free port (tests).</summary>
    public int Port { get; set; }
    /// <summary>Address to bind (default any IPv4; <c>::</c> for dual stack).</summary>
    public string BindAddress { get; set; } = "0.0.0.0";
    /// <summary>Default of <see cref="Sockets"/> (and of the node's <c>Receivers:SocketsPerPort</c>).</summary>
    public const int DefaultSockets = 2;

    /// <summary>
    /// Default of <see cref="ReceiveBufferBytes"/> (and of the node's <c>Receivers:ReceiveBufferBytes</c>): 8 MiB, what the
    /// shipped manifests and every end-to-end bench ran lossless with at about 2 M flows/s; more only helps where
    /// net.core.rmem_max allows it, and costs kernel memory per socket.
    /// </summary>
    public const int DefaultReceiveBufferBytes = 8 * 1024 * 1024;

    /// <summary>Most sockets per port accepted (the node's <c>Receivers:SocketsPerPort</c> shares the range).</summary>
    public const int MaxSockets = 64;

    /// <summary>Smallest <see cref="ReceiveBufferBytes"/> accepted.</summary>
    public const int MinReceiveBufferBytes = 64 * 1024;

    /// <summary>Sockets bound to the port with SO_REUSEPORT, each read by its own thread (default 2).</summary>
    public int Sockets { get; set; } = DefaultSockets;
    /// <summary>Requested SO_RCVBUF in bytes (default 8 MiB); a warning is logged when the kernel grants less.</summary>
    public int ReceiveBufferBytes { get; set; } = DefaultReceiveBufferBytes;

    /// <summary>Default of <see cref="RingBuffers"/> (and of the node's <c>Receivers:RingBuffers</c>).</summary>
    public const int DefaultRingBuffers = 32_768;

    /// <summary>Most <see cref="RingBuffers"/> accepted (the kernel's limit for one buffer ring).</summary>
    public const int MaxRingBuffers = 32_768;

    /// <summary>Default of <see cref="RingBufferBytes"/>: an Ethernet-MTU datagram with the kernel's header and the sender's address.</summary>
    public const int DefaultRingBufferBytes = 2_048;

    /// <summary>Smallest and largest <see cref="RingBufferBytes"/> accepted.</summary>
    public const int MinRingBufferBytes = 1_024, MaxRingBufferBytes = 65_536 + 64;

    /// <summary>
    /// Datagrams each socket's io_uring receive ring holds (a power of two, 64-32768, default 32768: 64 MB of
    /// buffers per busy socket; 0 reads the socket with ordinary receives). On Linux the kernel fills the ring by itself, also while a garbage collection has suspended the
    /// receive thread; where io_uring is refused the loop logs why and uses ordinary receives.
    /// </summary>
    public int RingBuffers { get; set; } = DefaultRingBuffers;

    /// <summary>
    /// Bytes of each ring buffer (default 2048: datagrams up to 2004 bytes). A longer datagram is cut, counted as a
    /// decode error and logged; raise it for exporters that send jumbo datagrams.
    /// </summary>
    public int RingBufferBytes { get; set; } = DefaultRingBufferBytes;
}

/// <summary>
/// Everything the cluster layer needs to run: roles, sharding, receivers, batching, persistence, sinks and
/// detection. Bind it from configuration in the node, then call <see cref="Validate"/> before starting.
/// </summary>
public sealed class FlowActorsClusterOptions
{
    /// <summary>Role that runs UDP receivers.</summary>
    public const string EdgeRole = "edge";
    /// <summary>Role that hosts the per-host shards.</summary>
    public const string AnalyticsRole = "analytics";
    /// <summary>Role that may host the SIEM forwarder singleton.</summary>
    public const string ForwarderRole = "forwarder";

    /// <summary>This node's roles (default all three).</summary>
    public IList<string> Roles { get; set; } = [EdgeRole, AnalyticsRole, ForwarderRole];

    /// <summary>Number of shards of the <c>host</c> entity type; about 10× the largest node count, fixed for the cluster's life (default 100).</summary>
    public int ShardCount { get; set; } = 100;

    /// <summary>
    /// How long the cluster's membership and reachability must be unchanged before the split brain resolver (keep-majority)
    /// downs unreachable members (default 7 s, Akka's recommended minimum for clusters of up to 5 nodes; Akka's own
    /// default, 20 s, suits about 100). Until then observations for shards on an unreachable member cannot be applied.
    /// </summary>
    public TimeSpan DowningStableAfter { get; set; } = TimeSpan.FromSeconds(7);

    /// <summary>UDP receiver ports (default 2055, 4739, 6343).</summary>
    public IList<ReceiverPortOptions> Receivers { get; set; } =
        [new() { Port = 2055 }, new() { Port = 4739 }, new() { Port = 6343 }];

    /// <summary>Exporter addresses or CIDRs allowed to send flows; empty allows every exporter.</summary>
    public IList<string> ExporterAllowlist { get; set; } = [];

    /// <summary>Largest <see cref="ShardCount"/> accepted (the node's <c>Cluster:ShardCount</c> shares the range).</summary>
    public const int MaxShardCount = 10_000;

    /// <summary>Largest <see cref="BatchSize"/> accepted (the node's <c>Receivers:BatchSize</c> shares the range).</summary>
    public const int MaxBatchSize = 65_536;

    /// <summary>Longest <see cref="FlushInterval"/> accepted, in milliseconds (the node's <c>Receivers:FlushIntervalMs</c> shares the range).</summary>
    public const int MaxFlushIntervalMs = 60_000;

    /// <summary>Largest <see cref="ForwarderPullWindow"/> accepted (the node's <c>Forwarder:PullWindow</c> shares the range).</summary>
    public const int MaxPullWindow = 1_000_000;

    /// <summary>Default of <see cref="BatchSize"/> (and of the node's <c>Receivers:BatchSize</c>).</summary>
    public const int DefaultBatchSize = 256;

    /// <summary>
    /// Default of <see cref="FlushInterval"/> (and of the node's <c>Receivers:FlushIntervalMs</c>): 100 ms, the value the
    /// node has always run and been benchmarked with; it bounds how long an observation waits in a partly filled batch.
    /// </summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Default of <see cref="PassivationIdleTimeout"/>.</summary>
    public static readonly TimeSpan DefaultPassivationIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Default of <see cref="SnapshotInterval"/>.</summary>
    public static readonly TimeSpan DefaultSnapshotInterval = TimeSpan.FromSeconds(15);

    /// <summary>Default of <see cref="IdleAdvanceInterval"/>.</summary>
    public static readonly TimeSpan DefaultIdleAdvanceInterval = TimeSpan.FromSeconds(10);

    /// <summary>Default of <see cref="HostApplyDelay"/>.</summary>
    public static readonly TimeSpan DefaultHostApplyDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest <see cref="HostApplyDelay"/> accepted, in milliseconds (the node's <c>Cluster:HostApplyDelayMs</c> shares the range).</summary>
    public const int MaxHostApplyDelayMs = 1_000;

    /// <summary>Observations per shard after which a receive loop sends the shard's pending batch at once (default 256).</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>How often pending batches are flushed regardless of size (default 100 ms).</summary>
    public TimeSpan FlushInterval { get; set; } = DefaultFlushInterval;

    /// <summary>
    /// How long a host shard gathers arriving batches before it applies them grouped by host (default 100 ms; zero
    /// applies each batch as it arrives, grouped within the batch). Each host's state is then visited once per group
    /// rather than once per observation, which at tens of thousands of hosts saves most of the cache misses of the apply path
    /// (bench/README.md, round 7). A shard also applies what it gathered at once when it holds
    /// <see cref="Actors.HostShardActor.MaxStagedObservations"/> of them, and before it handles any other message.
    /// </summary>
    public TimeSpan HostApplyDelay { get; set; } = DefaultHostApplyDelay;

    /// <summary>
    /// Observations this node's receivers may have sent and the host shards not yet applied (default 1,000,000, about
    /// 64 MB). When reached, a receive loop waits up to <see cref="InFlightWait"/>, then drops and counts.
    /// </summary>
    public long MaxInFlightObservations { get; set; } = 1_000_000;

    /// <summary>How long a receive loop waits for room under <see cref="MaxInFlightObservations"/> before dropping a batch (default 500 ms).</summary>
    public TimeSpan InFlightWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Hosts this node holds in memory at once over all its shards (default 1,000,000). Observations of further new
    /// hosts are dropped and counted (a host-cardinality storm cannot exhaust memory); idle hosts are passivated first.
    /// </summary>
    public int MaxActiveHosts { get; set; } = 1_000_000;

    /// <summary>Hosts with no traffic for this long are passivated: state written, memory freed (default 10 minutes).</summary>
    public TimeSpan PassivationIdleTimeout { get; set; } = DefaultPassivationIdleTimeout;

    /// <summary>
    /// How often each host shard writes its dirty hosts' states in one transaction (default 15 s): the bound on host
    /// state lost by a crash. Hand-off and shutdown write everything at once. At 50,000 busy hosts every interval
    /// rewrites about 80 MB of state, so a shorter one costs disk writes and CPU (bench/README.md, round 10).
    /// </summary>
    public TimeSpan SnapshotInterval { get; set; } = DefaultSnapshotInterval;

    /// <summary>Most host-state rows this node writes per second (default 50,000); further dirty hosts wait for the next flush.</summary>
    public int HostStateWritesPerSecond { get; set; } = 50_000;

    /// <summary>Stored host states not updated for this long are deleted, so storage stays bounded (default 30 days).</summary>
    public TimeSpan HostStateRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Keep every host shard started (default on): each analytics node asks for all shards once it is up and every
    /// 5 s, so stored hosts come back and close their open windows after a restart or hand-off even without traffic.
    /// Off, a shard starts with its first message (in-process placement tests).
    /// </summary>
    public bool KeepAllShardsStarted { get; set; } = true;

    /// <summary>Most hosts whose stored state one query loads when they come back (default 500).</summary>
    public int HostStateLoadBatch { get; set; } = 500;

    /// <summary>
    /// Wall-clock tick on which a host actor that got no batch since the previous tick advances event time, so its
    /// windows close (default 10 s): to the clock for live traffic, by a window plus the allowed lateness for
    /// traffic far behind the clock (a replayed capture).
    /// </summary>
    public TimeSpan IdleAdvanceInterval { get; set; } = DefaultIdleAdvanceInterval;

    /// <summary>How often a host actor resends alerts the forwarder has not acknowledged (default 2 s).</summary>
    public TimeSpan AlertRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Unacknowledged alerts a host actor keeps; older ones are dropped and counted (default 1,000).</summary>
    public int MaxUnacknowledgedAlertsPerHost { get; set; } = 1000;

    /// <summary>
    /// Alerts the forwarder keeps undelivered (by any sink); beyond it new alerts are refused (not acknowledged) so hosts
    /// retry (default 1,000,000). Each sink's own backlog is bounded by its <see cref="SinkPolicy.MaxBacklog"/>, so with
    /// the sum of those below this, one dead sink never makes the forwarder refuse alerts for the others.
    /// </summary>
    public int ForwarderMaxOutbox { get; set; } = 1_000_000;

    /// <summary>Most recent accepted alerts kept for the pull API (<c>/api/alerts</c>) whether delivered or not (default 10,000).</summary>
    public int ForwarderPullWindow { get; set; } = 10_000;

    /// <summary>Journal events after which the forwarder snapshots and deletes what every sink has (default 500).</summary>
    public int ForwarderSnapshotEvery { get; set; } = 500;

    /// <summary>Delay before retrying a failed sink delivery (default 1 s, doubling up to 30 s).</summary>
    public TimeSpan SinkRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Database for snapshots and the forwarder journal (default SQLite).</summary>
    public PersistenceProvider PersistenceProvider { get; set; } = PersistenceProvider.Sqlite;

    /// <summary>Connection string; for SQLite, when empty, <c>Data Source={DataDirectory}/flowactors.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Directory for the SQLite database and default alert file (default <c>data</c>).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>JSON-lines alert file; when null, <c>{DataDirectory}/alerts.jsonl</c>; empty string disables it.</summary>
    public string? AlertsJsonLinesPath { get; set; }

    /// <summary>Also print alerts on standard output (default on).</summary>
    public bool ConsoleSink { get; set; } = true;

    /// <summary>Further sink instances (tests); each must have a distinct <see cref="IAlertSink.Name"/>. Delivered with the default policy.</summary>
    public IList<Func<IAlertSink>> AdditionalSinks { get; set; } = [];

    /// <summary>
    /// Configured sinks with their policies (what the node binds from <c>Forwarder:Sinks</c>); each is created on the
    /// forwarder's node when first delivered to, so one that cannot be created fails on its own.
    /// </summary>
    public IList<AlertSinkDefinition> Sinks { get; set; } = [];

    /// <summary>Decoder limits and sampling overrides for the receivers.</summary>
    public FlowDecoderOptions Decoder { get; set; } = new();

    /// <summary>
    /// Block-list addresses for the threat-intel detector, shared by every host actor of this node. When null and
    /// <c>Detection:ThreatIntel:Files</c> names files, <c>WithFlowActorsSharding</c> loads them; the node may also
    /// set (and <c>Reload</c>) it itself.
    /// </summary>
    public Detection.ThreatIntelSet? ThreatIntel { get; set; }

    /// <summary>
    /// Destination prevalence shared by every host of this node (beaconing weighs how many monitored hosts keep the
    /// same channel). <c>WithFlowActorsSharding</c> creates one when null and replicates it across the cluster with
    /// <see cref="Prevalence.PrevalenceReplicatorActor"/>.
    /// </summary>
    public Detection.PrevalenceSketch? Prevalence { get; set; }

    /// <summary>How often this node publishes its prevalence sketch to the other nodes (DistributedData).</summary>
    public TimeSpan PrevalencePublishInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Detection parameters, including the monitored networks.</summary>
    public DetectionSettings Detection { get; set; } = new();

    /// <summary>True when this node has <paramref name="role"/>.</summary>
    public bool HasRole(string role) => Roles.Contains(role, StringComparer.OrdinalIgnoreCase);

    /// <summary>The connection string in effect (SQLite default filled in).</summary>
    public string EffectiveConnectionString =>
        !string.IsNullOrWhiteSpace(ConnectionString)
            ? ConnectionString
            : $"Data Source={Path.Combine(DataDirectory, "flowactors.db")}";

    /// <summary>The JSON-lines path in effect, or null when disabled.</summary>
    public string? EffectiveAlertsJsonLinesPath =>
        AlertsJsonLinesPath is null ? Path.Combine(DataDirectory, "alerts.jsonl")
        : AlertsJsonLinesPath.Length == 0 ? null : AlertsJsonLinesPath;

    /// <summary>
    /// Checks every setting; throws <see cref="ArgumentException"/> whose message names the setting and the fix.
    /// </summary>
    public void Validate()
    {
        if (Roles.Count == 0) Fail("Roles", "is empty; give at least one of edge, analytics, forwarder");
        foreach (var r in Roles)
        {
            if (!string.Equals(r, EdgeRole, StringComparison.OrdinalIgnoreCase) && !string.Equals(r, AnalyticsRole, StringComparison.OrdinalIgnoreCase) && !string.Equals(r, ForwarderRole, StringComparison.OrdinalIgnoreCase))
                Fail("Roles", $"contains '{r}'; use edge, analytics or forwarder");
        }
        if (ShardCount is < 1 or > MaxShardCount) Fail("ShardCount", $"is {ShardCount}; use 1..{MaxShardCount} (about 10x the largest node count)");
        var seen = new HashSet<int>();
        for (int i = 0; i < Receivers.Count; i++)
        {
            var r = Receivers[i];
            if (r.Port is < 0 or > 65535) Fail($"Receivers:{i}:Port", $"is {r.Port}; use 1..65535");
            if (r.Port != 0 && !seen.Add(r.Port)) Fail($"Receivers:{i}:Port", $"{r.Port} is listed twice");
            if (r.Sockets is < 1 or > ReceiverPortOptions.MaxSockets) Fail($"Receivers:{i}:Sockets", $"is {r.Sockets}; use 1..{ReceiverPortOptions.MaxSockets}");
            if (r.ReceiveBufferBytes < ReceiverPortOptions.MinReceiveBufferBytes) Fail($"Receivers:{i}:ReceiveBufferBytes", $"is {r.ReceiveBufferBytes}; use at least {ReceiverPortOptions.MinReceiveBufferBytes}");
            if (r.RingBuffers != 0 && (r.RingBuffers < 64 || r.RingBuffers > ReceiverPortOptions.MaxRingBuffers || (r.RingBuffers & (r.RingBuffers - 1)) != 0))
                Fail($"Receivers:{i}:RingBuffers", $"is {r.RingBuffers}; use a power of two from 64 to {ReceiverPortOptions.MaxRingBuffers}, e.g. 16384, or 0 for ordinary receives");
            if (r.RingBufferBytes is < ReceiverPortOptions.MinRingBufferBytes or > ReceiverPortOptions.MaxRingBufferBytes)
                Fail($"Receivers:{i}:RingBufferBytes", $"is {r.RingBufferBytes}; use {ReceiverPortOptions.MinRingBufferBytes}..{ReceiverPortOptions.MaxRingBufferBytes}, e.g. 2048 (9216 for jumbo datagrams)");
            if (!System.Net.IPAddress.TryParse(r.BindAddress, out _)) Fail($"Receivers:{i}:BindAddress", $"'{r.BindAddress}' is not an IP address");
        }
        try
        {
            _ = new ExporterAllowlist(ExporterAllowlist);
        }
        catch (FormatException e)
        {
            Fail("ExporterAllowlist", e.Message);
        }
        if (DowningStableAfter < TimeSpan.FromSeconds(1) || DowningStableAfter > TimeSpan.FromMinutes(10)) Fail("DowningStableAfter", $"is {DowningStableAfter}; use 1 s..10 min (7 s for up to 5 nodes, 20 s for about 100)");
        if (BatchSize is < 1 or > MaxBatchSize) Fail("BatchSize", $"is {BatchSize}; use 1..{MaxBatchSize}");
        if (FlushInterval < TimeSpan.FromMilliseconds(1) || FlushInterval > TimeSpan.FromMilliseconds(MaxFlushIntervalMs)) Fail("FlushInterval", $"is {FlushInterval}; use 1 ms..1 min");
        if (HostApplyDelay < TimeSpan.Zero || HostApplyDelay > TimeSpan.FromMilliseconds(MaxHostApplyDelayMs)) Fail("HostApplyDelay", $"is {HostApplyDelay}; use 0..{MaxHostApplyDelayMs} ms (0 applies each batch at once)");
        if (MaxInFlightObservations < BatchSize) Fail("MaxInFlightObservations", $"is {MaxInFlightObservations}; use at least BatchSize ({BatchSize}), e.g. 1000000");
        if (InFlightWait < TimeSpan.Zero || InFlightWait > TimeSpan.FromSeconds(10)) Fail("InFlightWait", $"is {InFlightWait}; use 0..10 s");
        if (MaxActiveHosts < 1) Fail("MaxActiveHosts", "must be at least 1");
        if (HostStateWritesPerSecond < 1) Fail("HostStateWritesPerSecond", "must be at least 1");
        if (HostStateRetention < TimeSpan.FromHours(1)) Fail("HostStateRetention", $"is {HostStateRetention}; use at least 1 hour");
        if (HostStateLoadBatch is < 1 or > 10_000) Fail("HostStateLoadBatch", $"is {HostStateLoadBatch}; use 1..10000");
        if (PassivationIdleTimeout < TimeSpan.FromSeconds(1)) Fail("PassivationIdleTimeout", "must be at least 1 s");
        if (SnapshotInterval < TimeSpan.FromMilliseconds(100)) Fail("SnapshotInterval", "must be at least 100 ms");
        if (IdleAdvanceInterval < TimeSpan.FromMilliseconds(100)) Fail("IdleAdvanceInterval", "must be at least 100 ms");
        if (AlertRetryInterval < TimeSpan.FromMilliseconds(10)) Fail("AlertRetryInterval", "must be at least 10 ms");
        if (MaxUnacknowledgedAlertsPerHost < 1) Fail("MaxUnacknowledgedAlertsPerHost", "must be at least 1");
        if (ForwarderMaxOutbox < 1) Fail("ForwarderMaxOutbox", "must be at least 1");
        if (ForwarderSnapshotEvery < 1) Fail("ForwarderSnapshotEvery", "must be at least 1");
        if (ForwarderPullWindow is < 1 or > MaxPullWindow) Fail("ForwarderPullWindow", $"is {ForwarderPullWindow}; use 1..{MaxPullWindow}");
        long backlogs = Sinks.Sum(s => (long)s.Policy.MaxBacklog);
        if (backlogs >= ForwarderMaxOutbox)
            Fail("Forwarder:Sinks", $"allow {backlogs} alerts of backlog in total, not below ForwarderMaxOutbox {ForwarderMaxOutbox}; lower the sinks' MaxBacklog so one dead sink cannot make the forwarder refuse alerts");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Sinks)
        {
            if (!names.Add(s.Name)) Fail("Forwarder:Sinks", $"name '{s.Name}' twice; give each sink a distinct Name");
            foreach (var problem in s.Policy.Validate($"Forwarder:Sinks:{s.Name}")) Fail("Forwarder:Sinks", problem.TrimEnd('.'));
        }
        if (SinkRetryInterval < TimeSpan.FromMilliseconds(10)) Fail("SinkRetryInterval", "must be at least 10 ms");
        if (!Enum.IsDefined(PersistenceProvider)) Fail("Persistence:Provider", "use sqlite or postgresql");
        if (PersistenceProvider == PersistenceProvider.PostgreSql && string.IsNullOrWhiteSpace(ConnectionString))
            Fail("Persistence:ConnectionString", "is required for postgresql (e.g. Host=127.0.0.1;Port=5432;Username=flowactors;Password=...;Database=flowactors)");
        if (string.IsNullOrWhiteSpace(DataDirectory)) Fail("DataDirectory", "is empty; give a writable directory such as data");
        try
        {
            Decoder.Validate();
        }
        catch (ArgumentException e)
        {
            Fail("Decoder", e.Message);
        }
        Detection.Validate();
    }

    private static void Fail(string setting, string problem) =>
        throw new ArgumentException($"FlowActors:{setting} {problem}.");
}

/// <summary>The exporters allowed to send flows: exact addresses and CIDR prefixes. Empty allows all.</summary>
/// <remarks>A <see cref="PrefixSet"/> (the one CIDR set implementation) with "empty allows every exporter" on top.</remarks>
public sealed class ExporterAllowlist
{
    private readonly PrefixSet _set;

    /// <summary>Parses entries such as <c>192.0.2.1</c> or <c>198.51.100.0/24</c>; throws <see cref="FormatException"/> on a bad one.</summary>
    public ExporterAllowlist(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (!PrefixSet.TryBuild(entries, out _set, out string? error)) throw new FormatException(error);
    }

    /// <summary>True when every exporter is allowed.</summary>
    public bool AllowsAll => _set.Count == 0;

    /// <summary>True when <paramref name="exporter"/> may send flows.</summary>
    public bool IsAllowed(FlowAddress exporter) => _set.Count == 0 || _set.Contains(exporter);
}
