namespace FlowActors.Cli;

/// <summary>Entry point of <c>flowctl</c>.</summary>
public static class Program
{
    /// <summary>Runs a flowctl command and returns its exit code.</summary>
    public static int Main(string[] args) => CommandLine.Run(args, Console.Out, Console.Error);
}
