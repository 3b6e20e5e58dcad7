using System.CommandLine;
using System.Diagnostics;
using FlowActors.Cli.Operator;

namespace FlowActors.Cli.Tests;

/// <summary>The command tree: help and completion generated from it, typed values, endpoints, exit codes.</summary>
public class FlowctlCommandLineTests
{
    private static Flowctl Tree() => new(new StringWriter(), new StringWriter(), null, new StringReader(""), terminal: false);

    private static IEnumerable<(string[] Path, Command Command)> AllCommands(Command command, string[] path)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] here = [.. path, sub.Name];
            yield return (here, sub);
            foreach (var nested in AllCommands(sub, here)) yield return nested;
        }
    }

    [Fact]
    public void Root_help_lists_every_command_every_operator_command_and_the_exit_codes()
    {
        var run = FlowctlRun.Invoke("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in Tree().Root.Subcommands) Assert.Contains("  " + command.Name, run.Stdout);
        foreach (var route in OperatorPalettes.Routes) Assert.Contains($"flowctl {route.Palette} {route.Name}", run.Stdout);
        Assert.Contains("Exit codes:", run.Stdout);
        foreach (var (code, meaning) in ExitCodes.All) Assert.Contains($"  {code}  {meaning}", run.Stdout);
    }

    [Fact]
    public void Every_command_answers_help_with_its_usage_and_exit_codes()
    {
        foreach (var (path, _) in AllCommands(Tree().Root, []))
        {
            var run = FlowctlRun.Invoke([.. path, "--help"]);
            Assert.True(run.ExitCode == 0, string.Join(" ", path) + ": " + run.Stderr);
            Assert.Contains("flowctl " + string.Join(" ", path), run.Stdout);
            Assert.Contains("Exit codes:", run.Stdout);
        }
    }

    [Fact]
    public void Help_command_describes_the_named_command_as_its_help_option_does()
    {
        var viaCommand = FlowctlRun.Invoke("help", "hosts", "show");
        var viaOption = FlowctlRun.Invoke("hosts", "show", "--help");

        Assert.Equal(0, viaCommand.ExitCode);
        Assert.Equal(viaOption.Stdout, viaCommand.Stdout);
        // What the route returns (FlowRoutes' host view), not a promise of a baseline it does not send.
        Assert.Contains("flows observed, windows closed", viaCommand.Stdout);
        Assert.DoesNotContain("baseline", viaCommand.Stdout);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _flowctl_complete flowctl")]
    [InlineData("zsh", "compdef _flowctl_complete flowctl")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName flowctl")]
    public void Completion_prints_a_script_that_asks_the_suggest_directive(string shell, string registration)
    {
        var run = FlowctlRun.Invoke("completion", shell);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(registration, run.Stdout);
        Assert.Contains("flowctl \"[suggest:", run.Stdout);
    }

    [Fact]
    public void Completion_of_an_unknown_shell_is_a_usage_error()
    {
        var run = FlowctlRun.Invoke("completion", "fish");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'fish' is not a valid value for shell", run.Stderr);
    }

    [Fact]
    public void Suggest_directive_completes_palettes_and_their_commands()
    {
        var palette = FlowctlRun.Invoke("[suggest:11]", "flowctl clu");
        var commands = FlowctlRun.Invoke("[suggest:16]", "flowctl cluster ");
        var alias = FlowctlRun.Invoke("[suggest:15]", "flowctl shards ");

        Assert.Equal(["cluster"], palette.Lines);
        Assert.Superset(new HashSet<string> { "show", "status", "leader", "leave", "down-unreachable", "--json", "--token", "--endpoint" }, commands.Lines.ToHashSet());
        Assert.Superset(new HashSet<string> { "regions", "region-stats", "shard-stats" }, alias.Lines.ToHashSet());
    }

    [Fact]
    public async Task Bash_completion_script_completes_through_flowctl_itself()
    {
        // The generated script, sourced by a real bash, with 'flowctl' being this build: what a user gets on Tab.
        string dll = Path.Combine(AppContext.BaseDirectory, "flowctl.dll");
        string script = $$"""
            flowctl() { dotnet "{{dll}}" "$@"; }
            source <(flowctl completion bash)
            COMP_LINE="flowctl hosts s"; COMP_POINT=15; COMP_WORDS=(flowctl hosts s); COMP_CWORD=2
            _flowctl_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var bash = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(bash)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, await error);
        Assert.Equal(["show"], (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("'10.1' is not a valid value for IP", "hosts", "show", "10.1")]
    [InlineData("'0' is not a valid value for LIMIT", "alerts", "recent", "0")]
    [InlineData("'soon' is not a valid value for --interval", "alerts", "tail", "-f", "--interval", "soon")]
    [InlineData("'nowhere' is not a valid value for --endpoint", "node", "version", "--endpoint", "nowhere")]
    [InlineData("'127.0.0.1:0' is not a valid value for --to", "replay", "x.pcap", "--to", "127.0.0.1:0")]
    [InlineData("'-1' is not a valid value for --rate", "generate", "--to", "127.0.0.1:9", "--rate", "-1")]
    [InlineData("'fast' is not a valid value for --speed", "replay", "x.pcap", "--to", "127.0.0.1:9", "--speed", "fast")]
    [InlineData("'/nonexistent/block.txt' does not exist", "analyze", "x.pcap", "--intel", "/nonexistent/block.txt")]
    [InlineData("unknown command 'bogus'", "bogus")]
    public void Malformed_values_are_usage_errors_that_name_the_value_and_the_option(string message, params string[] args)
    {
        var run = FlowctlRun.Invoke(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(run.Stdout);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("2s", 2_000)]
    [InlineData("0.5", 500)]
    [InlineData("1m", 60_000)]
    public void Durations_take_seconds_or_a_unit(string text, int expectedMs)
    {
        var tree = Tree();
        var parse = tree.Root.Parse(["alerts", "tail", "-f", "--interval", text]);

        Assert.Empty(parse.Errors);
        var interval = parse.CommandResult.Command.Options.OfType<Option<TimeSpan?>>().Single();
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), parse.GetValue(interval));
    }

    [Fact]
    public void Leading_endpoint_and_the_endpoint_option_reach_the_same_node_and_json_is_the_body_byte_for_byte()
    {
        using var node = new OperatorEndpointServer();

        var leading = FlowctlRun.Invoke(node.Endpoint, "node", "version", "--json");
        var option = FlowctlRun.Invoke("node", "version", "--endpoint", node.Endpoint, "--json");
        var rootOption = FlowctlRun.Invoke("--endpoint", node.Endpoint, "node", "--json", "version");
        var rootJson = FlowctlRun.Invoke("--json", node.Endpoint, "node", "version");

        foreach (var run in new[] { leading, option, rootOption, rootJson })
        {
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(OperatorEndpointServer.VersionJson + Environment.NewLine, run.Stdout);
        }

        Assert.Equal(4, node.Requests.Count(r => r == "GET /api/node/version"));
    }

    [Fact]
    public void Hosts_show_sends_the_ip_and_prints_the_host_state_as_plain_text()
    {
        using var node = new OperatorEndpointServer();

        var run = FlowctlRun.Invoke(node.Endpoint, "hosts", "show", "10.0.0.7");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("GET /api/hosts/show?ip=10.0.0.7", node.Requests);
        Assert.Matches("(?m)^flows_observed: +1200$", run.Stdout.Replace("\r", ""));
        Assert.Matches("(?m)^alerts_raised: +2$", run.Stdout.Replace("\r", ""));
        Assert.DoesNotContain('\u001b', run.Stdout); // piped: no ANSI escapes
    }

    [Fact]
    public void Cluster_show_prints_members_as_an_aligned_plain_table()
    {
        using var node = new OperatorEndpointServer();

        var run = FlowctlRun.Invoke(node.Endpoint, "cluster", "show");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Replace("\r", "").Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("ADDRESS", StringComparison.Ordinal));
        Assert.True(header >= 0, run.Stdout);
        Assert.Matches("^ADDRESS +STATUS +ROLES +REACHABLE$", lines[header]);
        Assert.Matches("^akka.tcp://flowactors@127.0.0.1:4053 +Up +analytics,edge,forwarder +true$", lines[header + 1]);
        // Columns line up: every row's STATUS starts where the header's does.
        int column = lines[header].IndexOf("STATUS", StringComparison.Ordinal);
        Assert.Equal("Joining", lines[header + 2].Substring(column, 7));
        Assert.DoesNotContain('\u001b', run.Stdout);
    }

    [Fact]
    public void Unauthorized_and_unreachable_nodes_exit_with_1_and_say_why()
    {
        using var node = new OperatorEndpointServer(requiredToken: "s3cret");

        var refused = FlowctlRun.Invoke(node.Endpoint, "cluster", "status");
        var accepted = FlowctlRun.Invoke(node.Endpoint, "cluster", "status", "--token", "s3cret");
        node.Dispose();
        var unreachable = FlowctlRun.Invoke(node.Endpoint, "cluster", "status");

        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains("401", refused.Stderr);
        Assert.Contains("pass --token or set FLOWCTL_TOKEN", refused.Stderr);
        Assert.Equal(ExitCodes.Ok, accepted.ExitCode);
        Assert.Matches("(?m)^status: +Up$", accepted.Stdout.Replace("\r", ""));
        Assert.Equal(ExitCodes.Failed, unreachable.ExitCode);
        Assert.Contains($"cannot reach the operator endpoint at {node.Endpoint}", unreachable.Stderr);
    }
}
