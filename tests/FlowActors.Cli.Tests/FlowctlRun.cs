namespace FlowActors.Cli.Tests;

/// <summary>Runs flowctl in-process and captures what it printed.</summary>
internal sealed record FlowctlRun(int ExitCode, string Stdout, string Stderr)
{
    public static string TestData(string file) => Path.Combine(AppContext.BaseDirectory, "testdata", file);

    public static FlowctlRun Invoke(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return new FlowctlRun(code, stdout.ToString(), stderr.ToString());
    }

    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
