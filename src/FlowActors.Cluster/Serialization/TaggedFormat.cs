using System.Buffers.Binary;
using System.Runtime.Serialization;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;
using Google.Protobuf;
using P = FlowActors.Cluster.Serialization.Proto;

namespace FlowActors.Cluster.Serialization;

/// <summary>
/// The tagged (Protocol Buffers, Proto/flowactors.proto) form of journalled, snapshotted and alert-bearing messages.
/// Unknown fields are skipped on read, so bytes of a newer writer load here and these load in a newer reader.
/// </summary>
internal static class TaggedFormat
{
    private const long MaxTicks = 3155378975999999999; // DateTime.MaxValue.Ticks

    public static byte[] ForwardAlert(ForwardAlert m)
    {
        var p = new P.ForwardAlert { Alert = ToProto(m.Alert) };
        if (m.TraceParent is not null) p.TraceParent = m.TraceParent;
        return p.ToByteArray();
    }

    public static ForwardAlert ReadForwardAlert(ReadOnlySpan<byte> bytes)
    {
        var p = Parse(P.ForwardAlert.Parser, bytes);
        return new ForwardAlert(FromProto(p.Alert), p.HasTraceParent ? p.TraceParent : null);
    }

    public static byte[] AlertJournaled(AlertJournaled m)
    {
        var p = new P.AlertJournaled { Alert = ToProto(m.Alert) };
        if (m.TraceParent is not null) p.TraceParent = m.TraceParent;
        return p.ToByteArray();
    }

    public static AlertJournaled ReadAlertJournaled(ReadOnlySpan<byte> bytes)
    {
        var p = Parse(P.AlertJournaled.Parser, bytes);
        return new AlertJournaled(FromProto(p.Alert), p.HasTraceParent ? p.TraceParent : null);
    }

    public static byte[] AlertAccepted(AlertAccepted m) => new P.AlertAccepted { AlertId = m.AlertId, Count = m.Count }.ToByteArray();

    public static AlertAccepted ReadAlertAccepted(ReadOnlySpan<byte> bytes)
    {
        var p = Parse(P.AlertAccepted.Parser, bytes);
        return new AlertAccepted(Required(p.AlertId, "alert_id"), p.Count);
    }

    public static byte[] SinkProgress(SinkProgress m) => ToProto(m).ToByteArray();

    public static SinkProgress ReadSinkProgress(ReadOnlySpan<byte> bytes) => FromProto(Parse(P.SinkProgress.Parser, bytes));

    public static byte[] ForwarderSnapshot(ForwarderSnapshot m)
    {
        var p = new P.ForwarderSnapshot();
        foreach (var e in m.Outbox)
        {
            var entry = new P.OutboxEntry { SequenceNr = e.SequenceNr, Alert = ToProto(e.Alert) };
            if (e.TraceParent is not null) entry.TraceParent = e.TraceParent;
            p.Outbox.Add(entry);
        }
        foreach (var s in m.Progress) p.Progress.Add(ToProto(s));
        p.RecentIds.AddRange(m.RecentIds);
        return p.ToByteArray();
    }

    public static ForwarderSnapshot ReadForwarderSnapshot(ReadOnlySpan<byte> bytes)
    {
        var p = Parse(P.ForwarderSnapshot.Parser, bytes);
        var outbox = new OutboxEntry[p.Outbox.Count];
        for (int i = 0; i < outbox.Length; i++)
        {
            var e = p.Outbox[i];
            outbox[i] = new OutboxEntry(e.SequenceNr, FromProto(e.Alert), e.HasTraceParent ? e.TraceParent : null);
        }
        var progress = new SinkProgress[p.Progress.Count];
        for (int i = 0; i < progress.Length; i++) progress[i] = FromProto(p.Progress[i]);
        return new ForwarderSnapshot(outbox, progress, p.RecentIds.ToArray());
    }

    public static byte[] PulledAlerts(PulledAlerts m)
    {
        var p = new P.PulledAlerts { Next = m.Next, Oldest = m.Oldest, Truncated = m.Truncated, Window = m.Window };
        foreach (var a in m.Alerts) p.Alerts.Add(new P.PulledAlert { Cursor = a.Cursor, Alert = ToProto(a.Alert) });
        return p.ToByteArray();
    }

    public static PulledAlerts ReadPulledAlerts(ReadOnlySpan<byte> bytes)
    {
        var p = Parse(P.PulledAlerts.Parser, bytes);
        var alerts = new PulledAlert[p.Alerts.Count];
        for (int i = 0; i < alerts.Length; i++) alerts[i] = new PulledAlert(p.Alerts[i].Cursor, FromProto(p.Alerts[i].Alert));
        return new PulledAlerts(alerts, p.Next, p.Oldest, p.Truncated, p.Window);
    }

    public static byte[] HostState(HostSnapshot m, byte prefix = 0) => HostState(m.Host, m.FlowsObserved, m.Behavior, m.Unacknowledged, prefix);

    /// <summary>
    /// The <c>HostState</c> message (after <paramref name="prefix"/> when it is not 0) written field by field, as the
    /// generated code writes it (fields in number order, defaults omitted), with <paramref name="behavior"/> copied
    /// once from the caller's buffer into the result: no message object and no intermediate copy of the snapshot.
    /// </summary>
    public static byte[] HostState(FlowAddress host, long flowsObserved, ReadOnlySpan<byte> behavior, IReadOnlyList<Alert> unacknowledged, byte prefix)
    {
        // Without an arena the bytes are one new array of exactly their size: this returns it, never a copy.
        return Persistence.ByteArena.ExactArray(HostState(host, flowsObserved, behavior, unacknowledged, prefix, arena: null));
    }

    /// <summary>
    /// The same bytes as <see cref="HostState(FlowAddress, long, ReadOnlySpan{byte}, IReadOnlyList{Alert}, byte)"/>,
    /// written into a range of <paramref name="arena"/> (a new array when it is null).
    /// </summary>
    public static ReadOnlyMemory<byte> HostState(FlowAddress host, long flowsObserved, ReadOnlySpan<byte> behavior, IReadOnlyList<Alert> unacknowledged, byte prefix, Persistence.ByteArena? arena)
    {
        Span<byte> address = stackalloc byte[16];
        int addressLength = 0;
        if (host.IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(address, host.V4);
            addressLength = 4;
        }
        else if (!host.IsNone)
        {
            host.WriteBytes(address);
            addressLength = 16;
        }
        // Alerts are rare (unacknowledged ones only): they go through their generated message.
        P.Alert[] alerts = unacknowledged.Count == 0 ? [] : new P.Alert[unacknowledged.Count];
        int[] alertSizes = alerts.Length == 0 ? [] : new int[alerts.Length];
        int size = prefix == 0 ? 0 : 1;
        if (addressLength != 0) size += 1 + CodedOutputStream.ComputeLengthSize(addressLength) + addressLength;
        if (flowsObserved != 0) size += 1 + CodedOutputStream.ComputeInt64Size(flowsObserved);
        if (behavior.Length != 0) size += 1 + CodedOutputStream.ComputeLengthSize(behavior.Length) + behavior.Length;
        for (int i = 0; i < alerts.Length; i++)
        {
            alerts[i] = ToProto(unacknowledged[i]);
            alertSizes[i] = alerts[i].CalculateSize();
            size += 1 + CodedOutputStream.ComputeLengthSize(alertSizes[i]) + alertSizes[i];
        }

        var memory = arena is null ? new byte[size] : arena.Take(size);
        var bytes = memory.Span;
        int at = 0;
        if (prefix != 0) bytes[at++] = prefix;
        if (addressLength != 0)
        {
            bytes[at++] = 10; // field 1, length-delimited
            at = Varint(bytes, at, (ulong)addressLength);
            address[..addressLength].CopyTo(bytes[at..]);
            at += addressLength;
        }
        if (flowsObserved != 0)
        {
            bytes[at++] = 16; // field 2, varint
            at = Varint(bytes, at, (ulong)flowsObserved);
        }
        if (behavior.Length != 0)
        {
            bytes[at++] = 26; // field 3, length-delimited
            at = Varint(bytes, at, (ulong)behavior.Length);
            behavior.CopyTo(bytes[at..]);
            at += behavior.Length;
        }
        for (int i = 0; i < alerts.Length; i++)
        {
            bytes[at++] = 34; // field 4, length-delimited
            at = Varint(bytes, at, (ulong)alertSizes[i]);
            alerts[i].WriteTo(bytes.Slice(at, alertSizes[i]));
            at += alertSizes[i];
        }
        if (at != size) throw new InvalidOperationException($"HostState encoding wrote {at} bytes of the {size} it measured.");
        return memory;
    }

    private static int Varint(Span<byte> into, int at, ulong value)
    {
        while (value >= 0x80)
        {
            into[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        into[at++] = (byte)value;
        return at;
    }

    public static HostSnapshot ReadHostState(ReadOnlySpan<byte> bytes)
    {
        var p = Parse(P.HostState.Parser, bytes);
        var alerts = new Alert[p.Unacknowledged.Count];
        for (int i = 0; i < alerts.Length; i++) alerts[i] = FromProto(p.Unacknowledged[i]);
        return new HostSnapshot(Address(p.Host.Span), p.FlowsObserved, p.Behavior.ToByteArray(), alerts);
    }

    private static T Parse<T>(MessageParser<T> parser, ReadOnlySpan<byte> bytes) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"FlowActors message is corrupt: {e.Message}", e);
        }
    }

    private static ByteString AddressBytes(FlowAddress a)
    {
        if (a.IsNone) return ByteString.Empty;
        Span<byte> b = stackalloc byte[16];
        if (a.IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, a.V4);
            return ByteString.CopyFrom(b[..4]);
        }
        a.WriteBytes(b);
        return ByteString.CopyFrom(b);
    }

    private static FlowAddress Address(ReadOnlySpan<byte> b) => b.Length switch
    {
        0 => FlowAddress.None,
        4 => FlowAddress.FromV4(b),
        16 => FlowAddress.FromV6(b),
        var n => throw new SerializationException($"FlowActors message has a {n}-byte address; expected 0, 4 or 16."),
    };

    private static P.SinkProgress ToProto(SinkProgress s) => new() { Sink = s.Sink, DeliveredThrough = s.DeliveredThrough };

    private static SinkProgress FromProto(P.SinkProgress p) => new(Required(p.Sink, "sink"), p.DeliveredThrough);

    private static P.Alert ToProto(Alert a)
    {
        var p = new P.Alert
        {
            Id = a.Id,
            TimeTicks = a.Time.Ticks,
            Host = a.Host,
            Role = a.Role,
            Detector = a.Detector,
            Tactic = a.Tactic,
            TacticName = a.TacticName,
            Technique = a.Technique,
            TechniqueName = a.TechniqueName,
            Severity = a.Severity,
            Summary = a.Summary,
            WindowStartTicks = a.WindowStart.Ticks,
            WindowEndTicks = a.WindowEnd.Ticks,
            Count = a.Count,
        };
        p.Peers.AddRange(a.Peers);
        p.Ports.AddRange(a.Ports);
        foreach (var (name, value) in a.Evidence) p.Evidence.Add(new P.EvidenceItem { Name = name, Value = value });
        return p;
    }

    /// <summary>
    /// The alert, refused when it lacks what every alert has (an id, a host, a detector, a count of at least one):
    /// such bytes are truncated or not an alert, and Protocol Buffers alone cannot tell.
    /// </summary>
    private static Alert FromProto(P.Alert? p)
    {
        if (p is null) throw new SerializationException("FlowActors message has no alert.");
        if (p.Count < 1) throw new SerializationException($"FlowActors alert has count {p.Count}; it is truncated or corrupt.");
        var evidence = new Dictionary<string, double>(p.Evidence.Count, StringComparer.Ordinal);
        foreach (var e in p.Evidence) evidence[e.Name] = e.Value;
        return new Alert(Required(p.Id, "id"), Utc(p.TimeTicks), Required(p.Host, "host"), p.Role, p.Peers.ToArray(), p.Ports.ToArray(),
            Required(p.Detector, "detector"), p.Tactic, p.TacticName, p.Technique, p.TechniqueName, p.Severity, p.Summary, evidence,
            Utc(p.WindowStartTicks), Utc(p.WindowEndTicks), p.Count);
    }

    private static string Required(string value, string field) =>
        value.Length > 0 ? value : throw new SerializationException($"FlowActors message lacks its {field}.");

    private static DateTime Utc(long ticks) =>
        ticks is < 0 or > MaxTicks ? throw new SerializationException($"FlowActors message has an impossible time ({ticks} ticks).") : new DateTime(ticks, DateTimeKind.Utc);
}
