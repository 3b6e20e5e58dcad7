using System.Text.Json;
using FlowActors.Protocols.Capture;

namespace FlowActors.Protocols.Tests;

/// <summary>
/// Every shared capture (softflowd 1.1.0 and pmacct 1.7.7 exports) decoded through one <see cref="FlowDecoder"/> per
/// file and compared record by record with tshark's reference decode (testdata/X.truth.jsonl).
/// </summary>
public sealed class KnownAnswerTests
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(TestData.Directory, "*.pcap").OrderBy(p => p, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(path));
        }

        return data;
    }

    [Fact]
    public void Every_shared_capture_has_a_reference_decode()
    {
        var captures = Directory.GetFiles(TestData.Directory, "*.pcap");
        Assert.Equal(10, captures.Length);
        foreach (var c in captures) Assert.True(File.Exists(Path.ChangeExtension(c, ".truth.jsonl")), c);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Capture_decodes_to_its_reference_records(string name)
    {
        var decoded = TestData.DecodeCapture(name + ".pcap", out var decoder);
        var truth = File.ReadAllLines(Path.Combine(TestData.Directory, name + ".truth.jsonl"))
            .Where(l => l.Length > 0).ToList();

        Assert.Equal(truth.Count, decoded.Count);
        for (int i = 0; i < truth.Count; i++)
        {
            using var doc = JsonDocument.Parse(truth[i]);
            Compare(doc.RootElement, decoded[i], $"{name} record {i}");
        }

        // Real exporters send nothing our decoder should call an error.
        foreach (var s in decoder.Exporters.Snapshot())
        {
            Assert.Equal(0, s.ErrorDatagrams);
            Assert.Equal(0, s.Undecodable);
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Capture_sequence_numbers_show_no_loss_or_reordering(string name)
    {
        // Captured on loopback: nothing was lost, so any gap would be a misreading of the exporter's numbering
        // (v5 counts flows, v9 packets, IPFIX data records; softflowd's IPFIX counts the current message).
        TestData.DecodeCapture(name + ".pcap", out var decoder);

        Assert.NotEqual(0, decoder.Sequences.Count);
        foreach (var (key, stream) in decoder.Sequences.Streams)
        {
            Assert.True(stream.Gaps == 0 && stream.Lost == 0 && stream.Reordered == 0 && stream.Resets == 0,
                $"{name} {key}: gaps {stream.Gaps}, lost {stream.Lost}, reordered {stream.Reordered}, resets {stream.Resets}");
        }
    }

    private static void Compare(JsonElement t, in FlowRecord r, string where)
    {
        int version = t.GetProperty("version").GetInt32();
        Assert.True(version == r.Version, $"{where}: version {r.Version}, expected {version}");
        Assert.True(FlowAddress.Parse(t.GetProperty("src_addr").GetString()!) == r.SrcAddr, $"{where}: src_addr {r.SrcAddr}");
        Assert.True(FlowAddress.Parse(t.GetProperty("dst_addr").GetString()!) == r.DstAddr, $"{where}: dst_addr {r.DstAddr}");
        Optional(t, "src_port", r.Has(FlowFields.Ports), r.SrcPort, where);
        Optional(t, "dst_port", r.Has(FlowFields.Ports), r.DstPort, where);
        Assert.True(t.GetProperty("protocol").GetInt32() == r.Protocol, $"{where}: protocol {r.Protocol}");
        Optional(t, "tcp_flags", r.Has(FlowFields.TcpFlags), r.TcpFlags, where);
        Assert.True(t.GetProperty("packets").GetUInt64() == r.Packets, $"{where}: packets {r.Packets}");
        Assert.True(t.GetProperty("bytes").GetUInt64() == r.Bytes, $"{where}: bytes {r.Bytes}");
        Optional(t, "input_if", r.Has(FlowFields.InputInterface), r.InputInterface, where);
        Optional(t, "output_if", r.Has(FlowFields.OutputInterface), r.OutputInterface, where);
        Optional(t, "tos", r.Has(FlowFields.Tos), r.Tos, where);
        if (t.TryGetProperty("icmp_type", out _))
        {
            Optional(t, "icmp_type", r.Has(FlowFields.Icmp), r.IcmpType, where);
            Optional(t, "icmp_code", r.Has(FlowFields.Icmp), r.IcmpCode, where);
        }

        // README: NetFlow v9 headers carry whole seconds, so sysUpTime-relative times may be up to 1 s early.
        long tolerance = version == 9 ? 1000 : 0;
        Time(t, "start", r.Has(FlowFields.Times), r.StartMs, tolerance, where);
        Time(t, "end", r.Has(FlowFields.Times), r.EndMs, tolerance, where);
    }

    private static void Optional(JsonElement t, string name, bool present, ulong value, string where)
    {
        var e = t.GetProperty(name);
        if (e.ValueKind == JsonValueKind.Null)
        {
            Assert.False(present, $"{where}: {name} present ({value}) but absent in the reference");
            return;
        }

        Assert.True(present, $"{where}: {name} absent, expected {e}");
        Assert.True(e.GetUInt64() == value, $"{where}: {name} {value}, expected {e}");
    }

    private static void Time(JsonElement t, string name, bool present, long ms, long tolerance, string where)
    {
        var e = t.GetProperty(name);
        if (e.ValueKind == JsonValueKind.Null)
        {
            Assert.False(present, $"{where}: {name} present but absent in the reference");
            return;
        }

        Assert.True(present, $"{where}: {name} absent");
        long expected = DateTimeOffset.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        long early = expected - ms;
        Assert.True(early >= 0 && early <= tolerance || early == 0,
            $"{where}: {name} {DateTimeOffset.FromUnixTimeMilliseconds(ms):O}, expected {e.GetString()} (tolerance {tolerance} ms early)");
    }
}

/// <summary>Access to the shared captures copied next to the test assembly.</summary>
internal static class TestData
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "testdata");

    /// <summary>Decodes a whole capture through one decoder and returns copies of the records in order.</summary>
    public static List<FlowRecord> DecodeCapture(string file, out FlowDecoder decoder, FlowDecoderOptions? options = null)
    {
        decoder = new FlowDecoder(options);
        var records = new List<FlowRecord>();
        using var buffer = new FlowRecordBuffer();
        using var reader = PcapReader.Open(Path.Combine(Directory, file));
        while (reader.TryReadNext(out var dg))
        {
            buffer.Clear();
            decoder.Decode(dg.Payload.Span, dg.Source, dg.TimestampUs / 1000, buffer);
            foreach (ref readonly var r in buffer.Records) records.Add(r);
        }

        Assert.Null(reader.Error);
        return records;
    }

    /// <summary>The UDP payloads of a capture, copied.</summary>
    public static List<(FlowAddress Source, byte[] Payload)> Datagrams(string file)
    {
        var list = new List<(FlowAddress, byte[])>();
        using var reader = PcapReader.Open(Path.Combine(Directory, file));
        while (reader.TryReadNext(out var dg)) list.Add((dg.Source, dg.Payload.ToArray()));
        return list;
    }
}
