using FlowActors.Cluster;
using FlowActors.Node.Configuration;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Outbox;
using Microsoft.Extensions.Logging;

namespace FlowActors.Node.Hosting;

/// <summary>Turns the node's validated settings into the cluster layer's options.</summary>
public static class ClusterOptionsMapping
{
    /// <summary>Maps <paramref name="settings"/> onto <see cref="FlowActorsClusterOptions"/>.</summary>
    /// <param name="settings">The node's settings.</param>
    /// <param name="logging">Loggers for the sinks (none when null).</param>
    public static FlowActorsClusterOptions ToClusterOptions(this NodeSettings settings, ILoggerFactory? logging = null)
    {
        var receivers = new List<ReceiverPortOptions>();
        foreach (int port in settings.Receivers.EnabledPorts)
        {
            receivers.Add(new ReceiverPortOptions
            {
                Port = port,
                BindAddress = settings.Receivers.BindAddress,
                Sockets = settings.Receivers.SocketsPerPort,
                ReceiveBufferBytes = settings.Receivers.ReceiveBufferBytes,
                RingBuffers = settings.Receivers.RingBuffers,
                RingBufferBytes = settings.Receivers.RingBufferBytes,
            });
        }

        return new FlowActorsClusterOptions
        {
            Roles = settings.Cluster.Roles.ToList(),
            ShardCount = settings.Cluster.ShardCount,
            DowningStableAfter = TimeSpan.FromSeconds(settings.Cluster.DowningStableAfterSeconds),
            Receivers = receivers,
            ExporterAllowlist = settings.Receivers.ExporterAllowlist.ToList(),
            BatchSize = settings.Receivers.BatchSize,
            FlushInterval = TimeSpan.FromMilliseconds(settings.Receivers.FlushIntervalMs),
            HostApplyDelay = TimeSpan.FromMilliseconds(settings.Cluster.HostApplyDelayMs),
            PassivationIdleTimeout = TimeSpan.FromSeconds(settings.Detection.PassivateAfterSeconds),
            SnapshotInterval = TimeSpan.FromSeconds(settings.Detection.SnapshotIntervalSeconds),
            IdleAdvanceInterval = TimeSpan.FromMilliseconds(settings.Detection.IdleTickMilliseconds),
            PersistenceProvider = settings.Persistence.Provider,
            ConnectionString = settings.Persistence.ConnectionString,
            DataDirectory = settings.DataDirectory,
            AlertsJsonLinesPath = "",
            ConsoleSink = false,
            Sinks = SinkDefinitions(settings, logging),
            ForwarderPullWindow = settings.Forwarder.PullWindow,
            // The library's settings as bound and completed (window, lateness, demo window and networks applied once, by
            // NodeSettingsBinder.Complete).
            Detection = settings.Detection.Tuning,
        };
    }

    /// <summary>Every configured sink with its policy; each is created on the forwarder's node when first delivered to.</summary>
    private static List<AlertSinkDefinition> SinkDefinitions(NodeSettings settings, ILoggerFactory? logging)
    {
        // The observer is this machine (its host name); syslog facility, app name and inner format come from each sink's options.
        return settings.Forwarder.Sinks.Select(s => new AlertSinkDefinition(s.Name, s.Policy, SinkKinds.Factory(s, AlertFormatContext.Default, logging))).ToList();
    }
}
