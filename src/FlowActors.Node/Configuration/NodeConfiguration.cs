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

    /// <summary>Turns the bare switches the node accepts into configuration keys (<c>--demo</c> → <c>--FlowActors:Demo=true</c>).</summary>
    internal static string[] NormalizeArgs(string[] args)
    {
        var result = new List<string>(args.Length);
        foreach (var arg in args)
        {
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
        foreach (var arg in args)
        {
            if (arg == "--demo" || arg.StartsWith("--FlowActors:", StringComparison.OrdinalIgnoreCase) || arg.StartsWith("--Logging:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            return arg;
        }

        return null;
    }
}
