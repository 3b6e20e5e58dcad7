using System.Buffers.Binary;
using System.Text.Json;
using FlowActors.Cli.Formatting;
using FlowActors.Protocols;
using FlowActors.Protocols.Capture;

namespace FlowActors.Cli.Tests;

public class DecodeCommandTests
{
    private const string NormalV9 = "normal-v9.pcap";
    private const ushort CapturePort = 9909; // where the shared captures were exported to

    [Fact]
    public void Csv_output_has_the_canonical_header_and_one_row_per_record_with_empty_cells_for_absent_fields()
    {
        var run = FlowctlRun.Invoke("decode", "--format", "csv", FlowctlRun.TestData("normal-v5.pcap"));

        Assert.Equal(0, run.ExitCode);
        var lines = run.Lines;
        Assert.Equal(string.Join(',', FlowRecordWriter.FieldNames), lines[0]);
        Assert.Equal(1 + 146, lines.Length);

        // First truth record of normal-v5: compare column by column.
        var truth = JsonDocument.Parse(File.ReadLines(FlowctlRun.TestData("normal-v5.truth.jsonl")).First()).RootElement;
        var cells = lines[1].Split(',');
        Assert.Equal(FlowRecordWriter.FieldNames.Count, cells.Length);
        string Cell(string name) => cells[FlowRecordWriter.FieldNames.ToList().IndexOf(name)];
        Assert.Equal("5", Cell("version"));
        Assert.Equal(truth.GetProperty("src_addr").GetString(), Cell("src_addr"));
        Assert.Equal(truth.GetProperty("bytes").GetRawText(), Cell("bytes"));
        Assert.Equal(truth.GetProperty("start").GetString(), Cell("start"));
        Assert.Equal("", Cell("vlan")); // NetFlow v5 has no VLAN
    }

    [Fact]
    public void Port_filter_keeps_datagrams_to_that_port_only()
    {
        var matching = FlowctlRun.Invoke("decode", "--port", CapturePort.ToString(), FlowctlRun.TestData(NormalV9));
        var other = FlowctlRun.Invoke("decode", "--port=2055", FlowctlRun.TestData(NormalV9));

        Assert.Equal(191, matching.Lines.Length);
        Assert.Empty(other.Lines);
        Assert.Equal(0, other.ExitCode);
        Assert.Contains("datagrams: 0", other.Stderr);
    }

    [Fact]
    public void Raw_datagram_files_decode_in_order_through_one_template_cache()
    {
        // normal-v9 split into one file per datagram: the templates of file 1 must decode the data of later files.
        using var dir = new TempDirectory();
        var files = new List<string>();
        using (var reader = PcapReader.Open(FlowctlRun.TestData(NormalV9)))
        {
            while (reader.TryReadNext(out var d))
            {
                string path = dir.File($"dgram-{files.Count:D3}.bin");
                File.WriteAllBytes(path, d.Payload.ToArray());
                files.Add(path);
            }
        }

        var run = FlowctlRun.Invoke(["decode", "--raw", "--exporter", "127.0.0.1", .. files]);
        var fromCapture = FlowctlRun.Invoke("decode", FlowctlRun.TestData(NormalV9));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(7, files.Count);
        Assert.Equal(fromCapture.Lines.Length, run.Lines.Length);
        Assert.Equal(fromCapture.Lines[0], run.Lines[0]); // exporter given, times from the records themselves
        Assert.Contains("datagrams: 7", run.Stderr);
        Assert.DoesNotContain("capture:", run.Stderr);
    }

    [Fact]
    public void Raw_sflow_datagram_prints_version_105_with_the_agent_as_exporter_and_its_sampling_rate()
    {
        using var dir = new TempDirectory();
        string path = dir.File("sflow.bin");
        File.WriteAllBytes(path, SFlowDatagram());

        var run = FlowctlRun.Invoke("decode", "--raw", path);

        Assert.Equal(0, run.ExitCode);
        var r = JsonDocument.Parse(Assert.Single(run.Lines)).RootElement;
        Assert.Equal(105, r.GetProperty("version").GetInt32());
        Assert.Equal("192.0.2.1", r.GetProperty("exporter").GetString());
        Assert.Equal(4, r.GetProperty("domain").GetInt32());
        Assert.Equal("10.0.0.1", r.GetProperty("src_addr").GetString());
        Assert.Equal("10.0.0.2", r.GetProperty("dst_addr").GetString());
        Assert.Equal(53, r.GetProperty("dst_port").GetInt32());
        Assert.Equal(1, r.GetProperty("packets").GetInt32());
        Assert.Equal(40, r.GetProperty("bytes").GetInt32());
        Assert.Equal(512, r.GetProperty("sampling_rate").GetInt32());
        Assert.Equal(512, r.GetProperty("packets_scaled").GetInt32());
        Assert.Equal(20480, r.GetProperty("bytes_scaled").GetInt32());
        Assert.Equal(3, r.GetProperty("input_if").GetInt32());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("output_if").ValueKind);
        Assert.Equal(r.GetProperty("start").GetString(), r.GetProperty("end").GetString()); // sFlow: receive time
    }

    [Fact]
    public void Pcapng_capture_prints_the_same_records_as_its_pcap_original()
    {
        var pcap = FlowctlRun.Invoke("decode", FlowctlRun.TestData("sflow/sflow-pmacct.pcap"));
        var pcapng = FlowctlRun.Invoke("decode", FlowctlRun.TestData("sflow/sflow-pmacct.pcapng"));

        Assert.Equal(0, pcapng.ExitCode);
        Assert.Equal(71, pcapng.Lines.Length);
        Assert.Equal(pcap.Stdout, pcapng.Stdout);
    }

    [Fact]
    public void Several_captures_share_one_decoder_and_the_summary_totals_them()
    {
        var run = FlowctlRun.Invoke("decode", FlowctlRun.TestData("normal-v5.pcap"), FlowctlRun.TestData(NormalV9));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(146 + 191, run.Lines.Length);
        Assert.Contains("records: 337", run.Stderr);
        Assert.Contains("sequence: 2 streams, 0 gaps, 0 lost", run.Stderr);
    }

    [Fact]
    public void Missing_file_is_reported_with_exit_code_1_and_the_other_files_still_decode()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nope.pcap");

        var run = FlowctlRun.Invoke("decode", missing, FlowctlRun.TestData(NormalV9));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"flowctl decode: {missing}:", run.Stderr);
        Assert.Equal(191, run.Lines.Length);
    }

    [Fact]
    public void Truncated_capture_prints_what_it_holds_then_fails_with_exit_code_1()
    {
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(FlowctlRun.TestData(NormalV9));
        string cut = dir.File("cut.pcap");
        File.WriteAllBytes(cut, bytes[..^100]);

        var run = FlowctlRun.Invoke("decode", cut);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("pcap record body truncated", run.Stderr);
        Assert.InRange(run.Lines.Length, 1, 190);
    }

    [Fact]
    public void File_that_is_not_a_capture_fails_with_exit_code_1()
    {
        using var dir = new TempDirectory();
        string text = dir.File("notes.txt");
        File.WriteAllText(text, "these are not packets");

        var run = FlowctlRun.Invoke("decode", text);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not a pcap or pcapng file", run.Stderr);
    }

    [Fact]
    public void Raw_file_larger_than_a_datagram_fails_with_a_hint()
    {
        using var dir = new TempDirectory();
        string big = dir.File("big.bin");
        File.WriteAllBytes(big, new byte[70_000]);

        var run = FlowctlRun.Invoke("decode", "--raw", big);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("larger than any UDP datagram", run.Stderr);
    }

    [Fact]
    public void Garbage_raw_datagram_is_counted_as_an_error_kind_not_a_failure()
    {
        using var dir = new TempDirectory();
        string junk = dir.File("junk.bin");
        File.WriteAllBytes(junk, [0x00, 0x63, 0x00, 0x01, 0x02, 0x03]);

        var run = FlowctlRun.Invoke("decode", "--raw", junk);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Lines);
        Assert.Contains("errors: UnknownVersion 1", run.Stderr);
    }

    [Theory]
    [InlineData("no input files", "decode")]
    [InlineData("unknown option '--fast'", "decode", "--fast", "x.pcap")]
    [InlineData("unknown format 'xml'", "decode", "--format", "xml", "x.pcap")]
    [InlineData("--format needs a value", "decode", "x.pcap", "--format")]
    [InlineData("--port '70000' is not a UDP port", "decode", "--port", "70000", "x.pcap")]
    [InlineData("--port '0' is not a UDP port", "decode", "--port=0", "x.pcap")]
    [InlineData("raw datagram files (--raw) have no port", "decode", "--raw", "--port", "2055", "x.bin")]
    [InlineData("--exporter applies to --raw", "decode", "--exporter", "10.0.0.1", "x.pcap")]
    [InlineData("--exporter 'router1' is not an IPv4 or IPv6 address", "decode", "--raw", "--exporter", "router1", "x.bin")]
    public void Usage_errors_exit_with_2_and_say_what_is_wrong(string message, params string[] args)
    {
        var run = FlowctlRun.Invoke(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public void Decode_help_prints_usage_and_exits_0()
    {
        var run = FlowctlRun.Invoke("decode", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("flowctl decode <FILE>... [options]", run.Stdout);
        Assert.Contains("--port <N>", run.Stdout);
        Assert.Contains("Exit codes:", run.Stdout);
    }

    [Fact]
    public void Absent_fields_print_as_json_null_and_present_zero_as_0()
    {
        // softflowd exports interface 0: present (0); it sends no VLAN: absent (null).
        var run = FlowctlRun.Invoke("decode", FlowctlRun.TestData(NormalV9));
        var first = JsonDocument.Parse(run.Lines[0]).RootElement;

        Assert.Equal(0, first.GetProperty("input_if").GetInt32());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("vlan").ValueKind);
        Assert.Equal(FlowRecordWriter.FieldNames, first.EnumerateObject().Select(p => p.Name));
    }

    /// <summary>One sFlow v5 flow sample: agent 192.0.2.1, sub-agent 4, rate 512, input 3, a raw IPv4/UDP header to port 53.</summary>
    private static byte[] SFlowDatagram()
    {
        byte[] ip =
        [
            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            0x9C, 0x40, 0, 53, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        var sample = new List<uint> { 1, 3, 512, 51200, 0, 3, 0, 1 }; // seq, source, rate, pool, drops, input, output unknown, 1 record
        sample.AddRange([1, 16 + (uint)ip.Length, 11, 40, 0, (uint)ip.Length]); // sampled_header: IPv4, frame 40, stripped 0
        var bytes = new List<byte>();
        void Put(uint w) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, w); bytes.AddRange(b); }
        foreach (var w in new uint[] { 5, 1, 0xC0000201, 4, 99, 1000, 1 }) Put(w); // version, IPv4 agent, sub-agent, seq, uptime, samples
        Put(1); // flow_sample
        Put((uint)(sample.Count * 4 + ip.Length));
        foreach (var w in sample) Put(w);
        bytes.AddRange(ip);
        return bytes.ToArray();
    }
}

public class DecodeOutputTests
{
    [Fact]
    public void Closed_output_stops_the_decode_with_exit_code_1_instead_of_a_crash()
    {
        // What `flowctl decode big.pcap | head` does to stdout: the reader goes away and writes fail.
        var stdout = new ClosingWriter(acceptChars: 1_000);
        var stderr = new StringWriter();

        int code = CommandLine.Run(["decode", FlowctlRun.TestData("synflood-v9.pcap")], stdout, stderr);

        Assert.Equal(1, code);
        Assert.Contains("output closed", stderr.ToString());
        Assert.Contains("datagrams:", stderr.ToString());
    }

    /// <summary>A writer that fails like a broken pipe once it has taken <c>acceptChars</c> characters.</summary>
    private sealed class ClosingWriter(int acceptChars) : StringWriter
    {
        private int _left = acceptChars;

        public override void Write(char[] buffer, int index, int count)
        {
            if (_left <= 0) throw new IOException("Broken pipe");
            _left -= count;
            base.Write(buffer, index, count);
        }
    }
}

public class DecodeUsageTests
{
    [Fact]
    public void Usage_lists_every_canonical_field_name()
    {
        string help = FlowctlRun.Invoke("decode", "--help").Stdout;
        foreach (string field in FlowActors.Cli.Formatting.FlowRecordWriter.FieldNames)
        {
            Assert.Contains(field, help);
        }
    }
}
