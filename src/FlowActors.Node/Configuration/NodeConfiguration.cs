using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Configuration;

/// <summary>Builds the node's configuration: appsettings.json next to the binary, environment variables, command line.</summary>
public static class NodeConfiguration
{
    /// <summary>
    /// appsettings.json (and appsettings.{DOTNET_ENVIRONMENT}.json) from the binary's directory, then every
    /// environment variable (so both <c>FLOWACTORS__CLUSTER__PORT</c> and <c>FlowActors__Cluster__Port</c>
    /// reach <c>FlowActors:Cluster:Port</c>: keys are case-insensitive), then the command line
    /// (<c>--demo</c>, or any <c>--FlowActors:Key=value</c>).
    /// </summary>
    public static IConfigurationRoot Build(string[] args, string? baseDirectory = null)
    {
        baseDirectory ??= AppContext.BaseDirectory;
        string environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(baseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environment}.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine(NormalizeArgs(args))
            .Build();
    }

    /// <summary>Configuration key prefix of the sink <c>--syslog</c> adds (a named entry, so the numbered ones are untouched).</summary>
    public const string DemoSyslogSinkKey = "FlowActors:Forwarder:Sinks:demo-syslog";

    /// <summary>
    /// Turns the bare switches the node accepts into configuration keys: <c>--demo</c> → <c>--FlowActors:Demo=true</c>;
    /// <c>--syslog [udp:|tcp:]HOST:PORT</c> (or <c>--syslog=...</c>) → a syslog sink sending CEF, over TCP unless
    /// <c>udp:</c> is given. Call <see cref="FindArgumentProblem"/> first.
    /// </summary>
    internal static string[] NormalizeArgs(string[] args)
    {
        var result = new List<string>(args.Length);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (SyslogValue(args, ref i) is { } target)
            {
                if (!TryParseSyslogTarget(target, out var transport, out var host, out var port, out _)) continue;
                result.Add($"--{DemoSyslogSinkKey}:Kind=syslog");
                result.Add($"--{DemoSyslogSinkKey}:Transport={transport}");
                result.Add($"--{DemoSyslogSinkKey}:Host={host}");
                result.Add($"--{DemoSyslogSinkKey}:Port={port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                result.Add($"--{DemoSyslogSinkKey}:Format=cef");
                continue;
            }

            result.Add(arg switch
            {
                "--demo" => "--FlowActors:Demo=true",
                _ => arg,
            });
        }

        return result.ToArray();
    }

    /// <summary>Arguments the node understands; anything else stops start-up with usage.</summary>
    internal static string? FindUnknownArgument(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (SyslogValue(args, ref i) is not null) continue;
            if (arg == "--demo" || arg.StartsWith("--FlowActors:", StringComparison.OrdinalIgnoreCase) || arg.StartsWith("--Logging:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            return arg;
        }

        return null;
    }

    /// <summary>What is wrong with the arguments (an unknown one, a bad <c>--syslog</c> target), or null.</summary>
    internal static string? FindArgumentProblem(string[] args)
    {
        if (FindUnknownArgument(args) is { } unknown) return $"unknown argument '{unknown}'.";
        for (int i = 0; i < args.Length; i++)
        {
            bool isSyslog = args[i] == "--syslog" || args[i].StartsWith("--syslog=", StringComparison.Ordinal);
            if (!isSyslog) continue;
            if (SyslogValue(args, ref i) is not { } target) return "--syslog needs a receiver: --syslog HOST:PORT (TCP) or --syslog udp:HOST:PORT.";
            if (!TryParseSyslogTarget(target, out _, out _, out _, out var error)) return $"--syslog '{target}': {error}";
            if (!args.Contains("--demo")) return "--syslog goes with --demo; for a permanent syslog sink set FLOWACTORS__FORWARDER__SINKS__2__KIND=syslog with __HOST, __PORT and __TRANSPORT.";
        }

        return null;
    }

    /// <summary>Parses <c>[udp:|tcp:|tls:]HOST:PORT</c> (an IPv6 address in brackets, e.g. <c>[::1]:514</c>).</summary>
    internal static bool TryParseSyslogTarget(string text, out string transport, out string host, out int port, out string error)
    {
        transport = "tcp";
        host = "";
        port = 0;
        string rest = text.Trim();
        foreach (string t in new[] { "udp", "tcp" })
        {
            if (rest.StartsWith(t + ":", StringComparison.OrdinalIgnoreCase))
            {
                transport = t;
                rest = rest[(t.Length + 1)..];
                break;
            }
        }

        int colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            error = "give the receiver as HOST:PORT with a port 1-65535, e.g. 127.0.0.1:514 (TCP) or udp:127.0.0.1:514.";
            return false;
        }

        host = rest[..colon].Trim('[', ']');
        if (host.Length == 0 || (System.Net.IPAddress.TryParse(host, out _) is false && Uri.CheckHostName(host) != UriHostNameType.Dns))
        {
            error = $"'{host}' is not a host name or address.";
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>The value of a <c>--syslog</c> argument at <paramref name="i"/> (advancing past a separate value), or null.</summary>
    private static string? SyslogValue(string[] args, ref int i)
    {
        string arg = args[i];
        if (arg.StartsWith("--syslog=", StringComparison.Ordinal)) return arg["--syslog=".Length..];
        if (arg != "--syslog" || i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) return null;
        i++;
        return args[i];
    }
}
