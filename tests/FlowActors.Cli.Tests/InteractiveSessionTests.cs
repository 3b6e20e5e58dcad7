using System.Diagnostics;
using System.Text;
using FlowActors.Cli.Interactive;

namespace FlowActors.Cli.Tests;

/// <summary><c>flowctl [HOST:PORT]</c> with no command: the prompt, fed by a pipe and by a pseudo-terminal.</summary>
public class InteractiveSessionTests
{
    private static FlowctlRun Session(string input, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr, input: new StringReader(input));
        return new FlowctlRun(code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Piped_lines_run_on_the_session_node_until_exit()
    {
        using var node = new OperatorEndpointServer();

        var run = Session("node version --json\n\n# a comment\ncluster status\nexit\nnode version\n", node.Endpoint);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.StartsWith(OperatorEndpointServer.VersionJson + Environment.NewLine, run.Stdout);
        Assert.Matches("(?m)^status: +Up$", run.Stdout.Replace("\r", ""));
        // Nothing after 'exit' ran.
        Assert.Equal(["GET /api/node/version", "GET /api/cluster/status"], node.Requests.ToArray());
        Assert.DoesNotContain("flowctl> ", run.Stdout); // no prompt when scripted
    }

    [Fact]
    public void End_of_input_leaves_like_exit()
    {
        using var node = new OperatorEndpointServer();

        var run = Session("node version --json\n", node.Endpoint);

        Assert.Equal(0, run.ExitCode);
        Assert.Single(node.Requests);
    }

    [Fact]
    public void A_failing_line_is_reported_the_next_lines_still_run_and_the_session_returns_its_code()
    {
        using var node = new OperatorEndpointServer();

        var run = Session("hosts show 10.1\nnode version --json\n", node.Endpoint);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'10.1' is not a valid value for IP", run.Stderr);
        Assert.Equal(["GET /api/node/version"], node.Requests.ToArray());
    }

    [Fact]
    public void Help_at_the_prompt_lists_the_palettes_and_a_bare_endpoint_moves_the_session()
    {
        using var first = new OperatorEndpointServer();
        using var second = new OperatorEndpointServer();

        var run = Session($"help\n{second.Endpoint}\nnode version --json\n", first.Endpoint);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("flowctl hosts show IP", run.Stdout);
        Assert.Contains($"now talking to {second.Endpoint}", run.Stdout);
        Assert.Empty(first.Requests);
        Assert.Equal(["GET /api/node/version"], second.Requests.ToArray());
    }

    [Fact]
    public void A_token_given_when_the_session_opens_is_sent_with_every_line()
    {
        using var node = new OperatorEndpointServer(requiredToken: "s3cret");

        var run = Session("cluster status\nnode version --json\n", "--token", "s3cret", node.Endpoint);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["GET /api/cluster/status", "GET /api/node/version"], node.Requests.ToArray());
    }

    [Fact]
    public void Tab_completion_offers_palettes_and_commands_from_the_command_tree()
    {
        var flowctl = new Flowctl(new StringWriter(), new StringWriter(), null, new StringReader(""), terminal: false);
        var session = new InteractiveSession(flowctl, "127.0.0.1:9110", new StringReader(""), terminal: false);

        Assert.Equal(["cluster"], session.Complete("clu"));
        Assert.Equal(["show", "status"], session.Complete("cluster s"));
        Assert.Superset(new HashSet<string> { "config", "version" }, session.Complete("node ").ToHashSet());
        Assert.Superset(new HashSet<string> { "alerts", "decode", "hosts", "exit" }, session.Complete("").ToHashSet());
    }

    [Fact]
    public async Task Prompt_on_a_pseudo_terminal_completes_with_tab_recalls_with_up_and_leaves_on_ctrl_d()
    {
        using var node = new OperatorEndpointServer();
        string dll = Path.Combine(AppContext.BaseDirectory, "flowctl.dll");
        // script(1) from util-linux runs flowctl on a pseudo-terminal and relays our pipe to it as keystrokes.
        var start = new ProcessStartInfo("script", ["-qfec", $"dotnet \"{dll}\" {node.Endpoint}", "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["TERM"] = "xterm";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (output) output.Append(buffer, 0, n);
            }
        });
        _ = process.StandardError.ReadToEndAsync();
        string prompt = $"[{node.Endpoint}] flowctl> ";
        try
        {
            await Eventually.TrueAsync(() => Count(output, prompt) >= 1, TimeSpan.FromSeconds(60), () => "the first prompt");
            Send(process, "node vers\t--json\r"); // Tab completes 'version '
            await Eventually.TrueAsync(() => node.Requests.Count >= 1 && Count(output, prompt) >= 2, TimeSpan.FromSeconds(60), () => "the first command and the next prompt");
            Send(process, "\u001b[A\r"); // Up recalls the line
            await Eventually.TrueAsync(() => node.Requests.Count >= 2 && Count(output, prompt) >= 3, TimeSpan.FromSeconds(60), () => "the recalled command");
            Send(process, "\u0004"); // Ctrl-D on an empty line leaves
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            await reading.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(0, process.ExitCode);
            Assert.Equal(["GET /api/node/version", "GET /api/node/version"], node.Requests.ToArray());
            Assert.Equal(2, Count(output, OperatorEndpointServer.VersionJson));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static void Send(Process process, string keys)
    {
        process.StandardInput.Write(keys);
        process.StandardInput.Flush();
    }

    private static string Text(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static int Count(StringBuilder output, string text)
    {
        string all = Text(output);
        int count = 0;
        for (int i = all.IndexOf(text, StringComparison.Ordinal); i >= 0; i = all.IndexOf(text, i + text.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
