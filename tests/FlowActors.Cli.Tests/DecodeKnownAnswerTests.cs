using System.Globalization;
using System.Text.Json;
using FlowActors.Protocols;

namespace FlowActors.Cli.Tests;

/// <summary>
/// <c>flowctl decode</c> on every shared capture, each printed record compared with tshark's reference decode
/// (testdata/X.truth.jsonl): every field the reference names, with the same name; reference null = our null.
/// </summary>
public class DecodeKnownAnswerTests
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "testdata"), "*.pcap").OrderBy(p => p, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Fact]
    public void All_ten_shared_captures_are_tested()
    {
        Assert.Equal(10, Captures().Count);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Decode_prints_the_reference_records_of(string capture)
    {
        var run = FlowctlRun.Invoke("decode", FlowctlRun.TestData(capture));
        var truth = File.ReadAllLines(FlowctlRun.TestData(Path.ChangeExtension(capture, ".truth.jsonl"))).Where(l => l.Length > 0).ToArray();

        Assert.Equal(0, run.ExitCode);
        var lines = run.Lines;
        Assert.Equal(truth.Length, lines.Length);
        for (int i = 0; i < truth.Length; i++)
        {
            using var expected = JsonDocument.Parse(truth[i]);
            using var actual = JsonDocument.Parse(lines[i]);
            CompareRecord(expected.RootElement, actual.RootElement, $"{capture} record {i}");
        }

        Assert.Contains($"records: {truth.Length}", run.Stderr);
        Assert.Contains("errors: none", run.Stderr);
    }

    [Fact]
    public void Decode_prints_the_reference_records_of_a_pmacct_sflow_capture()
    {
        // A real sFlow v5 agent (pmacct sfprobe); reference from tshark (FlowActors.Protocols.Tests/SFlow/testdata/README.md).
        var run = FlowctlRun.Invoke("decode", FlowctlRun.TestData("sflow/sflow-pmacct.pcap"));
        var truth = File.ReadAllLines(FlowctlRun.TestData("sflow/sflow-pmacct.truth.jsonl")).Where(l => l.Length > 0).ToArray();

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(71, truth.Length);
        Assert.Equal(truth.Length, run.Lines.Length);
        for (int i = 0; i < truth.Length; i++)
        {
            using var expected = JsonDocument.Parse(truth[i]);
            using var actual = JsonDocument.Parse(run.Lines[i]);
            CompareRecord(expected.RootElement, actual.RootElement, $"sflow-pmacct record {i}");
        }

        Assert.Contains("sequence: 1 streams, 0 gaps, 0 lost", run.Stderr);
    }

    private static void CompareRecord(JsonElement expected, JsonElement actual, string where)
    {
        int version = expected.GetProperty("version").GetInt32();
        foreach (var field in expected.EnumerateObject())
        {
            Assert.True(actual.TryGetProperty(field.Name, out var ours), $"{where}: field {field.Name} missing");
            var theirs = field.Value;
            if (theirs.ValueKind == JsonValueKind.Null)
            {
                Assert.True(ours.ValueKind == JsonValueKind.Null, $"{where}: {field.Name} is {ours}, reference null");
                continue;
            }

            Assert.True(ours.ValueKind != JsonValueKind.Null, $"{where}: {field.Name} is null, reference {theirs}");
            switch (field.Name)
            {
                case "start":
                case "end":
                {
                    // testdata README: v9 headers carry whole seconds, so v9 times may be up to 1 s early.
                    long reference = ParseTime(theirs.GetString()!);
                    long ms = ParseTime(ours.GetString()!);
                    long early = reference - ms;
                    long tolerance = version == 9 ? 1_000 : 0;
                    Assert.True(early >= 0 && early <= tolerance, $"{where}: {field.Name} {ours}, reference {theirs}");
                    break;
                }
                case "src_addr":
                case "dst_addr":
                case "exporter":
                case "next_hop":
                    Assert.True(FlowAddress.Parse(theirs.GetString()!) == FlowAddress.Parse(ours.GetString()!), $"{where}: {field.Name} {ours}, reference {theirs}");
                    break;
                default:
                    Assert.True(theirs.GetDecimal() == ours.GetDecimal(), $"{where}: {field.Name} {ours}, reference {theirs}");
                    break;
            }
        }
    }

    private static long ParseTime(string text)
    {
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", text);
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();
    }
}
