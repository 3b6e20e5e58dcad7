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
    private static readonly System.Text.Json.JsonSerializerOptions TuningJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
    };

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

    /// <summary>
    /// The effective settings as JSON-friendly values: paths absolute, the detection tuning in force (demo window
    /// included), and secrets masked (tokens, passwords, connection-string passwords; a secret shows as
    /// <see cref="ForwarderConfigView.Mask"/> when set and empty when not).
    /// </summary>
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
            tls = s.Cluster.Tls is not { } tls ? null : new
            {
                certificate_path = tls.CertificatePath,
                key_path = tls.KeyPath,
                pfx_path = tls.PfxPath,
                pfx_password = tls.PfxPassword.Length > 0 ? ForwarderConfigView.Mask : "",
                pfx_password_file = tls.PfxPasswordFile,
                ca_path = tls.CaPath,
            },
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
            idle_tick_milliseconds = s.Detection.IdleTickMilliseconds,
            threat_intel_poll_seconds = s.Detection.ThreatIntelPollSeconds,
            // The detection library's settings in force: every detector's parameters, learning period, suppression,
            // allowlists, threat-intel files (absolute), window and networks.
            tuning = System.Text.Json.JsonSerializer.SerializeToElement(s.Detection.Tuning, TuningJson),
        },
        persistence = new
        {
            provider = s.Persistence.Provider.ToString().ToLowerInvariant(),
            connection_string = NodeSettingsOptions.Redact(s.Persistence.ConnectionString),
            connection_string_file = s.Persistence.ConnectionStringFile,
            password_file = s.Persistence.PasswordFile,
        },
        forwarder = ForwarderConfigView.Describe(s.Forwarder),
        @operator = new
        {
            bind_address = s.Operator.BindAddress.ToString(),
            port = s.Operator.Port,
            token = s.Operator.Token.Length > 0 ? ForwarderConfigView.Mask : "",
            token_file = s.Operator.TokenFile,
            token_origin = s.Operator.TokenOrigin.ToString().ToLowerInvariant(),
            protect_probes_and_metrics = s.Operator.ProtectProbesAndMetrics,
        },
    };
}
