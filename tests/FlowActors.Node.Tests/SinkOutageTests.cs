using System.Text.Json;
using FlowActors.Node.Tests.Harness;
using Xunit.Abstractions;

namespace FlowActors.Node.Tests;

/// <summary>
/// A sink's receiver is down while alerts flow and the node is restarted (SIGTERM, or SIGKILL); once the receiver is
/// back, every alert the forwarder accepted (its journal, read through the pull API) is in the sink, duplicates only
/// under the same id and count. The receiver is a JSON-lines file sink whose directory is replaced by a plain file
/// during the outage, so opening the sink fails (ENOTDIR) even for root, while the default sinks keep delivering.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class SinkOutageTests(ITestOutputHelper output)
{
    private static async Task<JsonElement> GetAsync(NodeProcess node, string path)
    {
        using var response = await node.Client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static JsonElement Sink(JsonElement status, string name) =>
        status.GetProperty("sinks").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private static List<(string Id, int Count)> ReadLines(string path)
    {
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var list = new List<(string, int)>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            var a = JsonDocument.Parse(line).RootElement;
            list.Add((a.GetProperty("id").GetString()!, a.GetProperty("count").GetInt32()));
        }

        return list;
    }

    private static async Task<HashSet<(string Id, int Count)>> AcceptedAsync(NodeProcess node)
    {
        var pulled = await GetAsync(node, "api/alerts?after=0&limit=1000");
        Assert.False(pulled.GetProperty("truncated").GetBoolean());
        return pulled.GetProperty("alerts").EnumerateArray().Select(a => (a.GetProperty("id").GetString()!, a.GetProperty("count").GetInt32())).ToHashSet();
    }

    [Fact]
    public Task Every_accepted_alert_reaches_a_sink_that_was_down_across_a_SIGTERM_restart() => OutageAsync(kill: false);

    [Fact]
    public Task Every_accepted_alert_reaches_a_sink_that_was_down_across_a_kill_9() => OutageAsync(kill: true);

    private async Task OutageAsync(bool kill)
    {
        using var data = new TempDirectory();
        string receiverDir = Path.Combine(data.Path, "siem");
        string receiverFile = Path.Combine(receiverDir, "alerts.jsonl");
        await File.WriteAllTextAsync(receiverDir, "not a directory: the receiver is down\n");
        var environment = NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp());
        environment["FLOWACTORS__FORWARDER__SINKS__2__KIND"] = "file";
        environment["FLOWACTORS__FORWARDER__SINKS__2__NAME"] = "siem";
        environment["FLOWACTORS__FORWARDER__SINKS__2__PATH"] = receiverFile;
        int netflowPort = int.Parse(environment["FLOWACTORS__RECEIVERS__NETFLOWPORT"]);

        HashSet<(string Id, int Count)> acceptedBefore;
        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();
            using var exporter = new ReplayExporter(netflowPort); // one exporter: the scan is applied before the flood
            await exporter.SendAsync(FlowReplay.Capture("portscan-v9.pcap"));
            await exporter.SendAsync(FlowReplay.Capture("synflood-v9.pcap"));
            try
            {
                // Alerts flow to the default sinks while the siem sink fails, on its own.
                await Poll.UntilAsync(async () =>
                {
                    var status = await GetAsync(node, "api/forwarder/status");
                    return Sink(status, "jsonl").GetProperty("delivered").GetInt64() >= 1
                        && Sink(status, "siem").GetProperty("failures").GetInt64() >= 1
                        && Sink(status, "siem").GetProperty("pending").GetInt32() >= 1;
                }, TimeSpan.FromSeconds(90), "an alert delivered to jsonl while the siem sink fails");
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(ex.Message + "; node output:\n" + node.Output, ex);
            }

            var during = await GetAsync(node, "api/forwarder/status");
            Assert.Equal("degraded", Sink(during, "siem").GetProperty("health").GetString());
            Assert.Equal("healthy", Sink(during, "jsonl").GetProperty("health").GetString());
            acceptedBefore = await AcceptedAsync(node);

            if (kill) await node.KillAsync();
            else Assert.Equal(0, await node.TerminateAsync());
        }

        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();
            var recovered = await GetAsync(node, "api/forwarder/status");
            Assert.True(recovered.GetProperty("recovered").GetBoolean());
            Assert.False(File.Exists(receiverFile));

            // The receiver comes back.
            File.Delete(receiverDir);
            Directory.CreateDirectory(receiverDir);

            HashSet<(string Id, int Count)> accepted = [];
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    accepted = await AcceptedAsync(node);
                    var delivered = ReadLines(receiverFile).ToHashSet();
                    var status = await GetAsync(node, "api/forwarder/status");
                    return accepted.IsSubsetOf(delivered) && Sink(status, "siem").GetProperty("pending").GetInt32() == 0;
                }, TimeSpan.FromSeconds(120), "every accepted alert in the siem file");
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(ex.Message + "; node output:\n" + node.Output, ex);
            }

            var lines = ReadLines(receiverFile);
            var distinct = lines.ToHashSet();
            Assert.Superset(acceptedBefore, accepted); // nothing accepted before the restart was lost by it
            Assert.Subset(accepted, distinct);        // nothing in the sink that was never accepted
            Assert.True(accepted.Count >= 1);
            var healed = await GetAsync(node, "api/forwarder/status");
            Assert.Equal("healthy", Sink(healed, "siem").GetProperty("health").GetString());
            output.WriteLine($"outage ({(kill ? "kill -9" : "SIGTERM")} restart): accepted {accepted.Count}, delivered {distinct.Count} distinct in {lines.Count} lines, duplicates {lines.Count - distinct.Count} (same id and count)");

            Assert.Equal(0, await node.TerminateAsync());
        }
    }
}
