using FlowActors.Node.Tests.Harness;

namespace FlowActors.Node.Tests;

/// <summary>The node as operators run it: a process, configured by environment variables, stopped by SIGTERM.</summary>
[Collection(NodeCollection.Name)]
public sealed class NodeProcessTests
{
    [Fact]
    public async Task Node_process_becomes_ready_answers_flowctl_and_leaves_the_cluster_on_SIGTERM()
    {
        using var data = new TempDirectory();
        await using var node = NodeProcess.Start(NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp()));
        await node.WaitReadyAsync();

        var (code, output) = await node.FlowctlAsync("cluster", "status");
        Assert.True(code == 0, output);
        Assert.Matches("status: +Up\\n", output);
        Assert.Matches("members_up: +1\\n", output);
        // A mutating command: flowctl on the node's machine finds the generated token in the data directory.
        (code, output) = await node.FlowctlAsync("cluster", "down-unreachable");
        Assert.True(code == 0, output);

        int exit = await node.TerminateAsync();

        Assert.True(exit == 0, node.Output);
        // Coordinated shutdown ran: the member left the cluster before the process ended.
        Assert.Contains("Exiting completed", node.Output);
        Assert.Contains("Application is shutting down", node.Output);
        // One log pipeline: Akka's lines too carry one timestamp and one level (LoggingTests).
        LoggingTests.AssertSingleLineLogs(node.StandardOutputLines);
    }

    [Fact]
    public async Task Demo_switch_shows_a_newcomer_alerts_within_a_minute()
    {
        using var data = new TempDirectory();
        await using var node = NodeProcess.Start(NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp()), "--demo");
        string alerts = Path.Combine(data.Path, "alerts.jsonl");

        await Poll.UntilAsync(() => File.Exists(alerts) && File.ReadAllText(alerts).Contains("\"detector\":\"port-scan\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "a port-scan alert from the demo capture");

        // The log line follows the replay's last datagram, and alerts from its first ones can be written before it.
        await Poll.UntilAsync(() => node.Output.Contains("demo: replayed 128 NetFlow v9 datagrams from portscan-v9.pcap", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the demo's replay line");
        // The console sink shows the same alert to whoever started the node.
        await Poll.UntilAsync(() => node.Output.Contains("port-scan T1046", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the alert on the console");
        Assert.Equal(0, await node.TerminateAsync());
    }

    [Fact]
    public async Task Node_process_with_a_bad_setting_exits_with_2_naming_it()
    {
        using var data = new TempDirectory();
        var environment = NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp());
        environment["FLOWACTORS__CLUSTER__PORT"] = "70000";
        await using var node = NodeProcess.Start(environment);

        int exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exit);
        Assert.Contains("FlowActors:Cluster:Port must be 0-65535 (got '70000'). Set FLOWACTORS__CLUSTER__PORT to a free TCP port, e.g. 4053.", node.Output);
    }

    [Fact]
    public async Task Node_process_refuses_an_unknown_argument()
    {
        using var data = new TempDirectory();
        await using var node = NodeProcess.Start(NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp()), "--dmeo");

        int exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exit);
        Assert.Contains("unknown argument '--dmeo'", node.Output);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task An_existing_but_unwritable_data_directory_exits_with_2_naming_the_setting()
    {
        // The node runs as nobody (65534), as a container's user would, over a directory owned by root with mode 0555.
        using var parent = new TempDirectory();
        File.SetUnixFileMode(parent.Path, (UnixFileMode)0b111_101_101);
        string data = Path.Combine(parent.Path, "data");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0b101_101_101);
        var environment = NodeProcess.FreshEnvironment(data, FreePorts.Udp());
        await using var node = NodeProcess.Start(environment, [], runAsUid: 65534);

        int exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exit == 2, $"exit {exit}:\n{node.Output}");
        Assert.Contains($"FlowActors:DataDirectory '{data}' is not writable", node.Output);
        Assert.Contains("Set FLOWACTORS__DATADIRECTORY to a directory this user", node.Output);
        Assert.DoesNotContain("   at ", node.Output); // no stack trace
    }
}
