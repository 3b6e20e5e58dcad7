using Akka.Actor;
using Akka.Hosting;
using Akka.Remote.Hosting;
using FlowActors.Cluster;
using FlowActors.Cluster.Hosting;
using FlowActors.Node.Configuration;
using FlowActors.Node.Demo;
using FlowActors.Node.Operator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FlowActors.Node.Hosting;

/// <summary>Builds the node's host: Akka (remoting, cluster, FlowActors capabilities), the operator endpoint and the demo feed.</summary>
public static class NodeHost
{
    /// <summary>How long SIGTERM may take: leave the cluster, hand over shards and singleton, flush.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Builds the host for validated <paramref name="settings"/>; <paramref name="configuration"/> supplies logging settings.</summary>
    public static IHost Build(NodeSettings settings, IConfiguration configuration)
    {
        // Mutating operator routes always need a token: generate one into the data directory when none is set.
        settings = OperatorToken.Resolve(settings);
        if (settings.Operator.Enabled)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddConfiguration(configuration);
            ConfigureServices(builder.Services, builder.Logging, settings, configuration);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Listen(settings.Operator.BindAddress, settings.Operator.Port);
            });
            var app = builder.Build();
            OperatorEndpoint.Map(app, settings.Operator);
            return app;
        }

        var hostBuilder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        hostBuilder.Configuration.AddConfiguration(configuration);
        ConfigureServices(hostBuilder.Services, hostBuilder.Logging, settings, configuration);
        return hostBuilder.Build();
    }

    private static void ConfigureServices(IServiceCollection services, ILoggingBuilder logging, NodeSettings settings, IConfiguration configuration)
    {
        ConfigureLogging(services, logging, configuration);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        // The options pipeline Program.Main validated the settings with; ValidateOnStart checks them again as the host starts.
        services.AddNodeSettings(configuration);
        services.AddSingleton(settings);
        services.AddSingleton<ThreatIntelReloader>();
        services.AddHostedService(p => p.GetRequiredService<ThreatIntelReloader>());
        services.AddSingleton<NodeInfo>();
        services.AddSingleton<NodeMetrics>();
        var address = new NodeAddress(settings.Cluster.Port == 0 ? null : $"{settings.Cluster.PublicHostname}:{settings.Cluster.Port}");
        services.AddSingleton(address);
        services.AddSingleton<NodeReadiness>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(p => new PersistenceProbe(settings.Persistence, p.GetRequiredService<TimeProvider>()));
        // The Akka checks (actor system, member, regions, forwarder, journal, receivers) join these in ConfigureAkka.
        services.AddHealthChecks().AddCheck<PersistenceProbe>(PersistenceProbe.Name, tags: NodeReadiness.ReadyTags);
        services.AddHostedService<NotReadyWatchdog>();
        if (settings.Demo)
        {
            services.AddHostedService<DemoFeed>();
        }

        services.AddAkka(settings.Cluster.SystemName, (akka, provider) => ConfigureAkka(akka, settings, provider));
        // After AddAkka: the telemetry providers start after the actor system, when the node's address is known.
        services.AddNodeTelemetry(configuration, settings.Operator.Enabled, address);
    }

    /// <summary>Remoting, clustering (keep-majority split brain resolver, static seeds or a cluster of one), logging.</summary>
    internal static void ConfigureAkka(AkkaConfigurationBuilder akka, NodeSettings settings, IServiceProvider provider)
    {
        var cluster = settings.Cluster;
        akka.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLogger<AkkaLogBridge>();
        });
        if (provider.GetService<ILoggerFactory>() is { } loggerFactory)
        {
            AkkaStdoutBridge.Use(loggerFactory);
            akka.AddHocon(AkkaStdoutBridge.Hocon, HoconAddMode.Prepend);
        }
        var remote = new RemoteOptions
        {
            HostName = cluster.Hostname,
            PublicHostName = cluster.PublicHostname,
            Port = cluster.Port,
        };
        RemotingTls.Apply(remote, cluster.Tls);
        akka.WithRemoting(remote);
        var options = settings.ToClusterOptions(provider.GetService<ILoggerFactory>());
        options.ThreatIntel = provider.GetRequiredService<ThreatIntelReloader>().Set;
        akka.WithFlowActorsClustering(options, cluster.Seeds);

        if (cluster.Seeds.Count == 0)
        {
            // No seeds: this node forms a cluster of its own (the embedded default). With port 0 the address
            // is known only once remoting has bound, so join here rather than through seed-nodes.
            akka.AddStartup((system, _) =>
            {
                var c = Akka.Cluster.Cluster.Get(system);
                c.Join(c.SelfAddress);
            });
        }

        // Serialization, persistence, the forwarder singleton (or proxy), the host shard region (or proxy)
        // and, on edge nodes, the UDP receivers.
        akka.AddFlowActors(options);
        akka.AddStartup((system, _) =>
        {
            provider.GetRequiredService<NodeMetrics>().Attach(system);
            provider.GetRequiredService<NodeAddress>().Set(Akka.Cluster.Cluster.Get(system).SelfAddress);
        });

        AddHealthChecks(akka, settings, options);
    }

    /// <summary>
    /// Console logs: the simple formatter on one line with a UTC timestamp, or any formatter named by
    /// <c>Logging:Console:FormatterName</c> (<c>json</c> for Kubernetes), with its options from
    /// <c>Logging:Console:FormatterOptions</c>. Akka's own log events reach it through <see cref="AkkaLogBridge"/>.
    /// </summary>
    private static void ConfigureLogging(IServiceCollection services, ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.ClearProviders();
        // The health check service logs every unhealthy check of every probe at error level: the probes and the
        // NotReadyWatchdog say what is not ready instead. Before the configuration, so Logging:LogLevel can override it.
        logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        logging.AddConfiguration(configuration.GetSection("Logging"));
        // The node's defaults, then Logging:Console on top. Post-configured: the slim web builder has already
        // registered AddSimpleConsole, whose fixed formatter name would otherwise win over the configuration.
        var console = configuration.GetSection("Logging:Console");
        services.PostConfigure<ConsoleLoggerOptions>(o => o.FormatterName = console["FormatterName"] ?? ConsoleFormatterNames.Simple);
        services.PostConfigure<SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
            console.GetSection("FormatterOptions").Bind(o);
        });
        services.PostConfigure<JsonConsoleFormatterOptions>(o =>
        {
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
            console.GetSection("FormatterOptions").Bind(o);
        });
        logging.AddConsole();
    }

    /// <summary>
    /// Liveness: Akka.Hosting's actor-system check. Readiness: the member is Up, the host shard region and the
    /// forwarder proxy exist, the forwarder answers, the journal and snapshot store plugins answer (and the database
    /// behind them, <see cref="PersistenceProbe"/>), and on edge nodes every UDP port runs all its receive loops.
    /// </summary>
    private static void AddHealthChecks(AkkaConfigurationBuilder akka, NodeSettings settings, FlowActorsClusterOptions options)
    {
        string[] ready = NodeReadiness.ReadyTags;
        var timeout = TimeSpan.FromSeconds(5);
        akka.WithActorSystemLivenessCheck(tags: [NodeReadiness.LiveTag]);
        akka.WithHealthCheck(ClusterMemberUpCheck.Name, new ClusterMemberUpCheck(), tags: ready, timeout: timeout);
        akka.WithHealthCheck("host-shard-region", new RegisteredActorCheck<HostRegionMarker>(), tags: ready, timeout: timeout);
        akka.WithHealthCheck("forwarder-proxy", new RegisteredActorCheck<ForwarderProxyMarker>(), tags: ready, timeout: timeout);
        akka.WithHealthCheck(ForwarderReadiness.Name, new ForwarderReadiness(), tags: ready, timeout: timeout);
        akka.WithHealthCheck(PersistencePluginCheck.JournalName, new PersistencePluginCheck(PersistencePluginCheck.Plugin.Journal), tags: ready, timeout: timeout);
        akka.WithHealthCheck(PersistencePluginCheck.SnapshotStoreName, new PersistencePluginCheck(PersistencePluginCheck.Plugin.SnapshotStore), tags: ready, timeout: timeout);
        if (options.HasRole(FlowActorsClusterOptions.EdgeRole))
        {
            int socketsPerPort = OperatingSystem.IsLinux() ? settings.Receivers.SocketsPerPort : 1;
            akka.WithHealthCheck(ReceiverReadiness.Name, new ReceiverReadiness(settings.Receivers.EnabledPorts, socketsPerPort), tags: ready, timeout: timeout);
        }
    }
}
