using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using FlowActors.Cluster;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Receiving;
using FlowActors.Node.Tests.Harness;
using Microsoft.Extensions.DependencyInjection;

namespace FlowActors.Node.Tests;

/// <summary>
/// Issue 11, Health: a receive loop that dies does not leave its port deaf while the node reports ready. The port is
/// rebound after a backoff, the restart is counted, readiness is false while it is down, and flows arrive again.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class ReceiverRestartTests
{
    [Fact]
    public async Task A_dead_receive_loop_takes_its_port_out_of_readiness_until_it_is_rebound_and_counted_and_flows_arrive_again()
    {
        await using var node = await InProcessNode.StartAsync(("FlowActors:Health:ExitAfterNotReadySeconds", "0"));
        await node.WaitReadyAsync();
        int port = node.Settings.Receivers.NetFlowPort;
        using var restarts = new RestartCounter(port);
        var system = node.Services.GetRequiredService<ActorSystem>();
        var receivers = ActorRegistry.For(system).Get<ReceiverMarker>();
        var receiver = system.ActorSelection(receivers.Path / $"udp-*-{port}");
        using var exporter = new ScanExporter(61);
        await AssertReceivesAsync(receivers, exporter, port, wave: 0);

        // The loop's socket closes under it, as on a socket error: the port is rebound by itself after the backoff.
        receiver.Tell(new FlowReceiverActor.FailReceiveLoop(HoldDown: false));
        await Poll.UntilAsync(() => restarts.Value >= 1, TimeSpan.FromSeconds(30), "the port's restart to be counted");
        await node.WaitReadyAsync();
        await AssertReceivesAsync(receivers, exporter, port, wave: 1);

        // Held down (the backoff replaced by the test's own Rebind), so that not-ready is seen without a race.
        receiver.Tell(new FlowReceiverActor.FailReceiveLoop(HoldDown: true));
        await Poll.UntilAsync(async () =>
        {
            using var response = await node.Client.GetAsync("healthz/ready");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var check = doc.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "flow-receivers");
            string detail = check.GetProperty("detail").GetString()!;
            // Before the receiver has taken the port down, the dead loop alone already shows ("1 of 2 receive loops").
            return response.StatusCode == HttpStatusCode.ServiceUnavailable && !check.GetProperty("ok").GetBoolean()
                && detail.StartsWith($"UDP {port} not bound", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "readiness to fail while the port is down");
        Assert.Equal(1, restarts.Value);

        receiver.Tell(FlowReceiverActor.Rebind.Instance);
        await node.WaitReadyAsync();
        Assert.Equal(2, restarts.Value);
        await AssertReceivesAsync(receivers, exporter, port, wave: 2);
    }

    [Fact]
    public void The_restart_backoff_doubles_from_half_a_second_up_to_thirty_seconds_with_jitter()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), FlowReceiverActor.RestartDelay(1, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), FlowReceiverActor.RestartDelay(2, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(4000), FlowReceiverActor.RestartDelay(4, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(30), FlowReceiverActor.RestartDelay(7, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(30), FlowReceiverActor.RestartDelay(1000, 0.5));
        // ±20 %: jitter 0 is the shortest wait, jitter near 1 the longest.
        Assert.InRange(FlowReceiverActor.RestartDelay(1, 0).TotalMilliseconds, 399.9, 400.1);
        Assert.InRange(FlowReceiverActor.RestartDelay(1, 0.9999).TotalMilliseconds, 599.9, 600);
    }

    /// <summary>Sends one scan and waits until the port's record count has moved past what it was.</summary>
    private static async Task AssertReceivesAsync(IActorRef receivers, ScanExporter exporter, int port, int wave)
    {
        long before = (await PortAsync(receivers, port)).Records;
        await exporter.SendScansAsync(wave, [0], port);
        await Poll.UntilAsync(async () => (await PortAsync(receivers, port)).Records >= before + ScanExporter.PortsPerScan,
            TimeSpan.FromSeconds(30), $"UDP {port} to receive wave {wave}'s flows");
    }

    private static async Task<PortStats> PortAsync(IActorRef receivers, int port)
    {
        var stats = await receivers.Ask<ReceiverStats>(GetReceiverStats.Instance, TimeSpan.FromSeconds(10));
        return stats.Ports.Single(p => p.Port == port);
    }

    /// <summary>Sums <c>flowactors.receiver.restarts</c> for one port.</summary>
    private sealed class RestartCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _value;

        public RestartCounter(int port)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ClusterMetrics.MeterName && instrument.Name == "flowactors.receiver.restarts") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "port" && tag.Value is int p && p == port) Interlocked.Add(ref _value, value);
                }
            });
            _listener.Start();
        }

        public long Value => Interlocked.Read(ref _value);

        public void Dispose() => _listener.Dispose();
    }
}
