using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FlowActors.Node.Tests.Harness;

namespace FlowActors.Node.Tests;

[Collection(NodeCollection.Name)]
public sealed class OperatorEndpointTests
{
    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Probes_cluster_and_node_routes_answer_with_json()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        var live = await GetJsonAsync(node.Client, "healthz/live");
        Assert.Equal("live", live.GetProperty("status").GetString());

        var ready = await GetJsonAsync(node.Client, "healthz/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Contains(ready.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "cluster-member-up" && c.GetProperty("ok").GetBoolean());

        var show = await GetJsonAsync(node.Client, "api/cluster/show");
        var member = Assert.Single(show.GetProperty("members").EnumerateArray());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.Equal(["analytics", "edge", "forwarder"], member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(show.GetProperty("self").GetString(), show.GetProperty("leader").GetString());

        var status = await GetJsonAsync(node.Client, "api/cluster/status");
        Assert.True(status.GetProperty("is_leader").GetBoolean());
        Assert.Equal(1, status.GetProperty("members_up").GetInt32());
        Assert.Equal(0, status.GetProperty("unreachable").GetInt32());

        var leader = await GetJsonAsync(node.Client, "api/cluster/leader");
        Assert.Equal(show.GetProperty("self").GetString(), leader.GetProperty("role_leaders").GetProperty("forwarder").GetString());

        var config = await GetJsonAsync(node.Client, "api/node/config");
        Assert.Equal(node.Settings.Receivers.NetFlowPort, config.GetProperty("receivers").GetProperty("netflow_port").GetInt32());

        var version = await GetJsonAsync(node.Client, "api/node/version");
        Assert.Equal(Environment.ProcessId, version.GetProperty("process_id").GetInt32());
        Assert.Equal("0.1.0", version.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Unknown_routes_are_a_json_404()
    {
        await using var node = await InProcessNode.StartAsync();

        var error = await GetJsonAsync(node.Client, "api/cluster/explode", HttpStatusCode.NotFound);

        Assert.Equal("no such operator route: GET /api/cluster/explode", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task With_a_token_every_api_call_needs_it_but_probes_and_metrics_do_not()
    {
        await using var node = await InProcessNode.StartAsync(("FlowActors:Operator:Token", "correct-horse"));

        var refused = await GetJsonAsync(node.Client, "api/node/version", HttpStatusCode.Unauthorized);
        Assert.Contains("bearer token is required", refused.GetProperty("error").GetString());

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "api/node/version"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "correct-horsf");
            using var response = await node.Client.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var right = new HttpRequestMessage(HttpMethod.Get, "api/node/version"))
        {
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "correct-horse");
            using var response = await node.Client.SendAsync(right);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var live = await node.Client.GetAsync("healthz/live")) Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using (var metrics = await node.Client.GetAsync("metrics")) Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task Protected_probes_need_the_token_too()
    {
        await using var node = await InProcessNode.StartAsync(("FlowActors:Operator:Token", "t0ken"), ("FlowActors:Operator:ProtectProbesAndMetrics", "true"));

        using var live = await node.Client.GetAsync("healthz/live");
        using var metrics = await node.Client.GetAsync("metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, live.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
        // OpenTelemetry's Prometheus endpoint sits behind the same rule: the token opens it.
        using var authorised = await node.OperatorClient.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, authorised.StatusCode);
        Assert.Contains("# TYPE flowactors_cluster_self_up gauge\n", await authorised.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_cluster_gauges_and_request_counts()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        using var response = await node.Client.GetAsync("metrics");
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE flowactors_cluster_self_up gauge\n", text);
        var scrape = PrometheusText.Parse(text);
        Assert.Equal(1, Assert.Single(scrape.Samples, x => x.Name == "flowactors_cluster_self_up").Value);
        Assert.Contains("flowactors_cluster_members{status=\"up\"} 1\n", text);
        Assert.Contains("# TYPE flowactors_operator_requests_total counter\n", text);
        Assert.Matches("flowactors_operator_requests_total\\{group=\"probe\",status=\"200\"\\} [1-9]", text);
    }

    [Fact]
    public async Task Leave_takes_the_node_out_of_the_cluster_and_it_stops_being_ready()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        using var leave = await node.OperatorClient.PostAsync("api/cluster/leave", null);
        Assert.Equal(HttpStatusCode.Accepted, leave.StatusCode);

        await Poll.UntilAsync(async () =>
        {
            using var ready = await node.Client.GetAsync("healthz/ready");
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, TimeSpan.FromSeconds(30), "readiness to fail after leaving");
    }

    [Fact]
    public async Task Down_unreachable_with_everyone_reachable_downs_nobody()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        using var response = await node.OperatorClient.PostAsync("api/cluster/down-unreachable", null);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, doc.RootElement.GetProperty("downed").GetArrayLength());
    }

    [Fact]
    public async Task Region_stats_for_a_region_that_does_not_exist_is_a_404_naming_it()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        var error = await GetJsonAsync(node.Client, "api/sharding/region-stats?type=nope", HttpStatusCode.NotFound);

        Assert.StartsWith("no shard region 'nope' on this node", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Alerts_pull_api_resumes_from_a_cursor_and_recent_returns_the_last_ones()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();
        await ForwarderFeed.AcceptAsync(node, ForwarderFeed.Alert("a1"), ForwarderFeed.Alert("a2"), ForwarderFeed.Alert("a3"));

        var first = await GetJsonAsync(node.Client, "api/alerts?limit=2");
        Assert.Equal(["a1", "a2"], first.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
        long cursor = first.GetProperty("next").GetInt64();
        Assert.Equal(first.GetProperty("alerts")[1].GetProperty("cursor").GetInt64(), cursor);
        Assert.False(first.GetProperty("truncated").GetBoolean());

        await ForwarderFeed.AcceptAsync(node, ForwarderFeed.Alert("a4"));
        var rest = await GetJsonAsync(node.Client, $"api/alerts?after={cursor}");
        Assert.Equal(["a3", "a4"], rest.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
        var idle = await GetJsonAsync(node.Client, $"api/alerts?after={rest.GetProperty("next").GetInt64()}");
        Assert.Empty(idle.GetProperty("alerts").EnumerateArray());
        Assert.Equal(rest.GetProperty("next").GetInt64(), idle.GetProperty("next").GetInt64());

        var recent = await GetJsonAsync(node.Client, "api/alerts/recent?limit=2");
        Assert.Equal(["a3", "a4"], recent.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
        Assert.Equal(10_000, recent.GetProperty("window").GetInt32());
    }

    [Fact]
    public async Task Poller_that_fell_behind_the_pull_window_is_told_so()
    {
        await using var node = await InProcessNode.StartAsync(("FlowActors:Forwarder:PullWindow", "2"));
        await node.WaitReadyAsync();
        await ForwarderFeed.AcceptAsync(node, ForwarderFeed.Alert("a1"), ForwarderFeed.Alert("a2"), ForwarderFeed.Alert("a3"));

        var behind = await GetJsonAsync(node.Client, "api/alerts?after=0");
        Assert.True(behind.GetProperty("truncated").GetBoolean());
        Assert.Equal(["a2", "a3"], behind.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
        Assert.Equal(behind.GetProperty("alerts")[0].GetProperty("cursor").GetInt64(), behind.GetProperty("oldest").GetInt64());
    }

    [Fact]
    public async Task Exporters_hosts_and_forwarder_routes_report_what_the_node_received()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        // normal-v9: softflowd NetFlow v9 of ordinary traffic (tests/testdata/README.md).
        int sent = await FlowReplay.SendAsync(FlowReplay.Capture("normal-v9.pcap"), node.Settings.Receivers.NetFlowPort);
        await Poll.UntilAsync(async () =>
        {
            var list = await GetJsonAsync(node.Client, "api/exporters/list");
            return list.GetProperty("exporters").EnumerateArray().Any(e => e.GetProperty("exporter").GetString() == "127.0.0.1" && e.GetProperty("datagrams").GetInt64() == sent);
        }, TimeSpan.FromSeconds(30), "every datagram counted for exporter 127.0.0.1");

        var templates = await GetJsonAsync(node.Client, "api/exporters/templates?exporter=127.0.0.1");
        Assert.Contains(templates.GetProperty("templates").EnumerateArray(), t => t.GetProperty("template_id").GetInt32() == 1024 && t.GetProperty("version").GetInt32() == 9);

        var forwarder = await GetJsonAsync(node.Client, "api/forwarder/status");
        Assert.Equal(["console", "jsonl"], forwarder.GetProperty("sinks").EnumerateArray().Select(k => k.GetProperty("name").GetString()).Order());

        var top = await GetJsonAsync(node.Client, "api/hosts/top?limit=3");
        Assert.InRange(top.GetProperty("hosts").GetArrayLength(), 1, 3);
        string busiest = top.GetProperty("hosts")[0].GetProperty("host").GetString()!;
        var show = await GetJsonAsync(node.Client, $"api/hosts/show?ip={busiest}");
        Assert.Equal(top.GetProperty("hosts")[0].GetProperty("flows_observed").GetInt64(), show.GetProperty("flows_observed").GetInt64());
    }

    [Fact]
    public async Task Hosts_show_refuses_an_address_outside_the_monitored_networks()
    {
        await using var node = await InProcessNode.StartAsync();

        var error = await GetJsonAsync(node.Client, "api/hosts/show?ip=198.51.100.7", HttpStatusCode.NotFound);

        Assert.StartsWith("198.51.100.7 is not in a monitored network", error.GetProperty("error").GetString());
    }
}
