using FlowActors.Cluster.Messages;
using FlowActors.Node.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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
        Assert.Equal(HealthStatus.Healthy, check.Status);
        Assert.Contains("2 sink(s) healthy", check.Description);
        Assert.DoesNotContain("degraded", check.Description);
    }

    [Fact]
    public void Degraded_sink_is_named_in_the_detail_but_the_node_stays_ready()
    {
        var check = ForwarderReadiness.Evaluate(Status(
            new SinkStatus("jsonl", 42, 0, 42, 0, null),
            new SinkStatus("siem", 35, 7, 35, 12, "Connection refused") { Health = "degraded" }));
        // Degraded, not unhealthy: the probe answers 200 and the watchdog does not count it as not ready.
        Assert.Equal(HealthStatus.Degraded, check.Status);
        Assert.Contains("degraded: siem (7 pending, 12 failed attempts, last error: Connection refused)", check.Description);
        Assert.Contains("1 of 2 sink(s) healthy", check.Description);
    }

    [Fact]
    public void Forwarder_that_does_not_answer_is_not_ready()
    {
        var check = ForwarderReadiness.NotAnswering("forwarder singleton did not answer within 3 s");
        Assert.Equal(HealthStatus.Unhealthy, check.Status);
        Assert.Equal("forwarder singleton did not answer within 3 s", check.Description);
    }
}
