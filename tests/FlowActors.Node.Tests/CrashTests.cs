using System.Text.Json;
using FlowActors.Cluster.Serialization;
using FlowActors.Node.Tests.Harness;
using Microsoft.Data.Sqlite;

namespace FlowActors.Node.Tests;

/// <summary>
/// kill -9 of a node process: host state is written in batches every <c>Detection:SnapshotIntervalSeconds</c>, so a
/// crash loses at most that much; what was stored comes back exactly, and no alert the forwarder accepted is lost.
/// Same captures as <see cref="EndToEndTests"/>: a port scan of 10.99.0.10 by 10.99.1.30, then a SYN flood of it by 10.99.1.22.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class CrashTests
{
    private const string Scanner = "10.99.1.30";
    private const string Target = "10.99.0.10";
    private const int AllDatagrams = 128 + 191;

    // What the flood adds to the target's flows_observed: 3,000 SYNs to it and 3,000 answers from it (both ends are
    // its observations; counted in the capture with tshark's cflow decoder).
    private const int FloodTargetObservations = 6_000;

    private static async Task<JsonElement> GetAsync(NodeProcess node, string path)
    {
        using var response = await node.Client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static List<(string Id, string Detector, string Host)> Alerts(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, "alerts.jsonl");
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var ids = new List<(string, string, string)>();
        while (reader.ReadLine() is { } line)
        {
            // A line cut by the kill is not an alert the sink finished writing.
            if (line.Length == 0) continue;
            try
            {
                var alert = JsonDocument.Parse(line).RootElement;
                ids.Add((alert.GetProperty("id").GetString()!, alert.GetProperty("detector").GetString()!, alert.GetProperty("host").GetString()!));
            }
            catch (JsonException)
            {
            }
        }

        return ids;
    }

    /// <summary>The flows_observed of <paramref name="ip"/> as stored in the node's host-state table now (null when not stored).</summary>
    private static long? StoredFlows(string dataDirectory, string ip)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "flowactors.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT state FROM flowactors_host_state WHERE host = @host";
        cmd.Parameters.AddWithValue("@host", System.Net.IPAddress.Parse(ip).GetAddressBytes());
        try
        {
            return cmd.ExecuteScalar() is byte[] state ? FlowActorsSerializer.DecodeHostState(state).FlowsObserved : null;
        }
        catch (SqliteException)
        {
            return null; // the table is created on the first write
        }
    }

    [Fact]
    public async Task Kill_9_loses_at_most_the_flush_interval_of_host_state_and_no_accepted_alert()
    {
        using var data = new TempDirectory();
        var environment = NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp());
        environment["FLOWACTORS__DETECTION__SNAPSHOTINTERVALSECONDS"] = "1"; // the crash-loss bound
        int netflowPort = int.Parse(environment["FLOWACTORS__RECEIVERS__NETFLOWPORT"]);
        long targetBefore;
        long? targetStoredAtKill;
        List<(string Id, string Detector, string Host)> alertsBeforeKill;

        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();
            using var exporter = new ReplayExporter(netflowPort); // one exporter: the scan is applied before the flood
            await exporter.SendAsync(FlowReplay.Capture("portscan-v9.pcap"));
            await Poll.UntilAsync(async () => (await GetAsync(node, $"api/hosts/show?ip={Scanner}")).GetProperty("flows_observed").GetInt64() == 4_000,
                TimeSpan.FromSeconds(30), "all 4,000 flows of the scanner to be applied");
            targetBefore = (await GetAsync(node, $"api/hosts/show?ip={Target}")).GetProperty("flows_observed").GetInt64();
            // Within the bound (1 s flush), both hosts' states reach the table without any shutdown.
            await Poll.UntilAsync(() => StoredFlows(data.Path, Scanner) == 4_000 && StoredFlows(data.Path, Target) >= targetBefore,
                TimeSpan.FromSeconds(15), "the scanner's and the target's states to be written");

            // The flood arrives and the node dies as soon as the receiver has it: host state and alerts are in flight.
            await exporter.SendAsync(FlowReplay.Capture("synflood-v9.pcap"));
            await Poll.UntilAsync(async () =>
            {
                var exporters = await GetAsync(node, "api/exporters/list");
                return exporters.GetProperty("ports").EnumerateArray().Sum(p => p.GetProperty("datagrams").GetInt64()) == AllDatagrams;
            }, TimeSpan.FromSeconds(30), "the receiver to count all 319 datagrams");
            await node.KillAsync();
            targetStoredAtKill = StoredFlows(data.Path, Target);
            alertsBeforeKill = Alerts(data.Path);
        }

        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();

            // The scanner had no traffic after its state was written: nothing of it is lost.
            var scanner = await GetAsync(node, $"api/hosts/show?ip={Scanner}");
            Assert.True(scanner.GetProperty("restored_from_snapshot").GetBoolean());
            Assert.Equal(4_000, scanner.GetProperty("flows_observed").GetInt64());
            // The target comes back exactly as last stored: at least what it had a flush interval before the flood,
            // at most what the flood added before the kill.
            var target = await GetAsync(node, $"api/hosts/show?ip={Target}");
            Assert.NotNull(targetStoredAtKill);
            Assert.Equal(targetStoredAtKill, target.GetProperty("flows_observed").GetInt64());
            Assert.InRange(targetStoredAtKill!.Value, targetBefore, targetBefore + FloodTargetObservations);

            // No alert lost. The scan's window closes only when the flood moves the target's event time on, so its
            // alert is raised in the moments before the kill: accepted by the forwarder (journal, redelivered), or
            // still unacknowledged in the target's stored state (resent by the restored host), or not yet raised
            // because the stored state predates the flood (the restored host's open window closes on the idle tick).
            // Each path must end with the alert in alerts.jsonl, exactly one id.
            await Poll.UntilAsync(() => Alerts(data.Path).Any(a => a.Detector == "port-scan" && a.Host == Target), TimeSpan.FromSeconds(60), "the target's port-scan alert after the crash");
            await Poll.UntilAsync(async () => (await GetAsync(node, "api/forwarder/status")).GetProperty("outbox").GetInt32() == 0,
                TimeSpan.FromSeconds(30), "the recovered forwarder outbox to drain");
            var after = Alerts(data.Path);
            Assert.Single(after.Where(a => a.Detector == "port-scan" && a.Host == Target).Select(a => a.Id).Distinct());
            // Whatever was delivered before the kill is still there.
            Assert.Superset(alertsBeforeKill.Select(a => a.Id).ToHashSet(), after.Select(a => a.Id).ToHashSet());

            Assert.Equal(0, await node.TerminateAsync());
        }
    }
}
