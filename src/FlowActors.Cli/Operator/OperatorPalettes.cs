using System.CommandLine;
using System.Net;
using FlowActors.Cli.Parsing;

namespace FlowActors.Cli.Operator;

/// <summary>
/// The operator palettes (<c>flowctl [HOST:PORT] &lt;palette&gt; &lt;command&gt; [args] [--token T] [--json]</c>) as
/// System.CommandLine commands, built from <see cref="Routes"/>: each command is one call to the node's operator endpoint.
/// </summary>
internal sealed class OperatorPalettes
{
    /// <summary>Endpoint used when none is given.</summary>
    public const string DefaultEndpoint = "127.0.0.1:9110";

    /// <summary>Environment variable read for the bearer token when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "FLOWCTL_TOKEN";

    /// <summary>What a positional value of an operator command is, and so how it is checked before it is sent.</summary>
    public enum ValueKind
    {
        /// <summary>Free text the node checks (an Akka address, an entity type name).</summary>
        Text,

        /// <summary>An IPv4 or IPv6 address.</summary>
        Address,

        /// <summary>How many rows, 1-1000.</summary>
        Limit,
    }

    /// <summary>One positional value, sent as the query parameter <paramref name="Name"/>.</summary>
    public sealed record Parameter(string Name, string Description, bool Required = false, ValueKind Kind = ValueKind.Text);

    /// <summary>One operator command: the palette, the name, the HTTP call (<c>/api/PALETTE/NAME</c>) and its values.</summary>
    public sealed record Route(string Palette, string Name, string Method, string Description, params Parameter[] Parameters);

    /// <summary>The palettes, their one-line descriptions and other names.</summary>
    public static readonly IReadOnlyList<(string Name, string Description, string[] Aliases)> PaletteNames =
    [
        ("cluster", "cluster membership: members, leader, leave, down", []),
        ("sharding", "shard regions, shards and entities", ["shards"]),
        ("exporters", "flow exporters seen by this node's receivers, and their templates", []),
        ("hosts", "monitored hosts' state", []),
        ("alerts", "alerts from the forwarder's journal", []),
        ("forwarder", "the alert forwarder singleton and its sinks", []),
        ("node", "the node asked: configuration, version", []),
    ];

    /// <summary>Every operator command.</summary>
    public static readonly IReadOnlyList<Route> Routes =
    [
        new("cluster", "show", "GET", "members with status, roles and reachability"),
        new("cluster", "status", "GET", "this node's membership and a summary of the cluster"),
        new("cluster", "leader", "GET", "the leader and the leader of each role"),
        new("cluster", "leave", "POST", "gracefully remove ADDRESS (default: the node asked) from the cluster",
            new Parameter("address", "Akka address of the member to remove, e.g. akka.tcp://flowactors@10.0.0.5:4053")),
        new("cluster", "down-unreachable", "POST", "down every member seen as unreachable"),
        new("sharding", "regions", "GET", "shard regions on the node with shard and entity counts"),
        new("sharding", "region-stats", "GET", "entities per shard in the node's region TYPE (default host)",
            new Parameter("type", "shard region type name (default host)")),
        new("sharding", "shard-stats", "GET", "shards and entities per node for TYPE (default host)",
            new Parameter("type", "shard region type name (default host)")),
        new("exporters", "list", "GET", "exporters seen, with datagrams, records, decode errors, templates learnt and undecodable records; per port the kernel's drops; senders refused by the allowlist, with counts"),
        new("exporters", "templates", "GET", "templates learnt (from EXPORTER only, when given)",
            new Parameter("exporter", "only this exporter's templates, as 'exporters list' names it")),
        new("hosts", "top", "GET", "the busiest monitored hosts active on this node (top LIMIT, default 20)",
            new Parameter("limit", "how many hosts, 1-1000", Kind: ValueKind.Limit)),
        new("hosts", "show", "GET", "one monitored host's state: flows observed, windows closed, event time, alerts raised, unacknowledged and dropped, snapshot",
            new Parameter("ip", "the monitored host's IPv4 or IPv6 address", Required: true, Kind: ValueKind.Address)),
        new("alerts", "tail", "GET", "the last LIMIT alerts (default 10), then new ones as they arrive with -f",
            new Parameter("limit", "how many of the last alerts, 1-1000", Kind: ValueKind.Limit)),
        new("alerts", "recent", "GET", "the last LIMIT alerts (default 20)",
            new Parameter("limit", "how many alerts, 1-1000", Kind: ValueKind.Limit)),
        new("forwarder", "status", "GET", "the forwarder singleton: outbox, and per sink delivered, retried, failed, backlog, circuit, latency"),
        new("node", "config", "GET", "the node's effective configuration (secrets redacted)"),
        new("node", "version", "GET", "version, runtime, uptime and address of the node"),
    ];

    private readonly Flowctl _flowctl;
    private readonly Option<string> _endpoint = EndpointOption(recursive: true);
    private readonly Option<string> _token = TokenOption(recursive: true);
    private readonly Option<bool> _json = JsonOption(recursive: true);
    private readonly Dictionary<Command, Route> _leaves = [];
    private readonly List<Command> _palettes = [];

    public OperatorPalettes(Flowctl flowctl)
    {
        _flowctl = flowctl;
        foreach (var (name, description, aliases) in PaletteNames)
        {
            var palette = new Command(name, description);
            foreach (var alias in aliases) palette.Aliases.Add(alias);
            palette.Add(_endpoint);
            palette.Add(_token);
            palette.Add(_json);
            foreach (var route in Routes.Where(r => r.Palette == name)) palette.Add(CreateLeaf(route));
            _palettes.Add(palette);
        }
    }

    /// <summary>The palette commands.</summary>
    public IReadOnlyList<Command> Palettes => _palettes;

    /// <summary>The route of an operator command, when <paramref name="command"/> is one.</summary>
    public Route? RouteOf(Command command) => _leaves.GetValueOrDefault(command);

    /// <summary>Whether <paramref name="command"/> is a palette.</summary>
    public bool IsPalette(Command command) => _palettes.Contains(command);

    /// <summary>The <c>--token</c> option.</summary>
    public static Option<string> TokenOption(bool recursive) => new("--token")
    {
        HelpName = "TOKEN",
        Description = "bearer token; default " + TokenVariable + ", or for a node on this machine its data directory's " + LocalToken.FileName,
        Recursive = recursive,
    };

    /// <summary>The <c>--json</c> option.</summary>
    public static Option<bool> JsonOption(bool recursive) => new("--json")
    {
        Description = "print the endpoint's JSON as it is (stable for scripts)",
        Recursive = recursive,
    };

    /// <summary>The <c>--endpoint</c> option.</summary>
    public static Option<string> EndpointOption(bool recursive)
    {
        var option = new Option<string>("--endpoint")
        {
            HelpName = "HOST:PORT",
            Description = "the node's operator endpoint, HOST:PORT or an http(s) URL (default " + DefaultEndpoint + ")",
            Recursive = recursive,
        };
        option.Validators.Add(result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!LooksLikeEndpoint(text)) result.AddError($"'{text}' is not a valid value for --endpoint. Give HOST:PORT (127.0.0.1:9110) or an http(s) URL.");
        });
        return option;
    }

    /// <summary>Whether <paramref name="text"/> is HOST:PORT (or an http(s) URL) rather than a palette.</summary>
    public static bool LooksLikeEndpoint(string text)
    {
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) return true;
        int colon = text.LastIndexOf(':');
        return colon > 0 && colon < text.Length - 1 && text[(colon + 1)..].All(char.IsAsciiDigit);
    }

    /// <summary>The positional values of <paramref name="route"/> as usage text: <c>IP</c>, <c>[LIMIT]</c>, or <c>no arguments</c>.</summary>
    public static string DescribeArguments(Route route) => route.Parameters.Length == 0
        ? "no arguments"
        : string.Join(" ", route.Parameters.Select(p => p.Required ? p.Name.ToUpperInvariant() : "[" + p.Name.ToUpperInvariant() + "]"));

    private Command CreateLeaf(Route route)
    {
        var command = new Command(route.Name, route.Description);
        var arguments = new List<(Parameter Parameter, Argument<string> Argument)>();
        foreach (var parameter in route.Parameters)
        {
            var argument = new Argument<string>(parameter.Name.ToUpperInvariant())
            {
                HelpName = parameter.Name.ToUpperInvariant(),
                Description = parameter.Description,
                Arity = parameter.Required ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne,
            };
            AddCheck(argument, parameter);
            command.Add(argument);
            arguments.Add((parameter, argument));
        }

        Option<bool>? follow = null;
        Option<TimeSpan?>? interval = null;
        if (route is { Palette: "alerts", Name: "tail" })
        {
            follow = new Option<bool>("--follow", "-f") { Description = "keep printing new alerts as they arrive, until Ctrl-C" };
            interval = new Option<TimeSpan?>("--interval")
            {
                HelpName = "DURATION",
                Description = "how often -f asks for new alerts: seconds (0.5) or with a unit (250ms, 2s, 1m); default 1s",
                CustomParser = r => ValueParsers.Parse<TimeSpan>(r, ValueParsers.TryDuration, "Give a positive duration: seconds (0.5) or with a unit (250ms, 2s, 1m)."),
            };
            command.Add(follow);
            command.Add(interval);
        }

        command.SetAction((parseResult, cancellation) => Task.FromResult(Execute(parseResult, route, arguments, follow, interval, cancellation)));
        _leaves.Add(command, route);
        return command;
    }

    // Spectre's width-aware, coloured tables only when a person is looking; piped output stays plain text.
    private Spectre.Console.IAnsiConsole? Terminal() =>
        _flowctl.TerminalOutput ? TerminalTableWriter.Console(_flowctl.Output, TerminalTableWriter.WindowWidth()) : null;

    private static void AddCheck(Argument<string> argument, Parameter parameter)
    {
        switch (parameter.Kind)
        {
            case ValueKind.Address:
                argument.Validators.Add(result =>
                {
                    string text = ValueParsers.Token(result);
                    // IPAddress.TryParse takes "10.1" as 10.0.0.1; an operator typing it has made a mistake, not an abbreviation.
                    bool valid = IPAddress.TryParse(text, out var address) && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || text.Count(c => c == '.') == 3);
                    if (!valid) result.AddError($"'{text}' is not a valid value for {argument.HelpName}. Give an IPv4 or IPv6 address.");
                });
                break;
            case ValueKind.Limit:
                argument.Validators.Add(result =>
                {
                    string text = ValueParsers.Token(result);
                    if (!ValueParsers.Range(1, 1_000)(text, out _)) result.AddError($"'{text}' is not a valid value for {argument.HelpName}. Give a number from 1 to 1000.");
                });
                break;
        }
    }

    private int Execute(ParseResult parseResult, Route route, List<(Parameter Parameter, Argument<string> Argument)> arguments, Option<bool>? follow, Option<TimeSpan?>? interval, CancellationToken cancellation)
    {
        string endpoint = _flowctl.ResolveEndpoint(parseResult, _endpoint);
        string? token = _flowctl.ResolveToken(parseResult, _token);
        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        token ??= LocalToken.Find(endpoint);
        bool json = _flowctl.ResolveJson(parseResult, _json);
        var query = new List<KeyValuePair<string, string>>();
        foreach (var (parameter, argument) in arguments)
        {
            if (parseResult.GetValue(argument) is { } value) query.Add(new(parameter.Name, value));
        }

        var stdout = _flowctl.Output;
        using var client = new OperatorClient(endpoint, token, _flowctl.Handler);
        try
        {
            if (follow is not null && interval is not null)
            {
                string limit = query.Count > 0 ? query[0].Value : "10";
                return OperatorCommand.AlertsTail(client, limit, parseResult.GetValue(follow), parseResult.GetValue(interval) ?? TimeSpan.FromSeconds(1), json, stdout, cancellation);
            }

            var response = client.Send(route.Method, $"/api/{route.Palette}/{route.Name}", query, cancellation);
            if (json)
            {
                stdout.WriteLine(response.GetRawText());
            }
            else if (route.Palette == "alerts")
            {
                AlertWriter.Write(response, stdout);
            }
            else if (route.Palette == "forwarder")
            {
                ForwarderStatusWriter.Write(response, stdout, Terminal());
            }
            else if (Terminal() is { } terminal)
            {
                TerminalTableWriter.Write(response, terminal);
            }
            else
            {
                TableWriter.Write(response, stdout);
            }

            return ExitCodes.Ok;
        }
        catch (OperatorException ex)
        {
            _flowctl.Error.WriteLine($"flowctl: {ex.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }
}
