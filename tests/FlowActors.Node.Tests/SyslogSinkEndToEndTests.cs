using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlowActors.Node.Tests.Harness;
using Xunit.Abstractions;

namespace FlowActors.Node.Tests;

/// <summary>
/// A node process delivering to a real rsyslog (started by the test on free loopback ports): CEF over TCP through an
/// outage with the node restarted (SIGTERM, or kill -9) in the middle; TLS with the wrong CA refused and counted;
/// and <c>--demo --syslog HOST:PORT</c> showing CEF lines at the receiver within a minute.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed partial class SyslogSinkEndToEndTests(ITestOutputHelper output)
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

    private static async Task<HashSet<(string Id, int Count)>> AcceptedAsync(NodeProcess node)
    {
        var pulled = await GetAsync(node, "api/alerts?after=0&limit=1000");
        Assert.False(pulled.GetProperty("truncated").GetBoolean());
        return pulled.GetProperty("alerts").EnumerateArray().Select(a => (a.GetProperty("id").GetString()!, a.GetProperty("count").GetInt32())).ToHashSet();
    }

    /// <summary>The (externalId, cn1) of every CEF message rsyslog wrote (its own start-up messages are skipped).</summary>
    private static List<(string Id, int Count)> ReceivedAlerts(RsyslogServer rsyslog)
    {
        var list = new List<(string, int)>();
        foreach (string line in rsyslog.ReceivedLines())
        {
            if (!line.Contains("CEF:0|FlowActors|", StringComparison.Ordinal)) continue;
            var id = ExternalId().Match(line);
            var count = Count().Match(line);
            Assert.True(id.Success && count.Success, "a CEF line without externalId or cn1: " + line);
            // CEF extension escaping (\\ and \=) undone.
            string value = id.Groups[1].Value.Replace("\\=", "=", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            list.Add((value, int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture)));
        }

        return list;
    }

    [GeneratedRegex(@"(?:^|\s)externalId=((?:\\.|[^\s\\])+)")]
    private static partial Regex ExternalId();

    [GeneratedRegex(@"(?:^|\s)cn1=(\d+)")]
    private static partial Regex Count();

    private static Dictionary<string, string> SyslogSink(Dictionary<string, string> environment, string transport, int port)
    {
        environment["FLOWACTORS__FORWARDER__SINKS__2__KIND"] = "syslog";
        environment["FLOWACTORS__FORWARDER__SINKS__2__NAME"] = "siem";
        environment["FLOWACTORS__FORWARDER__SINKS__2__TRANSPORT"] = transport;
        environment["FLOWACTORS__FORWARDER__SINKS__2__HOST"] = "127.0.0.1";
        environment["FLOWACTORS__FORWARDER__SINKS__2__PORT"] = port.ToString(CultureInfo.InvariantCulture);
        environment["FLOWACTORS__FORWARDER__SINKS__2__FORMAT"] = "cef";
        return environment;
    }

    private static async Task UntilAsync(NodeProcess node, Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        try
        {
            await Poll.UntilAsync(condition, timeout, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "; node output:\n" + node.Output, ex);
        }
    }

    [Fact]
    public Task Every_accepted_alert_reaches_rsyslog_over_tcp_after_an_outage_across_a_SIGTERM_restart() => OutageAsync(kill: false);

    [Fact]
    public Task Every_accepted_alert_reaches_rsyslog_over_tcp_after_an_outage_across_a_kill_9() => OutageAsync(kill: true);

    private async Task OutageAsync(bool kill)
    {
        using var data = new TempDirectory();
        await using var rsyslog = await RsyslogServer.StartAsync();
        await rsyslog.StopAsync(); // the SIEM is down from the start; its port and output file stay reserved for its return
        var environment = SyslogSink(NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp()), "tcp", rsyslog.TcpPort);
        int netflowPort = int.Parse(environment["FLOWACTORS__RECEIVERS__NETFLOWPORT"], CultureInfo.InvariantCulture);

        HashSet<(string Id, int Count)> acceptedBefore;
        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();
            using var exporter = new ReplayExporter(netflowPort); // one exporter: the scan is applied before the flood
            await exporter.SendAsync(FlowReplay.Capture("portscan-v9.pcap"));
            await exporter.SendAsync(FlowReplay.Capture("synflood-v9.pcap"));
            await UntilAsync(node, async () =>
            {
                var status = await GetAsync(node, "api/forwarder/status");
                return Sink(status, "jsonl").GetProperty("delivered").GetInt64() >= 1
                    && Sink(status, "siem").GetProperty("failures").GetInt64() >= 1
                    && Sink(status, "siem").GetProperty("pending").GetInt32() >= 1;
            }, TimeSpan.FromSeconds(90), "an alert delivered to jsonl while rsyslog is down");

            var during = await GetAsync(node, "api/forwarder/status");
            Assert.Equal("degraded", Sink(during, "siem").GetProperty("health").GetString());

            // A dead SIEM is reported in readiness, but does not take the node out of service.
            using (var ready = await node.Client.GetAsync("healthz/ready"))
            {
                string body = await ready.Content.ReadAsStringAsync();
                Assert.True(ready.IsSuccessStatusCode, body);
                var forwarder = JsonDocument.Parse(body).RootElement.GetProperty("checks").EnumerateArray()
                    .Single(c => c.GetProperty("name").GetString() == "forwarder");
                Assert.True(forwarder.GetProperty("ok").GetBoolean());
                Assert.Contains("degraded: siem", forwarder.GetProperty("detail").GetString());
            }

            acceptedBefore = await AcceptedAsync(node);
            if (kill) await node.KillAsync();
            else Assert.Equal(0, await node.TerminateAsync());
        }

        // Restarted while rsyslog is still down.
        await using (var node = NodeProcess.Start(environment))
        {
            await node.WaitReadyAsync();
            Assert.True((await GetAsync(node, "api/forwarder/status")).GetProperty("recovered").GetBoolean());
            Assert.Empty(ReceivedAlerts(rsyslog));

            await rsyslog.StartAgainAsync();
            HashSet<(string Id, int Count)> accepted = [];
            await UntilAsync(node, async () =>
            {
                accepted = await AcceptedAsync(node);
                var status = await GetAsync(node, "api/forwarder/status");
                return accepted.IsSubsetOf(ReceivedAlerts(rsyslog)) && Sink(status, "siem").GetProperty("pending").GetInt32() == 0;
            }, TimeSpan.FromSeconds(180), "every accepted alert in rsyslog's file");

            var lines = ReceivedAlerts(rsyslog);
            var distinct = lines.ToHashSet();
            // Read after the lines: an alert raised since the wait (the restored scanner closing its window on the idle
            // tick) is accepted before it is delivered, so this set holds everything rsyslog can have written.
            var acceptedAfter = await AcceptedAsync(node);
            Assert.Superset(acceptedBefore, accepted); // nothing accepted before the restart was lost by it
            Assert.Subset(acceptedAfter, distinct);   // nothing arrived that was never accepted: a repeat carries an accepted id and count
            Assert.True(accepted.Count >= 1);
            Assert.Equal("healthy", Sink(await GetAsync(node, "api/forwarder/status"), "siem").GetProperty("health").GetString());
            output.WriteLine($"rsyslog tcp outage ({(kill ? "kill -9" : "SIGTERM")} restart), machine loaded: accepted {accepted.Count}, delivered {distinct.Count} distinct in {lines.Count} messages, duplicates {lines.Count - distinct.Count} (same id and count)");
            Assert.Equal(0, await node.TerminateAsync());
        }
    }

    [Fact]
    public async Task Tls_syslog_sink_with_the_wrong_ca_does_not_deliver_and_the_failure_is_counted()
    {
        using var data = new TempDirectory();
        using var certificates = new TestCertificates();
        await using var rsyslog = await RsyslogServer.StartAsync(RsyslogListener.Tls, certificates.Files);
        var environment = SyslogSink(NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp()), "tls", rsyslog.TcpPort);
        environment["FLOWACTORS__FORWARDER__SINKS__2__CAFILE"] = certificates.OtherCaFile; // not the CA that signed rsyslog's certificate
        environment["FLOWACTORS__FORWARDER__SINKS__2__SERVERNAME"] = "localhost";
        int netflowPort = int.Parse(environment["FLOWACTORS__RECEIVERS__NETFLOWPORT"], CultureInfo.InvariantCulture);

        await using var node = NodeProcess.Start(environment);
        await node.WaitReadyAsync();
        await FlowReplay.SendAsync(FlowReplay.Capture("portscan-v9.pcap"), netflowPort);
        double tlsFailures = 0;
        await UntilAsync(node, async () =>
        {
            var siem = Sink(await GetAsync(node, "api/forwarder/status"), "siem");
            tlsFailures = await TlsFailuresAsync(node);
            return siem.GetProperty("failures").GetInt64() >= 1 && siem.GetProperty("pending").GetInt32() >= 1 && tlsFailures >= 1;
        }, TimeSpan.FromSeconds(90), "the refused handshake counted in /metrics and the forwarder status");

        var status = await GetAsync(node, "api/forwarder/status");
        Assert.Equal("degraded", Sink(status, "siem").GetProperty("health").GetString());
        Assert.True(Sink(status, "jsonl").GetProperty("delivered").GetInt64() >= 1);
        Assert.Equal(0, Sink(status, "siem").GetProperty("delivered").GetInt64());
        Assert.Empty(ReceivedAlerts(rsyslog));
        output.WriteLine($"wrong CA: {tlsFailures} TLS failures counted, last error: {Sink(status, "siem").GetProperty("last_error")}");
        Assert.Equal(0, await node.TerminateAsync());
    }

    private static async Task<double> TlsFailuresAsync(NodeProcess node)
    {
        string metrics = await node.Client.GetStringAsync("metrics");
        return metrics.Split('\n')
            .Where(l => l.StartsWith("flowactors_siem_tls_failures", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Demo_with_syslog_sends_cef_lines_to_the_receiver_within_a_minute()
    {
        using var data = new TempDirectory();
        await using var rsyslog = await RsyslogServer.StartAsync();
        await using var node = NodeProcess.Start(NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp()), "--demo", "--syslog", $"127.0.0.1:{rsyslog.TcpPort}");

        var started = DateTime.UtcNow;
        await UntilAsync(node, () => Task.FromResult(rsyslog.ReceivedLines().Any(l => l.Contains("CEF:0|FlowActors|FlowActors|", StringComparison.Ordinal) && l.Contains("|port-scan|", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(90), "a port-scan CEF line at rsyslog");
        output.WriteLine($"first CEF line at rsyslog {(DateTime.UtcNow - started).TotalSeconds:0.0} s after start (machine loaded)");
        // The demo names the syslog target once its replay is done, which can be after the first alert has arrived.
        string named = "over syslog tcp to 127.0.0.1:" + rsyslog.TcpPort.ToString(CultureInfo.InvariantCulture);
        await UntilAsync(node, () => Task.FromResult(node.Output.Contains(named, StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the demo naming its syslog target");
        var line = rsyslog.ReceivedLines().First(l => l.Contains("|port-scan|", StringComparison.Ordinal));
        Assert.StartsWith("<", line); // an RFC 5424 message: PRI, then the CEF
        Assert.Matches(ExternalId(), line);
        Assert.Equal(0, await node.TerminateAsync());
    }
}
