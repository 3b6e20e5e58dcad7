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
        logging.ClearProviders();
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });

        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        services.AddSingleton(settings);
        services.AddSingleton<NodeInfo>();
        services.AddSingleton<NodeMetrics>();
        var address = new NodeAddress(settings.Cluster.Port == 0 ? null : $"{settings.Cluster.PublicHostname}:{settings.Cluster.Port}");
        services.AddSingleton(address);
        services.AddSingleton<NodeReadiness>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(p => new PersistenceProbe(settings.Persistence, p.GetRequiredService<TimeProvider>()));
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
            loggers.AddLoggerFactory();
        });
        var remote = new RemoteOptions
        {
            HostName = cluster.Hostname,
            PublicHostName = cluster.PublicHostname,
            Port = cluster.Port,
        };
        RemotingTls.Apply(remote, cluster.Tls);
        akka.WithRemoting(remote);
        var options = settings.ToClusterOptions(provider.GetService<ILoggerFactory>());
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

        var readiness = provider.GetRequiredService<NodeReadiness>();
        readiness.Add(system => Registered<HostRegionMarker>(system, "host-shard-region"));
        readiness.Add(system => Registered<ForwarderProxyMarker>(system, "forwarder-proxy"));
        readiness.Add(ForwarderAnsweringAsync);
        var persistence = provider.GetRequiredService<PersistenceProbe>();
        readiness.Add(_ => persistence.CheckAsync());
        if (options.HasRole(FlowActorsClusterOptions.EdgeRole))
        {
            var expectedPorts = settings.Receivers.EnabledPorts;
            int socketsPerPort = OperatingSystem.IsLinux() ? settings.Receivers.SocketsPerPort : 1;
            readiness.Add(system => ReceiversRunningAsync(system, expectedPorts, socketsPerPort));
        }
    }

    /// <summary>
    /// Ready only while every configured UDP port is bound and every one of its receive loops runs: the receivers
    /// open after the shard region is up (a datagram sent before that is lost), a port another process holds is
    /// never bound, and a receive loop that died on an unexpected error receives nothing.
    /// </summary>
    private static async Task<ReadinessCheck> ReceiversRunningAsync(Akka.Actor.ActorSystem system, IReadOnlyList<int> expectedPorts, int socketsPerPort)
    {
        const string name = ReceiverReadiness.Name;
        if (!ActorRegistry.For(system).TryGet<ReceiverMarker>(out var receivers)) return new ReadinessCheck(name, false, "not started");
        try
        {
            var stats = await receivers.Ask<FlowActors.Cluster.Messages.ReceiverStats>(FlowActors.Cluster.Messages.GetReceiverStats.Instance, TimeSpan.FromSeconds(2));
            return ReceiverReadiness.Evaluate(stats.Ports, expectedPorts, socketsPerPort);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return new ReadinessCheck(name, false, "receivers did not answer within 2 s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new ReadinessCheck(name, false, "receivers failed to report: " + ex.Message);
        }
    }

    /// <summary>
    /// Ready while the forwarder singleton answers; degraded sinks are named in the detail but do not fail readiness
    /// (see <see cref="ForwarderReadiness"/> for why).
    /// </summary>
    private static async Task<ReadinessCheck> ForwarderAnsweringAsync(Akka.Actor.ActorSystem system)
    {
        if (!ActorRegistry.For(system).TryGet<ForwarderProxyMarker>(out var forwarder)) return ForwarderReadiness.NotAnswering("forwarder proxy not started");
        try
        {
            var status = await forwarder.Ask<FlowActors.Cluster.Messages.ForwarderStatus>(FlowActors.Cluster.Messages.GetForwarderStatus.Instance, ForwarderReadiness.AskTimeout);
            return ForwarderReadiness.Evaluate(status);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return ForwarderReadiness.NotAnswering($"forwarder singleton did not answer within {ForwarderReadiness.AskTimeout.TotalSeconds:0} s (starting, recovering its journal, or moving to another node)");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ForwarderReadiness.NotAnswering("forwarder failed to report: " + ex.Message);
        }
    }

    private static ReadinessCheck Registered<TMarker>(Akka.Actor.ActorSystem system, string name)
    {
        bool present = ActorRegistry.For(system).TryGet<TMarker>(out var actor);
        return new ReadinessCheck(name, present, present ? actor.Path.ToStringWithoutAddress() : "not started");
    }
}
