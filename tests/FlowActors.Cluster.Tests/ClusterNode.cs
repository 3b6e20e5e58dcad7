using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using FlowActors.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlowActors.Cluster.Tests;

/// <summary>
/// One cluster node in the test process (the Akka.Hosting tests pattern): a generic host with remoting on
/// 127.0.0.1 port 0 and <c>AddFlowActors</c>; the first node joins itself, the others join it.
/// </summary>
/// <remarks>
/// These nodes run without <c>serialize-messages</c>: Akka.DistributedData 1.5.73 sends its own local
/// <c>ReadRepair</c> (holding an ImmutableDictionary its JSON fallback cannot read back) and fails that check.
/// Every message between nodes here still goes through real remoting and therefore through our serializer.
/// </remarks>
internal sealed class ClusterNode : IAsyncDisposable
{
    private const string Hocon = """
        akka.loglevel = WARNING
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
        akka.cluster.split-brain-resolver.stable-after = 2s
        akka.cluster.singleton.hand-over-retry-interval = 300ms
        akka.cluster.sharding.retry-interval = 300ms
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 10s
        akka.remote.dot-netty.tcp.batching.enabled = false
        """;

    private readonly IHost _host;
    private bool _stopped;

    private ClusterNode(IHost host, string name)
    {
        _host = host;
        Name = name;
        System = host.Services.GetRequiredService<ActorSystem>();
        Registry = host.Services.GetRequiredService<ActorRegistry>();
    }

    public string Name { get; }

    public ActorSystem System { get; }

    public ActorRegistry Registry { get; }

    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);

    public Address Address => Cluster.SelfAddress;

    public IActorRef HostRegion => Registry.Get<HostRegionMarker>();

    public IActorRef Forwarder => Registry.Get<ForwarderProxyMarker>();

    /// <summary>Starts a node and joins <paramref name="join"/> (itself when null).</summary>
    public static async Task<ClusterNode> StartAsync(string name, FlowActorsClusterOptions options, Address? join, string extraHocon = "")
    {
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("flowactors", (b, _) =>
            {
                b.AddHocon(Hocon + "\n" + extraHocon, HoconAddMode.Prepend)
                    .WithRemoting("127.0.0.1", 0)
                    .WithClustering(new ClusterOptions { Roles = [.. options.Roles], SplitBrainResolver = new KeepMajorityOption() })
                    .AddFlowActors(options);
            }))
            .Build();
        await host.StartAsync();
        var node = new ClusterNode(host, name);
        node.Cluster.Join(join ?? node.Address);
        return node;
    }

    /// <summary>Leaves the cluster gracefully (coordinated shutdown: hand-off, snapshots, singleton hand-over).</summary>
    public async Task LeaveAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _host.StopAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the actor system without leaving the cluster: to the others it looks like a crash.</summary>
    public async Task CrashAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await System.Terminate();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            try
            {
                await _host.StopAsync(TimeSpan.FromSeconds(15));
            }
            catch (OperationCanceledException)
            {
            }
        }
        _host.Dispose();
    }
}
