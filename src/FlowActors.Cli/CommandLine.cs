using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using FlowActors.Cli.Commands;
using FlowActors.Cli.Interactive;
using FlowActors.Cli.Operator;
using FlowActors.Cli.Parsing;

namespace FlowActors.Cli;

/// <summary>
/// Runs <c>flowctl</c> command lines. Tools (<c>decode</c>, <c>analyze</c>, ...) work on files; palettes
/// (<c>cluster</c>, <c>sharding</c>, ...) talk to a node's operator endpoint. Every command, argument and option is
/// defined once, in the System.CommandLine tree <see cref="Flowctl"/> builds; help, shell completion and the
/// interactive prompt are generated from that tree.
/// </summary>
public static class CommandLine
{
    /// <summary>Runs the command named by <paramref name="args"/>, writing to the given streams.</summary>
    /// <param name="args">The arguments, as the shell passed them.</param>
    /// <param name="stdout">Where results and help go.</param>
    /// <param name="stderr">Where errors and summaries go.</param>
    /// <param name="cancellation">Stops a long command (<c>alerts tail -f</c>, <c>replay</c>) early.</param>
    /// <param name="handler">HTTP handler for the operator endpoint; null for a real connection.</param>
    /// <param name="input">Lines for the interactive mode; null for the console's standard input.</param>
    /// <returns>One of <see cref="ExitCodes"/>.</returns>
    /// <remarks>Output is plain text and the prompt reads lines without editing: what a pipe gets. <see cref="Program"/> runs the terminal flavour.</remarks>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default, HttpMessageHandler? handler = null, TextReader? input = null)
    {
        var flowctl = new Flowctl(stdout, stderr, handler, input ?? Console.In, terminal: false);
        return flowctl.Run(args, cancellation);
    }

    /// <summary>
    /// Runs <paramref name="args"/> on the process's console: tables for a terminal when standard output is one, and
    /// the prompt's line editor when standard input is one too.
    /// </summary>
    internal static int RunOnConsole(string[] args, TextWriter stdout)
    {
        var flowctl = new Flowctl(stdout, Console.Error, null, Console.In, terminal: !Console.IsInputRedirected && !Console.IsOutputRedirected)
        {
            TerminalOutput = !Console.IsOutputRedirected,
        };
        return flowctl.Run(args, CancellationToken.None);
    }
}

/// <summary>The flowctl command tree and what every command shares: the output streams, the endpoint, the HTTP handler.</summary>
internal sealed class Flowctl
{
    private readonly InvocationConfiguration _invocation;
    private readonly Option<string> _endpointOption;
    private readonly Argument<string?> _endpointArgument;
    private readonly Option<string> _tokenOption = OperatorPalettes.TokenOption(recursive: false);
    private readonly Option<bool> _jsonOption = OperatorPalettes.JsonOption(recursive: false);
    private readonly OperatorPalettes _operator;
    private readonly TextReader _input;
    private readonly bool _terminal;

    public Flowctl(TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler, TextReader input, bool terminal)
    {
        Output = stdout;
        Error = stderr;
        Handler = handler;
        _input = input;
        _terminal = terminal;
        _invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };

        Root = new RootCommand("""
            FlowActors tools and operator commands.
            flowctl [HOST:PORT] <palette> <command> runs an operator command on that node; flowctl [HOST:PORT] with no command opens an interactive prompt on it (like pbm): history, Tab completion, 'help', 'exit' or Ctrl-D. Lines piped to it are run one by one.
            """) { HelpName = "flowctl" };
        _endpointArgument = new Argument<string?>("endpoint")
        {
            HelpName = "HOST:PORT",
            Description = "operator endpoint of a node (default " + OperatorPalettes.DefaultEndpoint + "), for the operator commands and the prompt",
            Arity = ArgumentArity.ZeroOrOne,
            // Shown in the description and the operator section; in every subcommand's usage line it would mislead (decode takes none).
            Hidden = true,
        };
        _endpointArgument.Validators.Add(result =>
        {
            string text = ValueParsers.Token(result);
            if (!OperatorPalettes.LooksLikeEndpoint(text)) result.AddError($"unknown command '{text}'. Run 'flowctl help'.");
        });
        _endpointOption = OperatorPalettes.EndpointOption(recursive: false);
        Root.Add(_endpointArgument);
        Root.Add(_endpointOption);
        Root.Add(_tokenOption);
        Root.Add(_jsonOption);
        Root.Add(DecodeCommand.Create(this));
        Root.Add(AnalyzeCommand.Create(this));
        Root.Add(ReplayCommand.Create(this));
        Root.Add(GenerateCommand.Create(this));
        _operator = new OperatorPalettes(this);
        foreach (var palette in _operator.Palettes) Root.Add(palette);
        Root.Add(CompletionCommand.Create(this));
        Root.Add(CreateHelpCommand());
        Root.Add(CreateVersionCommand());
        Root.SetAction((parseResult, cancellation) => Task.FromResult(RootAction(parseResult, cancellation)));

        var help = Root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction generated) help.Action = new FlowctlHelp(generated, _operator);
    }

    /// <summary>The root of the command tree.</summary>
    public RootCommand Root { get; }

    /// <summary>Where results and help go.</summary>
    public TextWriter Output { get; }

    /// <summary>Where errors and summaries go.</summary>
    public TextWriter Error { get; }

    /// <summary>HTTP handler for the operator endpoint (tests); null for a real connection.</summary>
    public HttpMessageHandler? Handler { get; }

    /// <summary>Whether standard output is a terminal: tables are then rendered for it (width, colour).</summary>
    public bool TerminalOutput { get; init; }

    /// <summary>The endpoint of the interactive session, when one is open.</summary>
    public string? SessionEndpoint { get; set; }

    /// <summary>The operator palettes (for the prompt's completion and the usage errors).</summary>
    public OperatorPalettes Operator => _operator;

    /// <summary>Parses and runs <paramref name="args"/>.</summary>
    public int Run(string[] args, CancellationToken cancellation) => Invoke(Root.Parse(args), cancellation);

    /// <summary>Parses and runs one line typed at the prompt.</summary>
    public int RunLine(string line, CancellationToken cancellation) => Invoke(Root.Parse(line), cancellation);

    /// <summary>Runs a parse result: a usage error is reported in flowctl's words and returns <see cref="ExitCodes.Usage"/>.</summary>
    public int Invoke(ParseResult parseResult, CancellationToken cancellation)
    {
        if (parseResult.Action is ParseErrorAction)
        {
            UsageErrors.Write(parseResult, _operator, Error);
            return ExitCodes.Usage;
        }

        try
        {
            return parseResult.InvokeAsync(_invocation, cancellation).GetAwaiter().GetResult();
        }
        finally
        {
            Output.Flush();
        }
    }

    /// <summary>Writes a usage error found after parsing (a combination of options) and returns <see cref="ExitCodes.Usage"/>.</summary>
    public int UsageError(ParseResult parseResult, string message)
    {
        UsageErrors.Write([message], parseResult.CommandResult.Command, Error);
        return ExitCodes.Usage;
    }

    /// <summary>
    /// The endpoint an operator command talks to: <c>--endpoint</c>, else the leading HOST:PORT, else the interactive
    /// session's, else <see cref="OperatorPalettes.DefaultEndpoint"/>.
    /// </summary>
    public string ResolveEndpoint(ParseResult parseResult, Option<string> paletteEndpoint) =>
        parseResult.GetValue(paletteEndpoint)
        ?? parseResult.GetValue(_endpointOption)
        ?? parseResult.GetValue(_endpointArgument)
        ?? SessionEndpoint
        ?? OperatorPalettes.DefaultEndpoint;

    /// <summary>The token an operator command sends: its own <c>--token</c>, else the root's, else the session's; null for none given.</summary>
    public string? ResolveToken(ParseResult parseResult, Option<string> paletteToken) =>
        parseResult.GetValue(paletteToken) ?? parseResult.GetValue(_tokenOption) ?? SessionToken;

    /// <summary>Whether an operator command prints the endpoint's JSON: its own <c>--json</c>, the root's, or the session's.</summary>
    public bool ResolveJson(ParseResult parseResult, Option<bool> paletteJson) =>
        parseResult.GetValue(paletteJson) || parseResult.GetValue(_jsonOption) || SessionJson;

    /// <summary>The token given when the interactive session was opened (<c>flowctl --token T HOST:PORT</c>).</summary>
    public string? SessionToken { get; set; }

    /// <summary>Whether the interactive session was opened with <c>--json</c>.</summary>
    public bool SessionJson { get; set; }

    private int RootAction(ParseResult parseResult, CancellationToken cancellation)
    {
        string endpoint = parseResult.GetValue(_endpointOption) ?? parseResult.GetValue(_endpointArgument) ?? SessionEndpoint ?? OperatorPalettes.DefaultEndpoint;
        if (SessionEndpoint is not null)
        {
            // HOST:PORT (or --token T) alone at the prompt: the session moves to that node, or uses that token.
            SessionEndpoint = endpoint;
            if (parseResult.GetValue(_tokenOption) is { } token) SessionToken = token;
            Output.WriteLine($"now talking to {endpoint}");
            return ExitCodes.Ok;
        }

        SessionToken = parseResult.GetValue(_tokenOption);
        SessionJson = parseResult.GetValue(_jsonOption);
        try
        {
            return new InteractiveSession(this, endpoint, _input, _terminal).Run(cancellation);
        }
        finally
        {
            (SessionToken, SessionJson) = (null, false);
        }
    }

    private Command CreateHelpCommand()
    {
        var names = new Argument<string[]>("command") { HelpName = "COMMAND", Description = "the command to describe, e.g. 'hosts show'", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("help", "show help for flowctl or for one command") { names };
        command.SetAction((parseResult, cancellation) =>
            Task.FromResult(Invoke(Root.Parse([.. parseResult.GetValue(names) ?? [], "--help"]), cancellation)));
        return command;
    }

    private Command CreateVersionCommand()
    {
        var command = new Command("version", "print flowctl's version");
        command.SetAction(parseResult =>
        {
            Output.WriteLine(typeof(CommandLine).Assembly.GetName().Version?.ToString(3));
            return ExitCodes.Ok;
        });
        return command;
    }
}
