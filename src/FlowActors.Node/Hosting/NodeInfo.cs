using System.Diagnostics;
using System.Reflection;

namespace FlowActors.Node.Hosting;

/// <summary>Facts about this node process, for <c>flowctl node version</c> and metrics.</summary>
public sealed class NodeInfo
{
    /// <summary>When this process started (UTC).</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    private readonly Stopwatch _uptime = Stopwatch.StartNew();

    /// <summary>Time since start.</summary>
    public TimeSpan Uptime => _uptime.Elapsed;

    /// <summary>Assembly version (major.minor.patch).</summary>
    public static string Version { get; } = typeof(NodeInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Informational version (with source revision when the build knows it).</summary>
    public static string InformationalVersion { get; } =
        typeof(NodeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? Version;

    /// <summary>Version of the Akka.NET assembly the node runs on.</summary>
    public static string AkkaVersion { get; } = typeof(Akka.Actor.ActorSystem).Assembly.GetName().Version?.ToString(3) ?? "";
}
