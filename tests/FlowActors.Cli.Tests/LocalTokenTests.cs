using FlowActors.Cli.Operator;

namespace FlowActors.Cli.Tests;

/// <summary>flowctl finds the operator token of a node on the same machine (issue 10, finding 9), and only for such a node.</summary>
public sealed class LocalTokenTests
{
    [Fact]
    public void The_token_generated_into_the_node_data_directory_is_found_for_a_loopback_endpoint_only()
    {
        using var dir = new TempDirectory("flowctl-token");
        File.WriteAllText(dir.File(LocalToken.FileName), "abc123def456\n");
        string? Env(string name) => name == "FLOWACTORS__DATADIRECTORY" ? dir.Path : null;

        Assert.Equal("abc123def456", LocalToken.Find("127.0.0.1:9110", Env));
        Assert.Equal("abc123def456", LocalToken.Find("localhost:9110", Env));
        Assert.Equal("abc123def456", LocalToken.Find("http://[::1]:9110", Env));
        Assert.Null(LocalToken.Find("10.0.0.5:9110", Env));
        Assert.Null(LocalToken.Find("flowactors-0.flowactors:9110", Env));
    }

    [Fact]
    public void In_the_node_container_the_configured_token_comes_first()
    {
        string? Env(string name) => name == "FLOWACTORS__OPERATOR__TOKEN" ? "from-the-secret" : null;

        Assert.Equal("from-the-secret", LocalToken.Find("127.0.0.1:9110", Env));
    }
}
