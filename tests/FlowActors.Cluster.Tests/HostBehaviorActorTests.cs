using Akka.Actor;
using FlowActors.Cluster.Actors;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;
using Xunit.Abstractions;

namespace FlowActors.Cluster.Tests;

public sealed class HostBehaviorActorTests(ITestOutputHelper output) : PersistentTestKit(output)
{
    private static readonly FlowAddress Host = FlowAddress.Parse("10.0.0.5");

    private static FlowActorsClusterOptions Options() => new()
    {
        AlertRetryInterval = TimeSpan.FromMilliseconds(300),
        SnapshotInterval = TimeSpan.FromMinutes(5),
        IdleAdvanceInterval = TimeSpan.FromMinutes(5),
    };

    private static HostStateReport StateOf(IActorRef host) =>
        host.Ask<HostStateReport>(new GetHostState(Host), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

    private IActorRef StartHost(IActorRef forwarder, FlowActorsClusterOptions? options = null) =>
        Sys.ActorOf(HostBehaviorActor.GetProps("10.0.0.5", options ?? Options(), () => forwarder));

    [Fact]
    public void Batch_is_applied_and_reported_by_GetHostState()
    {
        var host = StartHost(CreateTestProbe().Ref);
        host.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 40, TestData.T0)));
        var report = StateOf(host);
        Assert.Equal(40, report.FlowsObserved);
        Assert.Equal(1, report.BatchesApplied);
        Assert.Equal(0, report.AlertsRaised);
        Assert.False(report.RestoredFromSnapshot);
        Assert.Equal(TestData.Ms(TestData.T0) + 39 * 10 + 500, report.EventTimeMs);
    }

    [Fact]
    public void Port_scan_alert_is_sent_to_the_forwarder_and_resent_until_acknowledged()
    {
        var forwarder = CreateTestProbe();
        var host = StartHost(forwarder.Ref);
        // 15 distinct ports with unanswered SYNs: the vertical scan threshold (Zeek scan.zeek).
        host.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0)));

        var first = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(3));
        Assert.Equal("port-scan", first.Alert.Detector);
        Assert.Equal("10.0.0.5", first.Alert.Host);
        Assert.Equal("T1046", first.Alert.Technique);

        // Not acknowledged: the host actor sends it again on its retry tick.
        var again = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(3));
        Assert.Equal(first.Alert.Id, again.Alert.Id);

        forwarder.LastSender.Tell(new AlertAccepted(first.Alert.Id, first.Alert.Count), forwarder.Ref);
        forwarder.ReceiveWhile(TimeSpan.FromMilliseconds(400), m => m as ForwardAlert); // a resend that raced the ack
        forwarder.ExpectNoMsg(TimeSpan.FromMilliseconds(1000)); // three retry intervals

        var report = StateOf(host);
        Assert.Equal(0, report.UnacknowledgedAlerts);
        Assert.Equal(1, report.AlertsRaised);
    }

    [Fact]
    public void Passivated_host_restores_its_baseline_and_unacknowledged_alerts_from_the_snapshot()
    {
        var forwarder = CreateTestProbe();
        var host = StartHost(forwarder.Ref);
        host.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 40, TestData.T0)));
        host.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0.AddSeconds(10))));
        var alert = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(3)).Alert;

        Watch(host);
        host.Tell(StopHost.Instance); // what sharding sends on idle passivation and hand-off
        ExpectTerminated(host, TimeSpan.FromSeconds(10));

        var restarted = StartHost(forwarder.Ref);
        var report = StateOf(restarted);
        Assert.True(report.RestoredFromSnapshot);
        Assert.Equal(56, report.FlowsObserved);
        Assert.Equal(1, report.UnacknowledgedAlerts);
        Assert.True(report.SnapshotBytes > 0);
        // The restored incarnation redelivers what was never acknowledged.
        forwarder.FishForMessage(m => m is ForwardAlert f && f.Alert.Id == alert.Id, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Unacknowledged_alerts_are_bounded_and_the_oldest_dropped()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.MaxUnacknowledgedAlertsPerHost = 2;
        var host = StartHost(forwarder.Ref, options);
        // Three scans two hours apart (beyond the 1 h suppression window): three distinct alerts, room for two.
        host.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.9", TestData.T0)));
        host.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.10", TestData.T0.AddHours(2))));
        host.Tell(new ObserveBatch(Host, TestData.ScanThenCloseWindow("10.0.0.5", "10.0.0.11", TestData.T0.AddHours(4))));
        var report = StateOf(host);
        Assert.Equal(3, report.AlertsRaised);
        Assert.Equal(2, report.UnacknowledgedAlerts);
        Assert.Equal(1, report.AlertsDropped);
    }

    [Fact]
    public void Later_snapshot_replaces_the_periodic_one()
    {
        var options = Options();
        options.SnapshotInterval = TimeSpan.FromMilliseconds(200);
        var host = StartHost(CreateTestProbe().Ref, options);
        host.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 10, TestData.T0)));
        AwaitCondition(() => StateOf(host).SnapshotBytes > 0, TimeSpan.FromSeconds(5)); // the periodic snapshot was taken
        host.Tell(new ObserveBatch(Host, TestData.Sessions("10.0.0.5", 5, TestData.T0.AddSeconds(30))));
        Watch(host);
        host.Tell(StopHost.Instance);
        ExpectTerminated(host, TimeSpan.FromSeconds(10));

        // Every snapshot of a host has sequence number 0 (it journals no events); the store must keep the newest.
        var restarted = StartHost(CreateTestProbe().Ref, options);
        Assert.Equal(15, StateOf(restarted).FlowsObserved);
    }

    [Fact]
    public void Traffic_to_a_block_listed_address_raises_a_threat_intel_alert()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.ThreatIntel = new FlowActors.Detection.ThreatIntelSet(["198.51.100.0/24"]);
        var host = StartHost(forwarder.Ref, options);
        var bad = new FlowObservation(Host, FlowAddress.Parse("198.51.100.66"), 50123, 443, 6, 0x1B, true, false, 12, 4000,
            TestData.Ms(TestData.T0), TestData.Ms(TestData.T0) + 900);
        host.Tell(new ObserveBatch(Host, [bad, .. TestData.Sessions("10.0.0.5", 1, TestData.T0.AddMinutes(6))]));
        var alert = forwarder.FishForMessage<ForwardAlert>(m => m.Alert.Detector == "threat-intel", TimeSpan.FromSeconds(5)).Alert;
        Assert.Contains("198.51.100.66", alert.Peers);
    }

    [Fact]
    public void Idle_host_closes_its_last_window_on_the_wall_clock_tick_so_a_replayed_scan_alerts()
    {
        var forwarder = CreateTestProbe();
        var options = Options();
        options.IdleAdvanceInterval = TimeSpan.FromMilliseconds(200);
        var host = StartHost(forwarder.Ref, options);
        // Last month's scan and nothing after it: only the idle tick can close the window.
        host.Tell(new ObserveBatch(Host, TestData.SynProbes("10.0.0.5", "10.0.0.9", 15, TestData.T0.AddDays(-30))));
        var alert = forwarder.ExpectMsg<ForwardAlert>(TimeSpan.FromSeconds(5)).Alert;
        Assert.Equal("port-scan", alert.Detector);
        Assert.Equal(TestData.T0.AddDays(-30), alert.WindowStart); // the scan's own 5-minute window, in event time
    }
}
