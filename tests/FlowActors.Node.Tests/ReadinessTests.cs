using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FlowActors.Cluster.Messages;
using FlowActors.Node.Hosting;
using FlowActors.Node.Tests.Harness;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlowActors.Node.Tests;

/// <summary>
/// Issue 10, finding 6: readiness tells the truth. It is false while the journal and snapshot store cannot be
/// reached, while a UDP port is not bound and while a receive loop is dead; a node that stays not ready exits
/// after <c>Health:ExitAfterNotReadySeconds</c>, naming the setting.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class ReadinessTests
{
    private static async Task<Dictionary<string, (bool Ok, string Detail)>> ChecksAsync(HttpClient client)
    {
        using var response = await client.GetAsync("healthz/ready");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => (c.GetProperty("ok").GetBoolean(), c.GetProperty("detail").GetString()!));
    }

    [Fact]
    public async Task An_unreachable_postgresql_makes_the_node_not_ready_and_it_exits_3_after_the_grace_period_naming_the_setting()
    {
        using var data = new TempDirectory();
        var environment = NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp());
        // Nothing listens on this port: the database is down.
        environment["FLOWACTORS__PERSISTENCE__PROVIDER"] = "postgresql";
        environment["FLOWACTORS__PERSISTENCE__CONNECTIONSTRING"] = $"Host=127.0.0.1;Port={FreePorts.Tcp()};Database=flowactors;Username=flowactors;Password=secret-pw";
        environment["FLOWACTORS__HEALTH__EXITAFTERNOTREADYSECONDS"] = "20";
        await using var node = NodeProcess.Start(environment);

        Dictionary<string, (bool Ok, string Detail)> checks = new();
        await Poll.UntilAsync(async () =>
        {
            try
            {
                checks = await ChecksAsync(node.Client);
                return checks.ContainsKey("persistence") && checks["cluster-member-up"].Ok;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the readiness report with the persistence check");

        Assert.False(checks["persistence"].Ok);
        Assert.Contains("postgresql unreachable", checks["persistence"].Detail);
        Assert.DoesNotContain("secret-pw", checks["persistence"].Detail);
        int exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(exit == NotReadyWatchdog.ExitCode, $"exit {exit}:\n{node.Output}");
        Assert.Contains("Not ready for 20 s (", node.Output);
        Assert.Contains("FlowActors:Health:ExitAfterNotReadySeconds (FLOWACTORS__HEALTH__EXITAFTERNOTREADYSECONDS)", node.Output);
    }

    [Fact]
    public async Task A_reachable_store_and_bound_ports_are_reported_ready_with_details()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        var checks = await ChecksAsync(node.Client);

        Assert.Equal((true, "sqlite answers"), checks["persistence"]);
        Assert.True(checks["flow-receivers"].Ok, checks["flow-receivers"].Detail);
    }

    [Fact]
    public async Task A_udp_port_held_by_another_process_keeps_the_node_not_ready_naming_the_port()
    {
        // Bound without SO_REUSEPORT: the node's sockets cannot share it.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        await using var node = await InProcessNode.StartAsync(("FlowActors:Receivers:NetFlowPort", port.ToString()), ("FlowActors:Health:ExitAfterNotReadySeconds", "0"));

        Dictionary<string, (bool Ok, string Detail)> checks = new();
        await Poll.UntilAsync(async () =>
        {
            checks = await ChecksAsync(node.Client);
            return checks.TryGetValue("flow-receivers", out var r) && r.Detail.Contains($"UDP {port} not bound", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(60), $"readiness to name UDP {port}");

        Assert.False(checks["flow-receivers"].Ok);
        Assert.True(checks["cluster-member-up"].Ok);
        using var ready = await node.Client.GetAsync("healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task A_node_that_is_not_an_up_member_is_live_but_not_ready()
    {
        // Its only seed never answers: the node stays out of the cluster.
        await using var node = await InProcessNode.StartAsync(("FlowActors:Cluster:Seeds:0", $"127.0.0.1:{FreePorts.Tcp()}"), ("FlowActors:Health:ExitAfterNotReadySeconds", "0"));

        Dictionary<string, (bool Ok, string Detail)> checks = new();
        await Poll.UntilAsync(async () =>
        {
            checks = await ChecksAsync(node.Client);
            return checks.ContainsKey("cluster-member-up");
        }, TimeSpan.FromSeconds(30), "the readiness report");

        Assert.False(checks["cluster-member-up"].Ok);
        Assert.DoesNotContain("is Up", checks["cluster-member-up"].Detail);
        using (var ready = await node.Client.GetAsync("healthz/ready")) Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var live = await node.Client.GetAsync("healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var doc = JsonDocument.Parse(await live.Content.ReadAsStringAsync());
        Assert.Equal("live", doc.RootElement.GetProperty("status").GetString());
        Assert.Contains(doc.RootElement.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "akka.actorsystem" && c.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void A_port_with_a_dead_receive_loop_is_not_ready()
    {
        PortStats Port(int port, int runningLoops) => new(port, runningLoops, 8 << 20, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        var healthy = ReceiverReadiness.Evaluate([Port(2055, 2), Port(4739, 2)], [2055, 4739], 2);
        var oneDied = ReceiverReadiness.Evaluate([Port(2055, 1), Port(4739, 2)], [2055, 4739], 2);
        var missing = ReceiverReadiness.Evaluate([Port(2055, 2)], [2055, 4739], 2);

        var allDied = ReceiverReadiness.Evaluate([Port(2055, 0), Port(4739, 2)], [2055, 4739], 2);

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal((HealthStatus.Unhealthy, "UDP 2055: 1 of 2 receive loops running"), (oneDied.Status, oneDied.Description));
        Assert.Equal(HealthStatus.Unhealthy, missing.Status);
        Assert.StartsWith("UDP 4739 not bound", missing.Description);
        Assert.Equal(HealthStatus.Unhealthy, allDied.Status);
        Assert.StartsWith("UDP 2055 not bound", allDied.Description);
    }
}
