using System.Collections.Concurrent;
using System.Net;

namespace FlowActors.Cli.Tests;

/// <summary>
/// A small HTTP server on a free loopback port that answers the operator routes flowctl calls with JSON in the shapes
/// the node's <c>/api</c> routes return, and records what it was asked. For the parsing, prompt and rendering tests;
/// tests/FlowActors.Node.Tests/FlowctlOperatorTests runs flowctl against a real node.
/// </summary>
internal sealed class OperatorEndpointServer : HttpTestListener
{
    private readonly Dictionary<string, string> _answers;

    public OperatorEndpointServer(string? requiredToken = null, Dictionary<string, string>? answers = null)
    {
        _answers = answers ?? DefaultAnswers;
        RequiredToken = requiredToken;
    }

    /// <summary>What <c>/api/node/version</c> answers, byte for byte (the <c>--json</c> test compares it).</summary>
    public const string VersionJson = """{"version":"1.2.3","runtime":".NET 10.0.0","uptime_s":42,"address":"akka.tcp://flowactors@127.0.0.1:4053","process_id":4242}""";

    /// <summary>The answers by path: the shapes of the node's routes (FlowRoutes, NodeRoutes, ClusterRoutes).</summary>
    public static Dictionary<string, string> DefaultAnswers => new()
    {
        ["/api/node/version"] = VersionJson,
        ["/api/cluster/status"] = """{"self":"akka.tcp://flowactors@127.0.0.1:4053","status":"Up","members_up":1,"unreachable":0}""",
        ["/api/cluster/show"] = """{"self":"akka.tcp://flowactors@127.0.0.1:4053","members":[{"address":"akka.tcp://flowactors@127.0.0.1:4053","status":"Up","roles":["analytics","edge","forwarder"],"reachable":true},{"address":"akka.tcp://flowactors@127.0.0.1:4054","status":"Joining","roles":["edge"],"reachable":true}]}""",
        ["/api/hosts/show"] = """{"host":"10.0.0.7","node_address":"akka.tcp://flowactors@127.0.0.1:4053","flows_observed":1200,"windows_closed":4,"event_time":"2026-11-20T10:00:00+00:00","batches_applied":12,"alerts_raised":2,"unacknowledged_alerts":0,"alerts_dropped":0,"restored_from_snapshot":false,"snapshot_bytes":512}""",
        ["/api/exporters/list"] = """{"ports":[{"port":2055,"protocol":"netflow","dropped_kernel":0}],"exporters":[{"exporter":"192.0.2.1","datagrams":7,"records":191,"decode_errors":0,"templates_learned":2,"records_undecodable":0,"last_seen":"2026-11-20T10:00:00+00:00"}],"refused_exporters":[]}""",
    };

    /// <summary>HOST:PORT as flowctl takes it.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The bearer token it requires; null for none.</summary>
    public string? RequiredToken { get; }

    /// <summary>Every request, as <c>METHOD /path?query</c>.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpListenerContext context, byte[] requestBody)
    {
        var request = context.Request;
        Requests.Enqueue($"{request.HttpMethod} {request.Url!.PathAndQuery}");
        string path = request.Url.AbsolutePath;
        int status;
        string body;
        if (RequiredToken is not null && request.Headers["Authorization"] != "Bearer " + RequiredToken)
        {
            (status, body) = (401, """{"error":"missing or wrong bearer token"}""");
        }
        else if (_answers.TryGetValue(path, out var answer))
        {
            (status, body) = (200, answer);
        }
        else
        {
            (status, body) = (404, $$"""{"error":"no route {{path}}"}""");
        }

        await RespondAsync(context, status, body);
    }
}
