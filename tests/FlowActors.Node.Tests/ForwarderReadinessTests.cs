using FlowActors.Cluster.Messages;
using FlowActors.Node.Hosting;

namespace FlowActors.Node.Tests;

/// <summary>The forwarder readiness check: a degraded sink is reported, and does not take the node out of service.</summary>
public sealed class ForwarderReadinessTests
{
    private static ForwarderStatus Status(params SinkStatus[] sinks) =>
        new("akka.tcp://flowactors@10.0.0.1:4053", 42, 7, 42, 0, 0, false, sinks);

    [Fact]
    public void Forwarder_with_healthy_sinks_is_ready()
    {
        var check = ForwarderReadiness.Evaluate(Status(new SinkStatus("jsonl", 42, 0, 42, 0, null), new SinkStatus("console", 42, 0, 42, 0, null)));
        Assert.True(check.Ok);
        Assert.Equal(ForwarderReadiness.Name, check.Name);
        Assert.Contains("2 sink(s) healthy", check.Detail);
        Assert.DoesNotContain("degraded", check.Detail);
    }

    [Fact]
    public void Degraded_sink_is_named_in_the_detail_but_the_node_stays_ready()
    {
        var check = ForwarderReadiness.Evaluate(Status(
            new SinkStatus("jsonl", 42, 0, 42, 0, null),
            new SinkStatus("siem", 35, 7, 35, 12, "Connection refused") { Health = "degraded" }));
        Assert.True(check.Ok);
        Assert.Contains("degraded: siem (7 pending, 12 failed attempts, last error: Connection refused)", check.Detail);
        Assert.Contains("1 of 2 sink(s) healthy", check.Detail);
    }

    [Fact]
    public void Forwarder_that_does_not_answer_is_not_ready()
    {
        var check = ForwarderReadiness.NotAnswering("forwarder singleton did not answer within 3 s");
        Assert.False(check.Ok);
        Assert.Equal(ForwarderReadiness.Name, check.Name);
    }
}
