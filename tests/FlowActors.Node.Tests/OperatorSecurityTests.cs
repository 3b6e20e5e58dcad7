using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FlowActors.Node.Configuration;
using FlowActors.Node.Operator;
using FlowActors.Node.Tests.Harness;
using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Tests;

/// <summary>
/// Issue 10, finding 9: a web page in the operator's browser must not be able to take the node out of the cluster.
/// Mutating routes always need a token (generated into the data directory when none is configured) and refuse a
/// foreign Origin or Host and any content type but JSON.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class OperatorSecurityTests
{
    private static async Task<HttpStatusCode> ClusterStatusOf(InProcessNode node)
    {
        using var status = await node.Client.GetAsync("api/cluster/status");
        return status.StatusCode;
    }

    [Fact]
    public async Task The_cross_site_form_post_to_leave_is_refused_and_the_node_stays_a_member()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        // The finding's request: curl -X POST -H 'Origin: http://attacker.example' -H 'Content-Type: application/x-www-form-urlencoded' .../api/cluster/leave
        using var forged = new HttpRequestMessage(HttpMethod.Post, "api/cluster/leave") { Content = new StringContent("x=1", Encoding.ASCII, "application/x-www-form-urlencoded") };
        forged.Headers.Add("Origin", "http://attacker.example");
        using var response = await node.Client.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("cross-site request from Origin 'http://attacker.example' refused", body.RootElement.GetProperty("error").GetString());
        // Still Up and ready a while later (leaving takes the node out within a few seconds).
        await Task.Delay(TimeSpan.FromSeconds(4));
        using var ready = await node.Client.GetAsync("healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Without_a_configured_token_mutating_routes_need_the_generated_one_and_reads_stay_open()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();
        string file = OperatorToken.PathFor(node.DataDirectory);

        using (var untokened = await node.Client.PostAsync("api/cluster/down-unreachable", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, untokened.StatusCode);
            Assert.Contains("operator-token", await untokened.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.OK, await ClusterStatusOf(node));
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        string token = File.ReadAllText(file).Trim();
        Assert.Matches("^[0-9a-f]{64}$", token);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/cluster/down-unreachable");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var accepted = await node.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Even_with_the_token_a_non_json_body_a_foreign_origin_or_a_foreign_host_is_refused()
    {
        await using var node = await InProcessNode.StartAsync();
        await node.WaitReadyAsync();

        using (var form = await node.OperatorClient.PostAsync("api/cluster/down-unreachable", new StringContent("a=b", Encoding.ASCII, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        }

        using (var json = await node.OperatorClient.PostAsync("api/cluster/down-unreachable", new StringContent("{}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        }

        using (var origin = new HttpRequestMessage(HttpMethod.Post, "api/cluster/down-unreachable"))
        {
            origin.Headers.Add("Origin", "https://evil.example:9110");
            using var response = await node.OperatorClient.SendAsync(origin);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "api/cluster/down-unreachable"))
        {
            sameOrigin.Headers.Add("Origin", $"http://127.0.0.1:{node.Settings.Operator.Port}");
            using var response = await node.OperatorClient.SendAsync(sameOrigin);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // DNS rebinding: a page whose name now resolves to 127.0.0.1 still sends its own name as Host.
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "api/cluster/status"))
        {
            rebound.Headers.Host = "attacker.example";
            using var response = await node.OperatorClient.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var probe = new HttpRequestMessage(HttpMethod.Get, "healthz/ready"))
        {
            probe.Headers.Host = "flowactors-0.flowactors";
            using var response = await node.Client.SendAsync(probe);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // probes and /metrics stay open
        }
    }

    [Fact]
    public async Task The_generated_token_survives_a_restart_with_the_same_data_directory()
    {
        using var data = new TempDirectory();
        var settings = NodeSettingsOptions.Read(new ConfigurationBuilder()
            .AddInMemoryCollection([new("FlowActors:DataDirectory", data.Path)]).Build());

        var first = OperatorToken.Resolve(settings);
        var second = OperatorToken.Resolve(settings);

        Assert.Equal(OperatorTokenOrigin.Generated, first.Operator.TokenOrigin);
        Assert.Equal(first.Operator.Token, second.Operator.Token);
        Assert.Equal(64, first.Operator.Token.Length);
        await Task.CompletedTask;
    }
}
