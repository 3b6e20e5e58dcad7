using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Serialization;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

public sealed class SerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-tests", ConfigurationFactory.ParseString(TestConfig.Serialization));
    private readonly FlowActorsSerializer _serializer;

    public SerializerTests() => _serializer = (FlowActorsSerializer)_system.Serialization.FindSerializerForType(typeof(ObserveBatch));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private T RoundTrip<T>(T message) where T : notnull
    {
        var bytes = _serializer.ToBinary(message);
        return (T)_serializer.FromBinary(bytes, _serializer.Manifest(message));
    }

    [Fact]
    public void Alert_trace_parent_round_trips_and_bytes_written_without_one_still_read()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var alert = TestData.Alert("traced");
        Assert.Equal(traceParent, RoundTrip(new ForwardAlert(alert, traceParent)).TraceParent);
        Assert.Equal(traceParent, RoundTrip(new AlertJournaled(alert, traceParent)).TraceParent);

        // Untraced messages are byte for byte what the serializer wrote before the field existed (journals stay readable both ways).
        var untraced = _serializer.ToBinary(new AlertJournaled(alert));
        var traced = _serializer.ToBinary(new AlertJournaled(alert, traceParent));
        Assert.Equal(untraced, traced[..untraced.Length]);
        var read = (AlertJournaled)_serializer.FromBinary(untraced, _serializer.Manifest(new AlertJournaled(alert)));
        Assert.Null(read.TraceParent);
        Assert.True(alert.ContentEquals(read.Alert));
    }

    [Fact]
    public void Serializer_is_bound_to_every_flowactors_message_with_an_identifier_above_100()
    {
        Assert.Equal(4711, _serializer.Identifier);
        Assert.IsType<FlowActorsSerializer>(_system.Serialization.FindSerializerFor(new AlertAccepted("x")));
        Assert.IsType<FlowActorsSerializer>(_system.Serialization.FindSerializerFor(StopHost.Instance));
    }

    [Fact]
    public void ObserveBatch_round_trips_ipv4_and_ipv6_observations_field_by_field()
    {
        var host = FlowAddress.Parse("10.1.2.3");
        var obs = new[]
        {
            new FlowObservation(host, FlowAddress.Parse("198.51.100.7"), 51234, 443, 6, 0x1B, true, false, 12, 9000, 1_764_331_200_000, 1_764_331_201_500),
            new FlowObservation(host, FlowAddress.Parse("10.1.2.4"), 53, 40000, 17, 0, false, true, 1, 80, 1_764_331_200_100, 1_764_331_200_100),
            new FlowObservation(host, FlowAddress.Parse("2001:db8::42"), 22, 60000, 6, 0x02, false, false, 5_000_000_000, ulong.MaxValue, 5, 10),
        };
        var back = RoundTrip(new ObserveBatch(host, obs));
        Assert.Equal(host, back.Host);
        Assert.Equal(3, back.Observations.Length);
        for (int i = 0; i < obs.Length; i++)
        {
            var a = obs[i];
            var b = back.Observations[i];
            Assert.Equal(a.Host, b.Host);
            Assert.Equal(a.Peer, b.Peer);
            Assert.Equal(a.LocalPort, b.LocalPort);
            Assert.Equal(a.PeerPort, b.PeerPort);
            Assert.Equal(a.Protocol, b.Protocol);
            Assert.Equal(a.TcpFlags, b.TcpFlags);
            Assert.Equal(a.Outbound, b.Outbound);
            Assert.Equal(a.PeerIsInternal, b.PeerIsInternal);
            Assert.Equal(a.Packets, b.Packets);
            Assert.Equal(a.Bytes, b.Bytes);
            Assert.Equal(a.StartMs, b.StartMs);
            Assert.Equal(a.EndMs, b.EndMs);
        }
    }

    [Fact]
    public void ObserveBatch_of_256_ipv4_observations_packs_into_under_60_bytes_each()
    {
        var batch = new ObserveBatch(FlowAddress.Parse("10.0.0.1"), TestData.Sessions("10.0.0.1", 256, TestData.T0));
        // 5 (address) + 8+8+8+8 + 2+2+2+1+1 = 45 bytes per IPv4 observation, plus a 9-byte header.
        Assert.Equal(5 + 4 + 256 * 45, _serializer.ToBinary(batch).Length);
    }

    [Fact]
    public void ShardObservations_round_trip_many_hosts_in_order_and_only_the_valid_prefix()
    {
        var items = new FlowObservation[8];
        items[0] = new FlowObservation(FlowAddress.Parse("10.1.2.3"), FlowAddress.Parse("198.51.100.7"), 51234, 443, 6, 0x1B, true, false, 12, 9000, 1_764_331_200_000, 1_764_331_201_500);
        items[1] = new FlowObservation(FlowAddress.Parse("fd00::9"), FlowAddress.Parse("10.1.2.4"), 53, 40000, 17, 0, false, true, 1, 80, 1_764_331_200_100, 1_764_331_200_100);
        items[2] = new FlowObservation(FlowAddress.Parse("10.1.2.3"), FlowAddress.Parse("2001:db8::42"), 22, 60000, 6, 0x02, false, false, 5_000_000_000, ulong.MaxValue, 5, 10);
        var budget = new InFlightBudget(100);
        budget.Take(3);
        var sent = new ShardObservations(17, items, 3, budget);
        var back = RoundTrip(sent);
        Assert.Equal(0, budget.InFlight); // leaving the process releases the sender's budget
        Assert.Null(back.InFlight);
        Assert.Equal(17, back.Shard);
        Assert.Equal(3, back.Count);
        for (int i = 0; i < 3; i++)
        {
            var a = items[i];
            var b = back.Observations[i];
            Assert.Equal((a.Host, a.Peer, a.LocalPort, a.PeerPort, a.Protocol, a.TcpFlags, a.Outbound, a.PeerIsInternal, a.Packets, a.Bytes, a.StartMs, a.EndMs),
                (b.Host, b.Peer, b.LocalPort, b.PeerPort, b.Protocol, b.TcpFlags, b.Outbound, b.PeerIsInternal, b.Packets, b.Bytes, b.StartMs, b.EndMs));
        }
    }

    [Fact]
    public void ShardObservations_carry_the_peers_autonomous_system_when_the_exporter_sent_one()
    {
        var items = new FlowObservation[2];
        items[0] = new FlowObservation(FlowAddress.Parse("10.1.2.3"), FlowAddress.Parse("198.51.100.7"), 51234, 443, 6, 0x1B, true, false, 12, 9000, 1_764_331_200_000, 1_764_331_201_500, 8075);
        items[1] = new FlowObservation(FlowAddress.Parse("10.1.2.3"), FlowAddress.Parse("198.51.100.8"), 51235, 443, 6, 0x1B, true, false, 12, 9000, 1_764_331_200_000, 1_764_331_201_500);
        var back = RoundTrip(new ShardObservations(5, items, 2));
        Assert.Equal(8075u, back.Observations[0].PeerAs);
        Assert.Equal(0u, back.Observations[1].PeerAs);
        Assert.Equal(FlowAddress.Parse("198.51.100.8"), back.Observations[1].Peer);
    }

    [Fact]
    public void ShardObservations_of_512_ipv4_observations_pack_into_50_bytes_each()
    {
        var items = TestData.Sessions("10.0.0.1", 512, TestData.T0);
        // Host (5) + peer (5) + 8+8+8+8 + 2+2+2+1+1 = 50 bytes per IPv4 observation, plus shard and count.
        Assert.Equal(4 + 4 + 512 * 50, _serializer.ToBinary(new ShardObservations(3, items, 512)).Length);
    }

    [Fact]
    public void Truncated_or_impossible_shard_batches_are_refused()
    {
        var bytes = _serializer.ToBinary(new ShardObservations(3, TestData.Sessions("10.0.0.1", 4, TestData.T0), 4));
        Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes[..^1], "so"));
        var negative = (byte[])bytes.Clone();
        negative[3] = 0x80; // shard < 0
        Assert.Throws<SerializationException>(() => _serializer.FromBinary(negative, "so"));
        var huge = (byte[])bytes.Clone();
        huge[7] = 0x7F; // count far beyond the bytes
        Assert.Throws<SerializationException>(() => _serializer.FromBinary(huge, "so"));
    }

    [Fact]
    public void Shard_host_queries_round_trip_and_old_host_reports_are_still_read()
    {
        Assert.Equal(new GetShardHosts(5, 20), RoundTrip(new GetShardHosts(5, 20)));
        var report = new HostStateReport(FlowAddress.Parse("10.0.0.1"), "akka.tcp://a@127.0.0.1:1", 10, 2, 1234, 3, 1, 1, 0, true, 48, 7);
        var hosts = RoundTrip(new ShardHosts(5, 900, [report]));
        Assert.Equal((5, 900), (hosts.Shard, hosts.ActiveHosts));
        Assert.Equal(report, Assert.Single(hosts.Hosts));
        // "hr" (before LateObservations) is the same layout without the last field.
        var v2 = _serializer.ToBinary(report);
        Assert.Equal(report with { LateObservations = 0 }, _serializer.FromBinary(v2[..^8], "hr"));
    }

    [Fact]
    public void Alert_carrying_messages_round_trip_every_field()
    {
        var alert = TestData.Alert("port-scan:10.0.0.5:1");
        Assert.True(alert.ContentEquals(RoundTrip(new ForwardAlert(alert)).Alert));
        Assert.True(alert.ContentEquals(RoundTrip(new AlertJournaled(alert)).Alert));
        var snap = RoundTrip(new HostSnapshot(FlowAddress.Parse("10.0.0.5"), 1234, [1, 2, 3], [alert]));
        Assert.Equal(1234, snap.FlowsObserved);
        Assert.Equal(FlowAddress.Parse("10.0.0.5"), snap.Host);
        Assert.Equal(new byte[] { 1, 2, 3 }, snap.Behavior);
        Assert.True(alert.ContentEquals(Assert.Single(snap.Unacknowledged)));
        var fwd = RoundTrip(new ForwarderSnapshot([new OutboxEntry(7, alert)], [new SinkProgress("jsonl", 6)], ["a", "b"]));
        Assert.Equal(7, Assert.Single(fwd.Outbox).SequenceNr);
        Assert.True(alert.ContentEquals(fwd.Outbox[0].Alert));
        Assert.Equal(new SinkProgress("jsonl", 6), Assert.Single(fwd.Progress));
        Assert.Equal(["a", "b"], fwd.RecentIds);
    }

    [Fact]
    public void Queries_replies_and_singletons_round_trip()
    {
        Assert.Same(StopHost.Instance, RoundTrip(StopHost.Instance));
        Assert.Same(GetForwarderStatus.Instance, RoundTrip(GetForwarderStatus.Instance));
        Assert.Same(GetReceiverStats.Instance, RoundTrip(GetReceiverStats.Instance));
        Assert.Equal(new AlertAccepted("id-1", 3), RoundTrip(new AlertAccepted("id-1", 3)));
        Assert.Equal(new GetHostState(FlowAddress.Parse("fd00::7")), RoundTrip(new GetHostState(FlowAddress.Parse("fd00::7"))));
        Assert.Equal(new SinkProgress("console", 99), RoundTrip(new SinkProgress("console", 99)));
        var report = new HostStateReport(FlowAddress.Parse("10.0.0.1"), "akka.tcp://a@127.0.0.1:1", 10, 2, 1234, 3, 1, 1, 0, true, 48);
        Assert.Equal(report, RoundTrip(report));

        var status = RoundTrip(new ForwarderStatus("akka.tcp://a@h:1", 12, 3, 9, 1, 0, true,
            [new SinkStatus("jsonl", 9, 3, 9, 0, null), new SinkStatus("console", 5, 7, 5, 2, "disk full")]));
        Assert.Equal("akka.tcp://a@h:1", status.NodeAddress);
        Assert.Equal(12, status.LastSequenceNr);
        Assert.Equal(3, status.Outbox);
        Assert.True(status.Recovered);
        Assert.Equal(new SinkStatus("console", 5, 7, 5, 2, "disk full"), status.Sinks[1]);
        Assert.Null(status.Sinks[0].LastError);

        var stats = RoundTrip(new ReceiverStats(
            [new PortStats(2055, 2, 33554432, 10, 14000, 250, 300, 1, 2, 0, 3, 4, DroppedKernel: 96, RepairedTimes: 2, TemplatesRefused: 7)],
            [new ExporterReport("192.0.2.1", 10, 250, 1, 2, 0, 1_764_331_200_000)],
            [new TemplateReport("192.0.2.1", 9, 0, 256, false, true)],
            [new RefusedExporterReport("198.51.100.7", 3, 1_764_331_200_000)]));
        Assert.Equal(new PortStats(2055, 2, 33554432, 10, 14000, 250, 300, 1, 2, 0, 3, 4, 96, 2, 7), Assert.Single(stats.Ports));
        Assert.Equal(new RefusedExporterReport("198.51.100.7", 3, 1_764_331_200_000), Assert.Single(stats.RefusedExporters));
        Assert.Equal(new ExporterReport("192.0.2.1", 10, 250, 1, 2, 0, 1_764_331_200_000), Assert.Single(stats.Exporters));
        Assert.Equal(new TemplateReport("192.0.2.1", 9, 0, 256, false, true), Assert.Single(stats.Templates));

        var blob = RoundTrip(new TemplateBlob(FlowAddress.Parse("192.0.2.1"), 10, 7, 300, true, 3, 1, [0, 8, 0, 4], 1_764_331_200_123));
        Assert.Equal(1_764_331_200_123, blob.RefreshedUnixMs);
        Assert.Equal((FlowAddress.Parse("192.0.2.1"), (ushort)10, 7u, (ushort)300, true, 3, 1), (blob.Exporter, blob.Version, blob.Domain, blob.TemplateId, blob.IsOptions, blob.FieldCount, blob.ScopeFieldCount));
        Assert.Equal(new byte[] { 0, 8, 0, 4 }, blob.Definition);
        Assert.Equal("192.0.2.1/10/7/300", blob.Key);
    }

    [Fact]
    public void Unknown_manifest_throws_SerializationException()
    {
        var e = Assert.Throws<SerializationException>(() => _serializer.FromBinary([], "zz"));
        Assert.Contains("'zz'", e.Message);
    }

    [Fact]
    public void Foreign_type_is_refused_with_SerializationException()
    {
        Assert.Throws<SerializationException>(() => _serializer.Manifest("not ours"));
        Assert.Throws<SerializationException>(() => _serializer.ToBinary("not ours"));
    }

    [Fact]
    public void Truncated_or_corrupt_payload_throws_SerializationException_not_an_index_error()
    {
        var bytes = _serializer.ToBinary(new ForwardAlert(TestData.Alert("x")));
        for (int cut = 0; cut < bytes.Length; cut += 7)
        {
            Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes.AsSpan(0, cut).ToArray(), "fa"));
        }
        // A batch claiming two billion observations in 9 bytes.
        byte[] lying = [4, 10, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0x7F];
        Assert.Throws<SerializationException>(() => _serializer.FromBinary(lying, "ob"));
    }
}
