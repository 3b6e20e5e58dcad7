namespace FlowActors.Cli;

/// <summary>
/// Dispatches <c>flowctl</c> arguments to commands. Tools (<c>decode</c>, <c>analyze</c>, ...) work on files;
/// palettes (<c>cluster</c>, <c>sharding</c>, ...) talk to a node's operator endpoint.
/// </summary>
public static class CommandLine
{
    /// <summary>Runs the command named by <paramref name="args"/>, writing to the given streams.</summary>
    /// <returns>0 on success, 1 on a failed command, 2 on a usage error.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Usage);
            stdout.WriteLine(Operator.OperatorCommand.Usage);
            return args.Length == 0 ? 2 : 0;
        }

        switch (args[0])
        {
            case "version":
            case "--version":
                stdout.WriteLine(typeof(CommandLine).Assembly.GetName().Version?.ToString(3));
                return 0;
            case "analyze": return Commands.AnalyzeCommand.Run(args.AsSpan(1), stdout, stderr);
            case var _ when Operator.OperatorCommand.Accepts(args):
                return Operator.OperatorCommand.Run(args, stdout, stderr);
            default:
                stderr.WriteLine($"flowctl: unknown command '{args[0]}'. Run 'flowctl help'.");
                return 2;
        }
    }

    /// <summary>Help text.</summary>
    public const string Usage = """
        flowctl — FlowActors tools and operator commands

        Tools:
          flowctl version
        """;
}
