using Akka;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using FlowActors.Cluster.Actors;
using FlowActors.Cluster.Prevalence;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Persistence;
using FlowActors.Cluster.Receiving;
using FlowActors.Cluster.Serialization;
using FlowActors.Cluster.Sharding;

namespace FlowActors.Cluster.Hosting;

/// <summary>
/// Akka.Hosting wiring for FlowActors, so the node's start-up reads as a list of capabilities:
/// <code>
/// services.AddAkka("flowactors", b => b
///     .WithRemoting("0.0.0.0", 4053, publicHostname)
///     .WithFlowActorsClustering(options, seedNodes)
///     .AddFlowActors(options));
/// </code>
/// </summary>
public static class FlowActorsHostingExtensions
{
    /// <summary>Name of the sharded entity type for monitored hosts.</summary>
    public const string HostTypeName = "host";

    /// <summary>Name of the SIEM forwarder singleton (and its manager actor).</summary>
    public const string ForwarderSingletonName = "siem-forwarder";

    /// <summary>
    /// Sharding settings of the <c>host</c> region, prepended to the configuration: <c>WithClustering</c> has already
    /// appended Akka.Cluster.Sharding's reference configuration, so a fallback (<see cref="HoconAddMode.Append"/>) added
    /// after it is never read (the previous round's rebalance limits and hand-off timeout were silently ignored this way).
    /// <list type="bullet">
    /// <item>The least-shard allocation strategy's current algorithm (<c>rebalance-absolute-limit</c> &gt; 0): up to 20 % of
    /// the shards move per round, every 2 s. The reference configuration keeps the deprecated one (threshold 1, which
    /// moves one shard per 10 s round): the seed, alone at first, starts all 100 shards, and a node that joined got
    /// one shard per 10 s (98/1/1 after 25 s).</item>
    /// <item>Hand-off sends <see cref="StopHost"/> to each shard actor, which writes all its dirty hosts in one transaction
    /// and stops; Akka stops it forcefully after <c>handoff-timeout</c> less 5 s, so 25 s for that, inside the 30 s
    /// shutdown phase (Akka's defaults: 60 s and 10 s; the key once set here, <c>entity-handoff-timeout</c>, does not
    /// exist).</item>
    /// </list>
    /// </summary>
    public const string ShardingHocon = """
        akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit = 1000
        akka.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit = 0.2
        akka.cluster.sharding.rebalance-interval = 2s
        akka.cluster.sharding.handoff-timeout = 30s
        akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 30s
        """;

    /// <summary>Binds <see cref="FlowActorsSerializer"/> to every <see cref="IFlowActorsMessage"/>.</summary>
    public static AkkaConfigurationBuilder WithFlowActorsSerialization(this AkkaConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithCustomSerializer("flowactors", [typeof(IFlowActorsMessage)], system => new FlowActorsSerializer(system));
    }

    /// <summary>
    /// Clustering with this node's roles, static seed nodes and the keep-majority split brain resolver, which downs
    /// unreachable members after <see cref="FlowActorsClusterOptions.DowningStableAfter"/>.
    /// Remoting (<c>WithRemoting</c>) is configured by the caller.
    /// </summary>
    public static AkkaConfigurationBuilder WithFlowActorsClustering(this AkkaConfigurationBuilder builder, FlowActorsClusterOptions options, IEnumerable<string> seedNodes)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.AddHocon($"akka.cluster.split-brain-resolver.stable-after = {(long)options.DowningStableAfter.TotalMilliseconds}ms", HoconAddMode.Prepend);
        return builder.WithClustering(new ClusterOptions
        {
            Roles = [.. options.Roles],
            SeedNodes = [.. seedNodes],
            SplitBrainResolver = new KeepMajorityOption(),
        });
    }

    /// <summary>
    /// Akka.Persistence.Sql as the default journal and snapshot store: SQLite (a file under the data directory,
    /// created if missing) or PostgreSQL. Tables are created on first use.
    /// </summary>
    public static AkkaConfigurationBuilder WithFlowActorsPersistence(this AkkaConfigurationBuilder builder, FlowActorsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        string provider;
        if (options.PersistenceProvider == PersistenceProvider.Sqlite)
        {
            provider = LinqToDB.ProviderName.SQLiteMS;
            SqliteDatabase.Prepare(options.EffectiveConnectionString);
        }
        else
        {
            provider = LinqToDB.ProviderName.PostgreSQL15;
        }
        // No WithConnectivityCheck: it fails against the linq2db served here (DESIGN.md, Persistence).
        return builder.WithSqlPersistence(options.EffectiveConnectionString, provider, autoInitialize: true);
    }

    /// <summary>
    /// The SIEM forwarder: on nodes with the forwarder role a cluster singleton manager plus proxy, elsewhere
    /// only the proxy; registered as <see cref="ForwarderProxyMarker"/>. The singleton is a backoff supervisor
    /// around the persistent forwarder, so a failed journal write restarts it rather than stopping it.
    /// </summary>
    public static AkkaConfigurationBuilder WithFlowActorsForwarder(this AkkaConfigurationBuilder builder, FlowActorsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var singletonOptions = new ClusterSingletonOptions { Role = FlowActorsClusterOptions.ForwarderRole, BufferSize = 10_000 };
        if (options.HasRole(FlowActorsClusterOptions.ForwarderRole))
        {
            return builder.WithSingleton<ForwarderProxyMarker>(
                ForwarderSingletonName,
                (_, _, _) => SiemForwarderActor.GetSupervisedProps(options, SiemForwarderActor.SinkDefinitions(options)),
                singletonOptions,
                createProxyToo: true);
        }
        return builder.WithSingletonProxy<ForwarderProxyMarker>(ForwarderSingletonName, singletonOptions);
    }

    /// <summary>
    /// The <c>host</c> shard region (state-store-mode ddata, no remember-entities; one <see cref="HostShardActor"/>
    /// per shard, which owns the shard's hosts and persists them in batches), or a proxy to it on nodes without the analytics role; registered as
    /// <see cref="HostRegionMarker"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithFlowActorsSharding(this AkkaConfigurationBuilder builder, FlowActorsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var extractor = new HostMessageExtractor(options.ShardCount);
        if (options.ThreatIntel is null && options.Detection.ThreatIntel.Files.Count > 0)
            options.ThreatIntel = Detection.ThreatIntelSet.FromFiles(options.Detection.ThreatIntel.Files);
        builder.AddHocon(ShardingHocon, HoconAddMode.Prepend);
        if (!options.HasRole(FlowActorsClusterOptions.AnalyticsRole))
        {
            return builder.WithShardRegionProxy<HostRegionMarker>(HostTypeName, FlowActorsClusterOptions.AnalyticsRole, extractor);
        }
        builder.WithShardRegion<HostRegionMarker>(
            HostTypeName,
            (system, registry, _) =>
            {
                // One store and one host population per node, shared by its shards.
                var store = HostStateStore.Create(options);
                var population = new HostPopulation(options.MaxActiveHosts);
                var log = Logging.GetLogger(system, "flowactors-host-state");
                store.StartRetention(options.HostStateRetention, TimeSpan.FromHours(1), e => log.Warning(e, "Pruning host states older than {0} failed", options.HostStateRetention));
                system.RegisterOnTermination(store.Dispose);
                // Resolved per use, so the forwarder may be registered after the region.
                IActorRef Forwarder() => registry.Get<ForwarderProxyMarker>();
                return entityId => HostShardActor.GetProps(entityId, options, Forwarder, store, population);
            },
            extractor,
            new ShardOptions
            {
                Role = FlowActorsClusterOptions.AnalyticsRole,
                StateStoreMode = StateStoreMode.DData,
                RememberEntities = false,
                // Shard actors live as long as their shard is here; hosts inside them are passivated by the shard.
                ShouldPassivateIdleEntities = false,
                HandOffStopMessage = StopHost.Instance,
            });
        // One prevalence sketch per analytics node, merged with the other nodes' through DistributedData.
        options.Prevalence ??= new Detection.PrevalenceSketch();
        var prevalence = options.Prevalence;
        builder.WithActors((system, _) =>
            system.ActorOf(PrevalenceReplicatorActor.GetProps(prevalence, options.PrevalencePublishInterval), "prevalence-replicator"));
        // Every shard runs somewhere even without traffic, so stored hosts come back (and close open windows) after
        // a restart or hand-off.
        if (!options.KeepAllShardsStarted) return builder;
        return builder.WithActors((system, registry) =>
            system.ActorOf(HostShardStarterActor.GetProps(registry.Get<HostRegionMarker>(), options.ShardCount, TimeSpan.FromSeconds(5)), "host-shard-starter"));
    }

    /// <summary>
    /// This node's UDP receivers (one <c>FlowReceiverActor</c> per configured port, under a supervisor registered
    /// as <see cref="ReceiverMarker"/>), the template replicator and the <see cref="ShardHomeTrackerActor"/> that tells
    /// the receivers which shards' home is unreachable. Ports open once the host shard region is
    /// ready; coordinated shutdown closes them (flushing pending batches) before the shard region hands off.
    /// Call after <see cref="WithFlowActorsSharding"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithFlowActorsReceivers(this AkkaConfigurationBuilder builder, FlowActorsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.WithActors((system, registry) =>
        {
            var region = registry.Get<HostRegionMarker>();
            // Where each shard lives and which members are unreachable, so the receive loops hold batches for a dead
            // member's shards until it is downed instead of sending them to it.
            system.ActorOf(ShardHomeTrackerActor.GetProps(region, ShardHomes.For(region, options.ShardCount), options.ShardCount, TimeSpan.FromSeconds(2)), "shard-home-tracker");
            var supervisor = system.ActorOf(ReceiverSupervisorActor.GetProps(options, region), "flow-receivers");
            registry.Register<ReceiverMarker>(supervisor);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "flowactors-stop-receivers",
                () => supervisor.Ask<Done>(ReceiverSupervisorActor.StopReceivers.Instance, TimeSpan.FromSeconds(15)));
        });
    }

    /// <summary>
    /// Everything this node's roles call for, in dependency order: serialization, persistence, the forwarder
    /// singleton (or proxy), the host shard region (or proxy) and, on edge nodes, the UDP receivers.
    /// Validates <paramref name="options"/> first.
    /// </summary>
    public static AkkaConfigurationBuilder AddFlowActors(this AkkaConfigurationBuilder builder, FlowActorsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        builder.WithFlowActorsSerialization()
            .WithFlowActorsPersistence(options)
            .WithFlowActorsForwarder(options)
            .WithFlowActorsSharding(options);
        if (options.HasRole(FlowActorsClusterOptions.EdgeRole)) builder.WithFlowActorsReceivers(options);
        return builder;
    }
}
