using FlowActors.Node.Configuration;
using FlowActors.Node.Hosting;
using FlowActors.Node.Operator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlowActors.Node;

/// <summary>Entry point of the FlowActors node.</summary>
public static class Program
{
    /// <summary>Exit code when the configuration is wrong.</summary>
    public const int ConfigurationError = 2;

    /// <summary>
    /// Reads and validates the configuration (stopping with a message that names each bad setting), then runs
    /// the node until SIGTERM/Ctrl-C, which runs Akka's coordinated shutdown: leave the cluster, hand over
    /// shards and the forwarder singleton, flush.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (NodeConfiguration.FindArgumentProblem(args) is { } argumentProblem)
        {
            await Console.Error.WriteLineAsync($"flowactors: {argumentProblem}{Environment.NewLine}{Usage}");
            return ConfigurationError;
        }

        var configuration = NodeConfiguration.Build(args);
        NodeSettings settings;
        try
        {
            settings = NodeSettingsOptions.Read(configuration);
        }
        catch (InvalidSettingsException ex)
        {
            await Console.Error.WriteLineAsync("flowactors: cannot start. " + ex.Message);
            return ConfigurationError;
        }

        try
        {
            Directory.CreateDirectory(settings.DataDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync(
                $"flowactors: cannot start. FlowActors:DataDirectory '{settings.DataDirectory}' cannot be created ({ex.Message}). Set FLOWACTORS__DATADIRECTORY to a writable directory.");
            return ConfigurationError;
        }

        if (DataDirectoryCheck.FindProblem(settings.DataDirectory) is { } problem)
        {
            await Console.Error.WriteLineAsync(
                $"flowactors: cannot start. FlowActors:DataDirectory '{settings.DataDirectory}' {problem}. Set FLOWACTORS__DATADIRECTORY to a directory this user ({Environment.UserName}) can write, or make it writable (e.g. chown).");
            return ConfigurationError;
        }

        try
        {
            settings = OperatorToken.Resolve(settings);
            RemotingTls.Validate(settings.Cluster.Tls);
        }
        catch (InvalidSettingsException ex)
        {
            await Console.Error.WriteLineAsync("flowactors: cannot start. " + ex.Message);
            return ConfigurationError;
        }

        using var host = NodeHost.Build(settings, configuration);
        // Akka.Hosting sets the exit code to -1 (255) whenever the actor system ended because this member left the cluster
        // or was downed, before it stops the host. A leave that was asked for (flowctl cluster leave, a scale-in's preStop)
        // is a clean stop: 0. Downed stays non-zero. Checked while the host's services still exist.
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() =>
        {
            if (Environment.ExitCode == -1 && host.Services.GetService<Akka.Actor.ActorSystem>() is { } system
                && Akka.Actor.CoordinatedShutdown.Get(system).ShutdownReason is Akka.Actor.CoordinatedShutdown.ClusterLeavingReason)
            {
                Environment.ExitCode = 0;
            }
        });
        try
        {
            await host.RunAsync();
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await Console.Error.WriteLineAsync(
                $"flowactors: cannot start. FlowActors:Operator:Port {settings.Operator.Port} on {settings.Operator.BindAddress} is already in use. Set FLOWACTORS__OPERATOR__PORT to a free TCP port.");
            return ConfigurationError;
        }

        // 0 after SIGTERM or a leave; NotReadyWatchdog.ExitCode when the node gave up after its not-ready grace period.
        return Environment.ExitCode;
    }

    /// <summary>Help text.</summary>
    public const string Usage = """
        FlowActors node — flow receivers, per-host behaviour and the SIEM forwarder in one cluster member.

        Usage: FlowActors.Node [--demo [--syslog [udp:]HOST:PORT]] [--FlowActors:Section:Key=value ...]

          --demo    also replay bundled attack captures into this node's NetFlow port (alerts within a minute)
          --syslog  with --demo, also send the alerts as CEF over syslog to HOST:PORT (TCP, RFC 6587
                    octet-counting; udp:HOST:PORT for UDP), e.g. --syslog 127.0.0.1:514

        Configuration: appsettings.json next to the binary, then environment variables
        (FLOWACTORS__CLUSTER__PORT=4053 sets FlowActors:Cluster:Port), then the command line.
        Operator endpoint: http://127.0.0.1:9110 (flowctl, /healthz/live, /healthz/ready, /metrics).
        """;
}
