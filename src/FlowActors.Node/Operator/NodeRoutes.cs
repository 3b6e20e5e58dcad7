using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using FlowActors.Node.Configuration;
using FlowActors.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowActors.Node.Operator;

/// <summary><c>flowctl node config|version</c>.</summary>
internal static class NodeRoutes
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/api/node/config", (NodeSettings settings) => Results.Json(Describe(settings), OperatorEndpoint.Json));

        app.MapGet("/api/node/version", (NodeInfo info, ActorSystem system) => Results.Json(new
        {
            version = NodeInfo.Version,
            informational_version = NodeInfo.InformationalVersion,
            akka = NodeInfo.AkkaVersion,
            runtime = RuntimeInformation.FrameworkDescription,
            os = RuntimeInformation.OSDescription,
            process_id = Environment.ProcessId,
            started_at = info.StartedAt,
            uptime_seconds = Math.Round(info.Uptime.TotalSeconds, 1),
            address = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString(),
        }, OperatorEndpoint.Json));
    }

    /// <summary>The effective settings as JSON-friendly values, secrets redacted.</summary>
    internal static object Describe(NodeSettings s) => new
    {
        data_directory = Path.GetFullPath(s.DataDirectory),
        demo = s.Demo,
        cluster = new
        {
            system_name = s.Cluster.SystemName,
            hostname = s.Cluster.Hostname,
            public_hostname = s.Cluster.PublicHostname,
            port = s.Cluster.Port,
            seeds = s.Cluster.Seeds,
            roles = s.Cluster.Roles,
            shard_count = s.Cluster.ShardCount,
        },
        receivers = new
        {
            bind_address = s.Receivers.BindAddress,
            netflow_port = s.Receivers.NetFlowPort,
            ipfix_port = s.Receivers.IpfixPort,
            sflow_port = s.Receivers.SflowPort,
            sockets_per_port = s.Receivers.SocketsPerPort,
            receive_buffer_bytes = s.Receivers.ReceiveBufferBytes,
            exporter_allowlist = s.Receivers.ExporterAllowlist,
            batch_size = s.Receivers.BatchSize,
            flush_interval_ms = s.Receivers.FlushIntervalMs,
        },
        networks = new
        {
            monitored = s.Networks.Monitored.Select(n => n.ToString()).ToArray(),
        },
        detection = new
        {
            window_seconds = s.Detection.WindowSeconds,
            allowed_lateness_seconds = s.Detection.AllowedLatenessSeconds,
            passivate_after_seconds = s.Detection.PassivateAfterSeconds,
            snapshot_interval_seconds = s.Detection.SnapshotIntervalSeconds,
        },
        persistence = new
        {
            provider = s.Persistence.Provider.ToString().ToLowerInvariant(),
            connection_string = NodeSettingsReader.Redact(s.Persistence.ConnectionString),
        },
        forwarder = ForwarderConfigView.Describe(s.Forwarder),
        @operator = new
        {
            bind_address = s.Operator.BindAddress.ToString(),
            port = s.Operator.Port,
            token = s.Operator.Token.Length > 0 ? "***" : "",
            protect_probes_and_metrics = s.Operator.ProtectProbesAndMetrics,
        },
    };
}
