using System.Text.Json;
using FlowActors.Node.Tests.Harness;

namespace FlowActors.Node.Tests;

/// <summary>
/// The node as a process: real NetFlow v9 over loopback UDP in, alerts.jsonl out, SIGTERM and restart.
/// The captures are softflowd's exports (tests/testdata/README.md) of `nmap -sS -p 1-2000 10.99.0.10` from
/// 10.99.1.30 (128 datagrams, 2,000 flows each way) and, ten seconds of event time later, of
/// `hping3 -S -p 80 -c 3000 10.99.0.10` from 10.99.1.22 (191 datagrams). The flood's later flows move the
/// scanned host's event time past the scan's window, which closes it without waiting for the idle tick.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class EndToEndTests
{
    private const string Scanner = "10.99.1.30";
    private const string Target = "10.99.0.10";
    private const int PortScanDatagrams = 128;
    private const int SynFloodDatagrams = 191;
    private const int PortScanFlowsOfScanner = 4_000;

    private static List<JsonElement> ReadAlerts(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, "alerts.jsonl");
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var alerts = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0) alerts.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        return alerts;
    }

    private static async Task<JsonElement> GetAsync(NodeProcess node, string path)
    {
        using var response = await node.Client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The port-scan alerts the captures raise, by (host, role): the scanned host as target, the scanner as actor.</summary>
    private static readonly (string Host, string Role)[] PortScanAlerts = [(Target, "target"), (Scanner, "actor")];

    private static (string Host, string Role) KeyOf(JsonElement alert) => (alert.GetProperty("host").GetString()!, alert.GetProperty("role").GetString()!);

    /// <summary>
    /// Waits for the whole expected set of port-scan alerts, selected by (host, role). They arrive in either order:
    /// the flood closes the target's window, the idle tick the scanner's, and retries may reorder them.
    /// </summary>
    private static async Task<Dictionary<(string Host, string Role), JsonElement>> WaitForPortScanAlertsAsync(string dataDirectory, NodeProcess node)
    {
        Dictionary<(string Host, string Role), JsonElement> found = new();
        try
        {
            await Poll.UntilAsync(() =>
            {
                found = ReadAlerts(dataDirectory).Where(a => a.GetProperty("detector").GetString() == "port-scan")
                    .GroupBy(KeyOf).ToDictionary(g => g.Key, g => g.First());
                return PortScanAlerts.All(found.ContainsKey);
            }, TimeSpan.FromSeconds(90), "both port-scan alerts (target and actor) in alerts.jsonl");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; found {string.Join(", ", found.Keys)}; {await DiagnosticsAsync(node)}; node output:\n{node.Output}", ex);
        }

        Assert.Equal(PortScanAlerts.Order(), found.Keys.Order());
        return found;
    }

    /// <summary>
    /// What a missing alert needs to be explained (seen once under a loaded machine: the target's alert missing, the
    /// scanner's present): both hosts' state as the node reports it, and its drop and observation counters.
    /// </summary>
    private static async Task<string> DiagnosticsAsync(NodeProcess node)
    {
        var parts = new List<string>();
        foreach (var host in new[] { Target, Scanner })
        {
            try
            {
                parts.Add($"{host}: {await node.Client.GetStringAsync($"api/hosts/show?ip={host}")}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                parts.Add($"{host}: {e.Message}");
            }
        }
        try
        {
            string metrics = await node.Client.GetStringAsync("metrics");
            parts.Add("metrics: " + string.Join(" ", metrics.Split('\n').Where(l => !l.StartsWith('#') &&
                (l.Contains("drop", StringComparison.Ordinal) || l.StartsWith("flowactors_host_observations", StringComparison.Ordinal) ||
                 l.StartsWith("flowactors_receiver_records", StringComparison.Ordinal) || l.StartsWith("flowactors_host_activations", StringComparison.Ordinal) ||
                 l.StartsWith("flowactors_forwarder", StringComparison.Ordinal)))));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            parts.Add($"metrics: {e.Message}");
        }
        return string.Join("; ", parts);
    }

    [Fact]
    public async Task Port_scan_over_udp_raises_T1046_in_alerts_jsonl_and_the_baseline_survives_a_SIGTERM_restart()
    {
        using var data = new TempDirectory();
        await ScanThenRestartAsync(data, NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp()));
    }

    [Fact]
    public async Task On_postgresql_the_alert_and_the_baseline_survive_a_SIGTERM_restart()
    {
        await using var postgres = await PostgresServer.StartAsync();
        string connectionString = await postgres.CreateDatabaseAsync("flowactors");
        using var data = new TempDirectory();
        var environment = NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp());
        environment["FLOWACTORS__PERSISTENCE__PROVIDER"] = "postgresql";
        environment["FLOWACTORS__PERSISTENCE__CONNECTIONSTRING"] = connectionString;

        await ScanThenRestartAsync(data, environment);

        // The state went to PostgreSQL, not to a SQLite file in the data directory.
        Assert.False(File.Exists(Path.Combine(data.Path, "flowactors.db")));
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // Host states live in the batched host-state table beside the plugin's journal (the forwarder's outbox).
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM flowactors_host_state", connection);
        Assert.True((long)(await count.ExecuteScalarAsync())! >= 1);
    }

    private static async Task ScanThenRestartAsync(TempDirectory data, Dictionary<string, string> environment)
    {
        int netflowPort = int.Parse(environment["FLOWACTORS__RECEIVERS__NETFLOWPORT"]);

        string alertId;
        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();
            using var exporter = new ReplayExporter(netflowPort); // one exporter: the scan is applied before the flood
            Assert.Equal(PortScanDatagrams, await exporter.SendAsync(FlowReplay.Capture("portscan-v9.pcap")));
            Assert.Equal(SynFloodDatagrams, await exporter.SendAsync(FlowReplay.Capture("synflood-v9.pcap")));

            var alerts = await WaitForPortScanAlertsAsync(data.Path, node);
            // Both ends are monitored: the scanned host reports the scan as its target, naming the scanner as its peer.
            var alert = alerts[(Target, "target")];
            Assert.Equal("T1046", alert.GetProperty("technique").GetProperty("id").GetString());
            Assert.Equal("TA0007", alert.GetProperty("tactic").GetProperty("id").GetString());
            Assert.Equal([Scanner], alert.GetProperty("peers").EnumerateArray().Select(p => p.GetString()));
            alertId = alert.GetProperty("id").GetString()!;
            Assert.Equal([Target], alerts[(Scanner, "actor")].GetProperty("peers").EnumerateArray().Select(p => p.GetString()));
            await Poll.UntilAsync(async () => (await GetAsync(node, "api/forwarder/status")).GetProperty("outbox").GetInt32() == 0,
                TimeSpan.FromSeconds(30), "the forwarder outbox to drain");

            await Poll.UntilAsync(async () => (await GetAsync(node, $"api/hosts/show?ip={Scanner}")).GetProperty("flows_observed").GetInt64() == PortScanFlowsOfScanner,
                TimeSpan.FromSeconds(30), "all 4,000 flows of the scanner to be observed");
            var before = await GetAsync(node, $"api/hosts/show?ip={Scanner}");
            Assert.False(before.GetProperty("restored_from_snapshot").GetBoolean());

            string metrics = await node.Client.GetStringAsync("metrics");
            Assert.Contains($"flowactors_receiver_datagrams_total{{port=\"{netflowPort}\"}} {PortScanDatagrams + SynFloodDatagrams}\n", metrics);
            Assert.Matches("flowactors_siem_delivered_total\\{sink=\"jsonl\"\\} [1-9]", metrics);
            Assert.Equal(0, Assert.Single(PrometheusText.Parse(metrics).Samples, x => x.Name == "flowactors_forwarder_outbox").Value);

            Assert.Equal(0, await node.TerminateAsync());
        }

        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();

            var after = await GetAsync(node, $"api/hosts/show?ip={Scanner}");
            Assert.True(after.GetProperty("restored_from_snapshot").GetBoolean());
            Assert.Equal(PortScanFlowsOfScanner, after.GetProperty("flows_observed").GetInt64());

            var forwarder = await GetAsync(node, "api/forwarder/status");
            Assert.True(forwarder.GetProperty("recovered").GetBoolean());
            Assert.Equal(0, forwarder.GetProperty("outbox").GetInt32());

            // Delivered once, not again after the restart.
            var ids = ReadAlerts(data.Path).Select(a => a.GetProperty("id").GetString()).ToList();
            Assert.Single(ids, id => id == alertId);
            Assert.Equal(ids.Count, ids.Distinct().Count());

            var (code, output) = await node.FlowctlAsync("hosts", "show", Scanner);
            Assert.True(code == 0, output);
            Assert.Matches("restored_from_snapshot: +true\\n", output);

            Assert.Equal(0, await node.TerminateAsync());
        }
    }

    [Fact]
    public async Task Flows_received_just_before_SIGTERM_are_not_lost_across_the_restart()
    {
        using var data = new TempDirectory();
        var environment = NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp());
        int netflowPort = int.Parse(environment["FLOWACTORS__RECEIVERS__NETFLOWPORT"]);

        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();
            using var exporter = new ReplayExporter(netflowPort); // one exporter: the scan is applied before the flood
            await exporter.SendAsync(FlowReplay.Capture("portscan-v9.pcap"));
            await exporter.SendAsync(FlowReplay.Capture("synflood-v9.pcap"));
            // Terminate as soon as the receiver has every datagram: batches, host state and the alert are still in flight.
            await Poll.UntilAsync(async () =>
            {
                var exporters = await GetAsync(node, "api/exporters/list");
                return exporters.GetProperty("ports").EnumerateArray().Sum(p => p.GetProperty("datagrams").GetInt64()) == PortScanDatagrams + SynFloodDatagrams;
            }, TimeSpan.FromSeconds(30), "the receiver to count all 319 datagrams");

            Assert.Equal(0, await node.TerminateAsync());
        }

        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();

            // The scanner gets no traffic after the restart, and its entity is not started until something asks
            // for it (issue 10, finding 8: a restored host should close its open window by the idle tick by
            // itself). Asking first, then waiting for the full set, keeps this test about what it tests: nothing
            // received before SIGTERM is lost.
            var scanner = await GetAsync(node, $"api/hosts/show?ip={Scanner}");
            Assert.Equal(PortScanFlowsOfScanner, scanner.GetProperty("flows_observed").GetInt64());
            await WaitForPortScanAlertsAsync(data.Path, node);
            // One alert id per (host, role), however often it was delivered.
            var idsByKey = ReadAlerts(data.Path).Where(a => a.GetProperty("detector").GetString() == "port-scan")
                .GroupBy(KeyOf).ToDictionary(g => g.Key, g => g.Select(a => a.GetProperty("id").GetString()).Distinct().Count());
            Assert.All(PortScanAlerts, key => Assert.Equal(1, idsByKey[key]));

            Assert.Equal(0, await node.TerminateAsync());
        }
    }
}
