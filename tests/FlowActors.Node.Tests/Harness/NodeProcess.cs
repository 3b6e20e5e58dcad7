using System.Diagnostics;
using System.Text;

namespace FlowActors.Node.Tests.Harness;

/// <summary>
/// The node as a real process (<c>dotnet FlowActors.Node.dll</c>) with its own environment, free loopback
/// ports and a data directory; stopped with SIGTERM like a container runtime does, killed on dispose if it is
/// still running.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<string> _standardOutput = new();

    private NodeProcess(Process process, int operatorPort, string? dataDirectory)
    {
        DataDirectory = dataDirectory;
        _process = process;
        OperatorPort = operatorPort;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{operatorPort}/"), Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>The node's FlowActors.Node.dll, built next to the tests as a referenced project.</summary>
    public static string NodeAssembly => Path.Combine(AppContext.BaseDirectory, "FlowActors.Node.dll");

    /// <summary>flowctl.dll, built next to the tests as a referenced project.</summary>
    public static string FlowctlAssembly => Path.Combine(AppContext.BaseDirectory, "flowctl.dll");

    /// <summary>The node's data directory, when the test set one.</summary>
    public string? DataDirectory { get; }

    /// <summary>Operator endpoint port.</summary>
    public int OperatorPort { get; }

    /// <summary>Operator endpoint as flowctl takes it.</summary>
    public string Endpoint => $"127.0.0.1:{OperatorPort}";

    /// <summary>Client for the operator endpoint.</summary>
    public HttpClient Client { get; }

    /// <summary>Process id.</summary>
    public int Id => _process.Id;

    /// <summary>Standard output and error so far, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Standard output alone so far, line by line (logs and the console alert sink write there).</summary>
    public IReadOnlyList<string> StandardOutputLines
    {
        get
        {
            lock (_output) return _standardOutput.ToList();
        }
    }

    /// <summary>Starts the node with <paramref name="environment"/> (FLOWACTORS__* variables) and <paramref name="args"/>.</summary>
    public static NodeProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) => Start(environment, args, runAsUid: null);

    /// <summary>
    /// Starts the node as user <paramref name="runAsUid"/> (through <c>setpriv</c>; the test runs as root), so a
    /// directory's permissions mean to the node what they mean to a deployed one.
    /// </summary>
    public static NodeProcess Start(IReadOnlyDictionary<string, string> environment, string[] args, int? runAsUid)
    {
        var start = new ProcessStartInfo(runAsUid is null ? "dotnet" : "setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (runAsUid is { } uid)
        {
            foreach (var a in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "dotnet" }) start.ArgumentList.Add(a);
        }

        start.ArgumentList.Add(NodeAssembly);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Only the test's settings: nothing inherited from the test process may change the node's configuration.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("FLOWACTORS", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment) start.Environment[key] = value;
        int operatorPort = int.Parse(environment.GetValueOrDefault("FLOWACTORS__OPERATOR__PORT", "9110"));
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new NodeProcess(process, operatorPort, environment.GetValueOrDefault("FLOWACTORS__DATADIRECTORY"));
        process.OutputDataReceived += (_, e) => node.Append(e.Data, standardOutput: true);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Environment for a node on free loopback ports with <paramref name="dataDirectory"/>; quiet logs.</summary>
    public static Dictionary<string, string> FreshEnvironment(string dataDirectory, int netflowPort) => new()
    {
        ["FLOWACTORS__DATADIRECTORY"] = dataDirectory,
        ["FLOWACTORS__CLUSTER__PORT"] = FreePorts.Tcp().ToString(),
        ["FLOWACTORS__RECEIVERS__BINDADDRESS"] = "127.0.0.1",
        ["FLOWACTORS__RECEIVERS__NETFLOWPORT"] = netflowPort.ToString(),
        ["FLOWACTORS__RECEIVERS__IPFIXPORT"] = FreePorts.Udp().ToString(),
        ["FLOWACTORS__RECEIVERS__SFLOWPORT"] = FreePorts.Udp().ToString(),
        ["FLOWACTORS__OPERATOR__PORT"] = FreePorts.Tcp().ToString(),
        // The captures span under a minute of event time: 10-second windows close during the replay, so alerts
        // do not wait for the idle tick to push event time past a 5-minute window.
        ["FLOWACTORS__DETECTION__WINDOWSECONDS"] = "10",
        ["FLOWACTORS__DETECTION__ALLOWEDLATENESSSECONDS"] = "0",
        // A silent host's window closes on the idle tick: 1 s rather than 10 s, so tests wait for behaviour, not the clock.
        ["FLOWACTORS__DETECTION__IDLETICKMILLISECONDS"] = "1000",
        ["Logging__LogLevel__Default"] = "Information",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["DOTNET_gcServer"] = "0",
    };

    private void Append(string? line, bool standardOutput = false)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            if (standardOutput) _standardOutput.Add(line);
        }
    }

    /// <summary>Waits until <c>/healthz/ready</c> answers 200; fails with the node's output if it exits or times out.</summary>
    public async Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the node exited with {_process.ExitCode} before becoming ready:\n{Output}");
            try
            {
                using var response = await Client.GetAsync("healthz/ready");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the node did not become ready:\n{Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? timeout = null)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the node did not exit after SIGTERM:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process with SIGKILL (<c>kill -9</c>): no shutdown, no last snapshot, no flush.</summary>
    public async Task KillAsync()
    {
        using (var kill = Process.Start("kill", ["-KILL", _process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>Waits for the process to exit by itself (e.g. on bad configuration).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Runs the real flowctl process against this node.</summary>
    public async Task<(int Code, string Output)> FlowctlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(FlowctlAssembly);
        start.ArgumentList.Add(Endpoint);
        // flowctl on the node's machine finds the node's generated token through the data directory, as in its container.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("FLOWACTORS", StringComparison.OrdinalIgnoreCase) || k == "FLOWCTL_TOKEN").ToList()) start.Environment.Remove(key);
        if (DataDirectory is not null) start.Environment["FLOWACTORS__DATADIRECTORY"] = DataDirectory;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
