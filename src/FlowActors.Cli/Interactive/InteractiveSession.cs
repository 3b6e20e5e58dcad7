namespace FlowActors.Cli.Interactive;

/// <summary>
/// <c>flowctl [HOST:PORT]</c> with no command: a prompt on one node, like pbm's. Every line is parsed and run by the
/// same command tree as the command line, with the session's endpoint as the default. On a terminal the line is
/// edited with history and tab completion (<see cref="LineEditor"/>); from a pipe or a file the lines are read and run
/// as they come, without a prompt, so a session can be scripted.
/// </summary>
internal sealed class InteractiveSession(Flowctl flowctl, string endpoint, TextReader input, bool terminal)
{
    /// <summary>Lines kept for the up and down keys.</summary>
    public const int HistoryLimit = 500;

    /// <summary>The prompt for <paramref name="endpoint"/>: <c>[127.0.0.1:9110] flowctl&gt; </c>.</summary>
    public static string Prompt(string endpoint) => $"[{endpoint}] flowctl> ";

    /// <summary>Runs lines until <c>exit</c>, <c>quit</c> or the end of input (Ctrl-D).</summary>
    /// <returns>
    /// With a terminal, 0. From a pipe, the exit code of the last line that failed (0 when none did), so a script
    /// notices a failure.
    /// </returns>
    public int Run(CancellationToken cancellation)
    {
        flowctl.SessionEndpoint = endpoint;
        var editor = terminal ? new LineEditor(flowctl.Output, Complete, HistoryLimit) : null;
        if (terminal)
        {
            flowctl.Output.WriteLine($"flowctl on {endpoint}: 'help' lists the commands, Tab completes, 'exit' or Ctrl-D leaves.");
        }

        int lastFailure = ExitCodes.Ok;
        using var running = new CommandCancellation(terminal, cancellation);
        while (!cancellation.IsCancellationRequested)
        {
            string? line = editor is not null ? editor.ReadLine(Prompt(flowctl.SessionEndpoint!)) : input.ReadLine();
            if (line is null) break;
            line = line.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (line is "exit" or "quit") break;
            int code = flowctl.RunLine(line, running.Next());
            if (code != ExitCodes.Ok) lastFailure = code;
        }

        flowctl.Output.Flush();
        flowctl.SessionEndpoint = null;
        return terminal ? ExitCodes.Ok : lastFailure;
    }

    /// <summary>Candidates for the word before the cursor, from the command tree's completions.</summary>
    internal IReadOnlyList<string> Complete(string text)
    {
        var parse = flowctl.Root.Parse(text);
        return parse.GetCompletions(text.Length)
            .Select(c => c.InsertText ?? c.Label)
            .Where(c => c.Length > 0 && c[0] != '/' && c != "-?")
            .Concat(text.Trim().Contains(' ', StringComparison.Ordinal) ? [] : new[] { "exit" })
            .Where(c => c.StartsWith(LastWord(text), StringComparison.Ordinal))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The word the cursor is in (empty after a space).</summary>
    internal static string LastWord(string text)
    {
        int space = text.LastIndexOf(' ');
        return text[(space + 1)..];
    }

    /// <summary>
    /// Ctrl-C at the prompt's terminal stops the command that is running (an <c>alerts tail -f</c>), not the session.
    /// </summary>
    private sealed class CommandCancellation : IDisposable
    {
        private readonly bool _console;
        private readonly CancellationToken _session;
        private CancellationTokenSource? _current;

        public CommandCancellation(bool console, CancellationToken session)
        {
            _console = console;
            _session = session;
            if (console) Console.CancelKeyPress += OnCancel;
        }

        public CancellationToken Next()
        {
            var previous = _current;
            _current = CancellationTokenSource.CreateLinkedTokenSource(_session);
            previous?.Dispose();
            return _current.Token;
        }

        public void Dispose()
        {
            if (_console) Console.CancelKeyPress -= OnCancel;
            _current?.Dispose();
        }

        private void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            try
            {
                _current?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The command ended as the key was pressed.
            }
        }
    }
}
