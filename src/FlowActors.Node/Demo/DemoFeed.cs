using System.Net;
using FlowActors.Node.Configuration;
using FlowActors.Node.Hosting;
using FlowActors.Protocols.Capture;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowActors.Node.Demo;

/// <summary>
/// <c>--demo</c>: once the node is ready, replays the bundled captures (an nmap SYN scan and an hping3 SYN
/// flood, exported by softflowd as NetFlow v9) into the node's own NetFlow receiver over loopback, so a
/// newcomer sees alerts within a minute. Detection runs on the flows' own timestamps, so the captures'
/// age does not matter, and alert ids are deterministic, so a replay after a restart adds no duplicates downstream.
/// </summary>
public sealed class DemoFeed(NodeSettings settings, NodeReadiness readiness, ILogger<DemoFeed> logger) : BackgroundService
{
    /// <summary>The captures played, in order, from the <c>demo</c> folder next to the binary.</summary>
    public static readonly IReadOnlyList<string> Captures = ["portscan-v9.pcap", "synflood-v9.pcap"];

    /// <summary>How long the feed waits for the node to become ready.</summary>
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var deadline = DateTime.UtcNow + ReadyDeadline;
        while (!await readiness.IsReadyAsync())
        {
            if (DateTime.UtcNow > deadline)
            {
                logger.LogError("demo: the node did not become ready within {Deadline}; not replaying (see /healthz/ready)", ReadyDeadline);
                return;
            }

            await Task.Delay(250, stoppingToken);
        }

        var target = new IPEndPoint(TargetAddress(settings.Receivers.BindAddress), settings.Receivers.NetFlowPort);
        var present = new List<(string Name, string Path)>();
        foreach (var name in Captures)
        {
            string path = Path.Combine(AppContext.BaseDirectory, "demo", name);
            if (File.Exists(path)) present.Add((name, path));
            else logger.LogError("demo: capture {Path} is missing from the installation", path);
        }

        // Paced so the demo never overruns a default-sized socket buffer on a small machine; one socket, so the node
        // sees one exporter and applies the scan's records before the flood's (the demo allows no lateness).
        var sent = await CaptureReplay.SendFilesAsync(present.ConvertAll(c => c.Path), target, ReplayPacing.GentleBursts, stoppingToken);
        for (int i = 0; i < present.Count; i++)
        {
            logger.LogInformation("demo: replayed {Count} NetFlow v9 datagrams from {Capture} to {Target}", sent[i].Datagrams, present[i].Name, target);
        }

        var fileSink = settings.Forwarder.Sinks.FirstOrDefault(s => s.Kind == SinkKind.File);
        logger.LogInformation("demo: done; alerts appear in {File} and on the console, or run: flowctl alerts recent",
            fileSink?.Path ?? "the configured sinks");
        foreach (var sink in settings.Forwarder.Sinks)
        {
            if (sink.Options is FlowActors.Siem.Sinks.SyslogSinkOptions syslog)
            {
                logger.LogInformation("demo: alerts are also sent as {Format} over syslog {Transport} to {Host}:{Port} (sink {Sink}; flowctl forwarder status shows its delivery)",
                    syslog.Format, syslog.Transport, syslog.Host, syslog.EffectivePort, sink.Name);
            }
        }
    }

    /// <summary>Where to send: loopback when the receiver listens on every address, else the address it listens on.</summary>
    internal static IPAddress TargetAddress(string bindAddress)
    {
        var address = IPAddress.Parse(bindAddress);
        if (address.Equals(IPAddress.Any)) return IPAddress.Loopback;
        if (address.Equals(IPAddress.IPv6Any)) return IPAddress.IPv6Loopback;
        return address;
    }
}
