using System.Text.Json;
using FlowActors.Siem.Sinks;

namespace FlowActors.Cluster.Tests;

public sealed class SinkTests
{
    [Fact]
    public async Task Json_lines_sink_appends_one_canonical_json_object_per_alert()
    {
        using var dir = SqliteTempDirectory.Create();
        string path = Path.Combine(dir.Path, "sub", "alerts.jsonl");
        await using (var sink = new JsonLinesFileSink(path))
        {
            Assert.Equal("jsonl", sink.Name);
            await sink.DeliverAsync([TestData.Alert("a1"), TestData.Alert("a2", "10.0.0.6")], CancellationToken.None);
        }
        await using (var again = new JsonLinesFileSink(path))
        {
            await again.DeliverAsync([TestData.Alert("a3")], CancellationToken.None);
        }

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(3, lines.Length);
        using var doc = JsonDocument.Parse(lines[1]);
        var r = doc.RootElement;
        Assert.Equal("a2", r.GetProperty("id").GetString());
        Assert.Equal("10.0.0.6", r.GetProperty("host").GetString());
        Assert.Equal("2026-11-28T12:00:42.000Z", r.GetProperty("time").GetString());
        Assert.Equal("port-scan", r.GetProperty("detector").GetString());
        Assert.Equal("T1046", r.GetProperty("technique").GetProperty("id").GetString());
        Assert.Equal(6, r.GetProperty("severity").GetInt32());
        Assert.Equal(15, r.GetProperty("evidence").GetProperty("distinct_ports").GetDouble());
        Assert.Equal("a3", JsonDocument.Parse(lines[2]).RootElement.GetProperty("id").GetString());
        Assert.True(Alert.FromJsonLine(lines[0]).ContentEquals(TestData.Alert("a1")));
    }

    [Fact]
    public async Task Console_sink_writes_one_readable_line_per_alert()
    {
        var output = new StringWriter();
        var sink = new ConsoleSink(output);
        await sink.DeliverAsync([TestData.Alert("id-9")], CancellationToken.None);
        Assert.Equal(
            "ALERT 2026-11-28T12:00:42.000Z sev 6 port-scan T1046 10.0.0.5: 10.0.0.5 probed 15 ports on 10.0.0.9 [id-9]" + Environment.NewLine,
            output.ToString());
    }
}
