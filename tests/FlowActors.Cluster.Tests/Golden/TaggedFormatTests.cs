using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Serialization;
using FlowActors.Protocols;
using Google.Protobuf;
using P = FlowActors.Cluster.Serialization.Proto;

namespace FlowActors.Cluster.Tests.Golden;

/// <summary>How the tagged format evolves: unknown fields skipped, missing ones default, the trace context carried.</summary>
public sealed class TaggedFormatTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("tagged-format-tests", ConfigurationFactory.ParseString(TestConfig.Serialization));
    private readonly FlowActorsSerializer _serializer;

    public TaggedFormatTests() => _serializer = (FlowActorsSerializer)_system.Serialization.FindSerializerForType(typeof(ObserveBatch));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private T RoundTrip<T>(T message) where T : notnull => (T)_serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));

    /// <summary>Fields a newer writer might add: a varint (field 90) and a string (field 91).</summary>
    private static byte[] WithUnknownFields(ReadOnlySpan<byte> message)
    {
        using var extra = new MemoryStream();
        var o = new CodedOutputStream(extra);
        o.WriteTag(90, WireFormat.WireType.Varint);
        o.WriteInt64(1234567);
        o.WriteTag(91, WireFormat.WireType.LengthDelimited);
        o.WriteString("from a newer FlowActors");
        o.Flush();
        return [.. message, .. extra.ToArray()];
    }

    [Fact]
    public void Trace_parent_round_trips_on_forwarded_journalled_and_outbox_alerts_and_absent_stays_null()
    {
        var alert = GoldenValues.Alert();
        Assert.Equal(GoldenValues.TraceParent, RoundTrip(new ForwardAlert(alert, GoldenValues.TraceParent)).TraceParent);
        Assert.Equal(GoldenValues.TraceParent, RoundTrip(new AlertJournaled(alert, GoldenValues.TraceParent)).TraceParent);
        Assert.Null(RoundTrip(new ForwardAlert(alert)).TraceParent);
        Assert.Null(RoundTrip(new AlertJournaled(alert)).TraceParent);
        Assert.Equal("", RoundTrip(new ForwardAlert(alert, "")).TraceParent);
        var snap = RoundTrip(new ForwarderSnapshot([new OutboxEntry(1, alert, GoldenValues.TraceParent), new OutboxEntry(2, alert)], [], []));
        Assert.Equal([GoldenValues.TraceParent, null], snap.Outbox.Select(e => e.TraceParent));
    }

    [Fact]
    public void Fields_a_newer_writer_added_are_skipped_at_the_top_and_inside_the_alert()
    {
        foreach (var (name, value) in GoldenValues.Messages())
        {
            string manifest = _serializer.Manifest(value);
            if (!manifest.StartsWith('p')) continue;
            var newer = _serializer.FromBinary(WithUnknownFields(_serializer.ToBinary(value)), manifest);
            Assert.Equal(_serializer.ToBinary(value), _serializer.ToBinary(newer));
        }

        // Inside the nested alert: a newer Alert with a field this version does not know.
        var alert = P.Alert.Parser.ParseFrom(WithUnknownFields(P.ForwardAlert.Parser.ParseFrom(_serializer.ToBinary(new ForwardAlert(GoldenValues.Alert()))).Alert.ToByteArray()));
        var bytes = new P.ForwardAlert { Alert = alert }.ToByteArray();
        Assert.True(GoldenValues.Alert().ContentEquals(((ForwardAlert)_serializer.FromBinary(bytes, "pfa")).Alert));

        var state = FlowActorsSerializer.EncodeHostState(GoldenValues.HostSnapshot());
        var decoded = FlowActorsSerializer.DecodeHostState(WithUnknownFields(state));
        Assert.Equal(state, FlowActorsSerializer.EncodeHostState(decoded));
    }

    [Fact]
    public void Bytes_of_an_older_writer_without_the_trace_field_read_with_no_trace_parent()
    {
        // What a writer before trace_parent existed would have written: the alert only.
        var older = new P.AlertJournaled { Alert = P.ForwardAlert.Parser.ParseFrom(_serializer.ToBinary(new ForwardAlert(GoldenValues.Alert()))).Alert }.ToByteArray();
        var read = (AlertJournaled)_serializer.FromBinary(older, "paj");
        Assert.Null(read.TraceParent);
        Assert.True(GoldenValues.Alert().ContentEquals(read.Alert));
    }

    [Fact]
    public void An_alert_without_its_id_host_detector_or_count_is_refused()
    {
        var full = P.ForwardAlert.Parser.ParseFrom(_serializer.ToBinary(new ForwardAlert(GoldenValues.Alert())));
        foreach (Action<P.Alert> strip in new Action<P.Alert>[] { a => a.Id = "", a => a.Host = "", a => a.Detector = "", a => a.Count = 0 })
        {
            var broken = full.Clone();
            strip(broken.Alert);
            Assert.Throws<SerializationException>(() => _serializer.FromBinary(broken.ToByteArray(), "pfa"));
        }
        Assert.Throws<SerializationException>(() => _serializer.FromBinary([], "pfa"));
        Assert.Throws<SerializationException>(() => _serializer.FromBinary([0x0A, 0x7F, 0x01], "paj"));
    }

    [Fact]
    public void Host_state_written_field_by_field_from_a_snapshot_span_is_the_generated_message_byte_for_byte()
    {
        // The row encoder writes the HostState framing by hand around the caller's snapshot buffer; the generated code
        // is the reference for every field's presence, order and varint width (golden files pin one case only).
        var alerts = new[] { GoldenValues.Alert(), GoldenValues.HostSnapshot().Unacknowledged[1] };
        var big = new byte[20_000]; // a 3-byte length varint
        new Random(7).NextBytes(big);
        var cases = new (FlowAddress Host, long Flows, byte[] Behavior, Alert[] Alerts)[]
        {
            (FlowAddress.Parse("10.0.0.5"), 1_234_567, [0x46, 0x48, 0x02], alerts),
            (FlowAddress.Parse("2001:db8::7"), 1, big, []),
            (FlowAddress.None, 0, [], []),
            (FlowAddress.Parse("10.1.2.3"), -5, big[..127], alerts[..1]),
            (FlowAddress.Parse("10.1.2.3"), long.MaxValue, big[..128], []),
        };
        foreach (var (host, flows, behavior, unacked) in cases)
        {
            var reference = new P.HostState { FlowsObserved = flows, Behavior = ByteString.CopyFrom(behavior) };
            if (!host.IsNone) reference.Host = ByteString.CopyFrom(host.ToIPAddress().GetAddressBytes());
            foreach (var a in unacked)
                reference.Unacknowledged.Add(P.ForwardAlert.Parser.ParseFrom(_serializer.ToBinary(new ForwardAlert(a))).Alert);
            byte[] expected = [2, .. reference.ToByteArray()];

            var scratch = new byte[behavior.Length + 64];
            behavior.CopyTo(scratch, 32);
            var written = FlowActorsSerializer.EncodeHostState(host, flows, scratch.AsSpan(32, behavior.Length), unacked);

            Assert.Equal(expected, written);
            Assert.Equal(expected, FlowActorsSerializer.EncodeHostState(new HostSnapshot(host, flows, behavior, unacked)));
            var decoded = FlowActorsSerializer.DecodeHostState(written);
            Assert.Equal(host, decoded.Host);
            Assert.Equal(flows, decoded.FlowsObserved);
            Assert.Equal(behavior, decoded.Behavior);
            Assert.Equal(unacked.Length, decoded.Unacknowledged.Length);
        }
    }

    [Fact]
    public void Host_state_blob_is_tagged_after_format_byte_2_and_other_first_bytes_are_refused()
    {
        var state = FlowActorsSerializer.EncodeHostState(GoldenValues.HostSnapshot());
        Assert.Equal(2, state[0]);
        Assert.Throws<SerializationException>(() => FlowActorsSerializer.DecodeHostState([]));
        Assert.Throws<SerializationException>(() => FlowActorsSerializer.DecodeHostState([9, 1, 2, 3]));
        Assert.Throws<SerializationException>(() => FlowActorsSerializer.DecodeHostState(state[..^3]));
    }

    [Fact]
    public void The_tagged_alert_messages_are_smaller_than_the_positional_ones_they_replace()
    {
        // The same values, measured on the committed golden files (positional written by main @ 1a47256).
        foreach (var (name, positional) in new[] { ("forward-alert", "fa"), ("forwarder-snapshot", "fx"), ("pulled-alerts", "pl"), ("host-snapshot", "hs") })
        {
            var value = GoldenValues.Messages().Single(m => m.Name == name).Value;
            long before = new FileInfo(Path.Combine(AppContext.BaseDirectory, "Golden", $"{name}.{positional}.bin")).Length;
            Assert.True(_serializer.ToBinary(value).Length < before, $"{name}: tagged {_serializer.ToBinary(value).Length} bytes, positional {before}");
        }
    }
}
