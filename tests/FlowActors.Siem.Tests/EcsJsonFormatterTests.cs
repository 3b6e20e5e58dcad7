using System.Globalization;
using System.Net;
using System.Text.Json;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

public sealed class EcsJsonFormatterTests
{
    private static readonly AlertFormatContext Context = new() { ProductVersion = "1.2.3", ObserverHostName = "node-1", ObserverIp = "192.0.2.10" };

    private static readonly Dictionary<string, string> FieldTypes = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "ecs-fields.txt"))
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => l.Split('\t'))
        .ToDictionary(f => f[0], f => f[1]);

    public static TheoryData<string> Alerts => new() { "port-scan", "syn-flood", "hostile" };

    private static Alert Pick(string name) => name switch
    {
        "port-scan" => TestAlerts.PortScan(),
        "syn-flood" => TestAlerts.SynFlood(),
        _ => TestAlerts.Hostile(veryLong: true),
    };

    [Theory]
    [MemberData(nameof(Alerts))]
    public void Every_field_is_in_the_committed_list_with_its_ecs_type(string name)
    {
        using var doc = JsonDocument.Parse(EcsJsonFormatter.Format(Pick(name), Context));
        var leaves = new List<(string Path, JsonElement Value)>();
        Flatten(doc.RootElement, "", leaves);
        Assert.NotEmpty(leaves);
        foreach (var (path, value) in leaves)
        {
            string type = TypeOf(path) ?? throw new Xunit.Sdk.XunitException($"{path} is not in ecs-fields.txt");
            var values = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
            foreach (var v in values) AssertType(path, type, v);
        }
    }

    [Fact]
    public void Port_scan_fills_the_required_ecs_fields()
    {
        using var doc = JsonDocument.Parse(EcsJsonFormatter.Format(TestAlerts.PortScan(), Context));
        var r = doc.RootElement;
        Assert.Equal("2026-11-28T12:00:42.000Z", r.GetProperty("@timestamp").GetString());
        var e = r.GetProperty("event");
        Assert.Equal("alert", e.GetProperty("kind").GetString());
        Assert.Equal(["network", "intrusion_detection"], e.GetProperty("category").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(["info"], e.GetProperty("type").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("0123456789abcdef0123456789abcdef", e.GetProperty("id").GetString());
        Assert.Equal(6, e.GetProperty("severity").GetInt32());
        Assert.Equal("2026-11-28T12:00:00.000Z", e.GetProperty("start").GetString());
        Assert.Equal("2026-11-28T12:05:00.000Z", e.GetProperty("end").GetString());
        Assert.Equal("10.0.0.5", r.GetProperty("source").GetProperty("ip").GetString());
        Assert.Equal("10.0.0.9", r.GetProperty("destination").GetProperty("ip").GetString());
        Assert.Equal(22, r.GetProperty("destination").GetProperty("port").GetInt32());
        Assert.Equal("unknown", r.GetProperty("network").GetProperty("direction").GetString());
        var t = r.GetProperty("threat");
        Assert.Equal("MITRE ATT&CK", t.GetProperty("framework").GetString());
        Assert.Equal("TA0007", t.GetProperty("tactic").GetProperty("id")[0].GetString());
        Assert.Equal("Discovery", t.GetProperty("tactic").GetProperty("name")[0].GetString());
        Assert.Equal("T1046", t.GetProperty("technique").GetProperty("id")[0].GetString());
        Assert.Equal("Network Service Discovery", t.GetProperty("technique").GetProperty("name")[0].GetString());
        Assert.Equal("https://attack.mitre.org/techniques/T1046/", t.GetProperty("technique").GetProperty("reference")[0].GetString());
        Assert.Equal("port-scan", r.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal(TestAlerts.PortScan().Summary, r.GetProperty("message").GetString());
        Assert.Equal("node-1", r.GetProperty("observer").GetProperty("hostname").GetString());
        Assert.Equal("1.2.3", r.GetProperty("observer").GetProperty("version").GetString());
        var fa = r.GetProperty("flowactors");
        Assert.Equal(15, fa.GetProperty("evidence").GetProperty("distinct_ports").GetDouble());
        Assert.Equal("actor", fa.GetProperty("role").GetString());
        Assert.Equal(1, fa.GetProperty("count").GetInt32());
    }

    [Fact]
    public void Sub_technique_is_split_as_ecs_wants_and_transport_is_lower_case()
    {
        using var doc = JsonDocument.Parse(EcsJsonFormatter.Format(TestAlerts.SynFlood(), Context));
        var r = doc.RootElement;
        var technique = r.GetProperty("threat").GetProperty("technique");
        Assert.Equal("T1499", technique.GetProperty("id")[0].GetString());
        Assert.Equal("Endpoint Denial of Service", technique.GetProperty("name")[0].GetString());
        var sub = technique.GetProperty("subtechnique");
        Assert.Equal("T1499.001", sub.GetProperty("id")[0].GetString());
        Assert.Equal("OS Exhaustion Flood", sub.GetProperty("name")[0].GetString());
        Assert.Equal("https://attack.mitre.org/techniques/T1499/001/", sub.GetProperty("reference")[0].GetString());
        Assert.Equal("tcp", r.GetProperty("network").GetProperty("transport").GetString());
        Assert.Equal("198.51.100.23", r.GetProperty("source").GetProperty("ip").GetString());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("flowactors").GetProperty("evidence").GetProperty("score").ValueKind);
    }

    [Fact]
    public void Hostile_summary_round_trips_through_json()
    {
        string line = EcsJsonFormatter.Format(TestAlerts.Hostile(), Context);
        Assert.DoesNotContain('\n', line);
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(TestAlerts.HostileText, doc.RootElement.GetProperty("message").GetString());
        Assert.Contains("日本語", line); // UTF-8, not \u escapes
    }

    private string? TypeOf(string path)
    {
        if (FieldTypes.TryGetValue(path, out string? t)) return t;
        return FieldTypes.FirstOrDefault(kv => kv.Key.EndsWith(".*", StringComparison.Ordinal) && path.StartsWith(kv.Key[..^1], StringComparison.Ordinal)).Value;
    }

    private static void AssertType(string path, string type, JsonElement v)
    {
        bool ok = type switch
        {
            "keyword" or "match_only_text" or "text" => v.ValueKind == JsonValueKind.String,
            "long" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
            "float" => v.ValueKind is JsonValueKind.Number or JsonValueKind.Null,
            "ip" => v.ValueKind == JsonValueKind.String && IPAddress.TryParse(v.GetString(), out _),
            "date" => v.ValueKind == JsonValueKind.String && DateTime.TryParseExact(v.GetString(), "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out _),
            _ => false,
        };
        Assert.True(ok, $"{path} = {v.GetRawText()} is not of ECS type {type}");
    }

    private static void Flatten(JsonElement e, string prefix, List<(string, JsonElement)> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name, into);
        }
        else
        {
            into.Add((prefix, e));
        }
    }
}
