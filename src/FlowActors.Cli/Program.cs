using System.Text;

namespace FlowActors.Cli;

/// <summary>Entry point of <c>flowctl</c>.</summary>
public static class Program
{
    /// <summary>Runs a flowctl command and returns its exit code.</summary>
    public static int Main(string[] args)
    {
        // Console.Out flushes on every write; a decode of millions of records needs a real buffer.
        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        try
        {
            return CommandLine.RunOnConsole(args, stdout);
        }
        finally
        {
            stdout.Flush();
        }
    }
}
