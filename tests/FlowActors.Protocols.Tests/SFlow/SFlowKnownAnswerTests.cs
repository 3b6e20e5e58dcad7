using System.Globalization;
using System.Text.Json;
using FlowActors.Protocols.Capture;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>
/// A capture from a real sFlow agent (pmacct 1.7.7 sfprobe, see SFlow/testdata/README.md) decoded through
/// <see cref="FlowDecoder"/> and compared sample by sample with Wireshark's tshark 4.0.17 dissection.
/// </summary>
public class SFlowKnownAnswerTests
{
    private static string Capture(string name) => Path.Combine(AppContext.BaseDirectory, "SFlow", "testdata", name);

    [Fact]
    public void Pmacct_sfprobe_capture_decodes_to_its_reference_records()
    {
        var decoder = new FlowDecoder();
        var records = new List<FlowRecord>();
        using var buffer = new FlowRecordBuffer();
        using (var reader = PcapReader.Open(Capture("sflow-pmacct.pcap")))
        {
            while (reader.TryReadNext(out var d))
            {
                buffer.Clear();
                var result = decoder.Decode(d.Payload.Span, d.Source, d.TimestampUs / 1000, buffer);
                Assert.Equal(DecodeError.None, result.Error);
                foreach (ref readonly var r in buffer.Records) records.Add(r);
            }

            Assert.Null(reader.Error);
        }

        var truth = File.ReadAllLines(Capture("sflow-pmacct.truth.jsonl"));
        Assert.Equal(71, truth.Length);
        Assert.Equal(truth.Length, records.Count);
        for (int i = 0; i < truth.Length; i++)
        {
            using var doc = JsonDocument.Parse(truth[i]);
            Compare(doc.RootElement, records[i], $"record {i}");
        }

        var stream = decoder.Sequences.Streams[new SequenceStreamKey(FlowAddress.Parse("10.77.0.1"), FlowRecord.SFlowVersion, 3)];
        Assert.Equal(14, stream.Datagrams);
        Assert.Equal(0, stream.Lost);
    }

    private static void Compare(JsonElement t, in FlowRecord r, string where)
    {
        Assert.True(r.Version == t.GetProperty("version").GetInt32(), $"{where}: version {r.Version}");
        Assert.True(r.Exporter == FlowAddress.Parse(t.GetProperty("exporter").GetString()!), $"{where}: exporter {r.Exporter}");
        Assert.True(r.ObservationDomain == t.GetProperty("domain").GetUInt32(), $"{where}: domain {r.ObservationDomain}");
        Assert.True(r.SrcAddr == FlowAddress.Parse(t.GetProperty("src_addr").GetString()!), $"{where}: src_addr {r.SrcAddr}");
        Assert.True(r.DstAddr == FlowAddress.Parse(t.GetProperty("dst_addr").GetString()!), $"{where}: dst_addr {r.DstAddr}");
        Assert.True(r.Protocol == t.GetProperty("protocol").GetInt32(), $"{where}: protocol {r.Protocol}");
        Optional(t, "src_port", r.Has(FlowFields.Ports), r.SrcPort, where);
        Optional(t, "dst_port", r.Has(FlowFields.Ports), r.DstPort, where);
        Optional(t, "tcp_flags", r.Has(FlowFields.TcpFlags), r.TcpFlags, where);
        Optional(t, "tos", r.Has(FlowFields.Tos), r.Tos, where);
        Optional(t, "icmp_type", r.Has(FlowFields.Icmp), r.IcmpType, where);
        Optional(t, "icmp_code", r.Has(FlowFields.Icmp), r.IcmpCode, where);
        Optional(t, "input_if", r.Has(FlowFields.InputInterface), r.InputInterface, where);
        Optional(t, "output_if", r.Has(FlowFields.OutputInterface), r.OutputInterface, where);
        Assert.True(r.Packets == t.GetProperty("packets").GetUInt64(), $"{where}: packets {r.Packets}");
        Assert.True(r.Bytes == t.GetProperty("bytes").GetUInt64(), $"{where}: bytes {r.Bytes}");
        Assert.True(r.SamplingRate == t.GetProperty("sampling_rate").GetUInt32(), $"{where}: sampling_rate {r.SamplingRate}");
        long start = DateTimeOffset.Parse(t.GetProperty("start").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        Assert.True(r.StartMs == start && r.EndMs == start, $"{where}: start {r.StartMs}, end {r.EndMs}, expected {start}");
    }

    private static void Optional(JsonElement t, string name, bool present, ulong value, string where)
    {
        var e = t.GetProperty(name);
        if (e.ValueKind == JsonValueKind.Null)
        {
            Assert.False(present, $"{where}: {name} present ({value}), reference null");
            return;
        }

        Assert.True(present, $"{where}: {name} absent, reference {e}");
        Assert.True(e.GetUInt64() == value, $"{where}: {name} {value}, reference {e}");
    }
}
