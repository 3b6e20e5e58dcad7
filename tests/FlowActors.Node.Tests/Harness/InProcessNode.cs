using FlowActors.Node.Configuration;
using FlowActors.Node.Hosting;
using FlowActors.Node.Operator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace FlowActors.Node.Tests.Harness;

/// <summary>A whole node (Akka cluster of one, operator endpoint) hosted inside the test process on free loopback ports.</summary>
public sealed class InProcessNode : IAsyncDisposable
{
    private readonly TempDirectory _data;
    private IHost? _host;

    private InProcessNode(NodeSettings settings, IHost host, TempDirectory data)
    {
        Settings = settings;
        _host = host;
        _data = data;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{settings.Operator.Port}/"), Timeout = TimeSpan.FromSeconds(20) };
        OperatorClient = new HttpClient { BaseAddress = Client.BaseAddress, Timeout = Client.Timeout };
        OperatorClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", settings.Operator.Token);
    }

    /// <summary>Client carrying the node's operator token (configured or generated), as flowctl on this machine sends it.</summary>
    public HttpClient OperatorClient { get; }

    /// <summary>The settings it runs with.</summary>
    public NodeSettings Settings { get; }

    /// <summary>Client for its operator endpoint (no token set).</summary>
    public HttpClient Client { get; }

    /// <summary>HOST:PORT of its operator endpoint, as flowctl takes it.</summary>
    public string Endpoint => $"127.0.0.1:{Settings.Operator.Port}";

    /// <summary>The data directory.</summary>
    public string DataDirectory => Settings.DataDirectory;

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _host!.Services;

    /// <summary>Starts a node; <paramref name="extra"/> adds or overrides configuration keys.</summary>
    public static async Task<InProcessNode> StartAsync(params (string Key, string Value)[] extra)
    {
        var data = new TempDirectory("flowactors-node");
        var values = new Dictionary<string, string?>
        {
            ["FlowActors:DataDirectory"] = data.Path,
            ["FlowActors:Cluster:Port"] = "0",
            ["FlowActors:Receivers:BindAddress"] = "127.0.0.1",
            ["FlowActors:Receivers:NetFlowPort"] = FreePorts.Udp().ToString(),
            ["FlowActors:Receivers:IpfixPort"] = "0",
            ["FlowActors:Receivers:SflowPort"] = "0",
            ["FlowActors:Operator:Port"] = FreePorts.Tcp().ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var settings = OperatorToken.Resolve(NodeSettingsOptions.Read(configuration));
        var host = NodeHost.Build(settings, configuration);
        await host.StartAsync();
        return new InProcessNode(settings, host, data);
    }

    /// <summary>Waits until <c>/healthz/ready</c> answers 200.</summary>
    public Task WaitReadyAsync() => Poll.UntilAsync(async () =>
    {
        using var response = await Client.GetAsync("healthz/ready");
        return response.IsSuccessStatusCode;
    }, TimeSpan.FromSeconds(30), "the node to become ready");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        OperatorClient.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
            _host = null;
        }

        _data.Dispose();
    }
}
