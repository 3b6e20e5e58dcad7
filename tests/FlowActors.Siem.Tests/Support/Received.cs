using System.Text.Json;

namespace FlowActors.Siem.Tests.Support;

/// <summary>Reads what a syslog receiver got: each line parsed strictly, keyed by alert id.</summary>
public static class Received
{
    /// <summary>RFC 5424 lines whose SD id starts with <paramref name="idPrefix"/>, parsed, by alert id.</summary>
    public static Dictionary<string, SyslogMessage> Syslog(IEnumerable<string> lines, string idPrefix)
    {
        var result = new Dictionary<string, SyslogMessage>();
        foreach (string line in lines)
        {
            if (!line.Contains(idPrefix, StringComparison.Ordinal)) continue;
            var m = SyslogParser.Parse(line);
            string id = m.StructuredData.Single(e => e.Id == "flowactors@32473")["id"];
            if (id.StartsWith(idPrefix, StringComparison.Ordinal)) result.TryAdd(id, m);
        }

        return result;
    }

    /// <summary>Bare ECS JSON lines whose event.id starts with <paramref name="idPrefix"/>, by alert id.</summary>
    public static Dictionary<string, JsonElement> Ecs(IEnumerable<string> lines, string idPrefix)
    {
        var result = new Dictionary<string, JsonElement>();
        foreach (string line in lines)
        {
            if (!line.Contains(idPrefix, StringComparison.Ordinal)) continue;
            using var doc = JsonDocument.Parse(line);
            string id = doc.RootElement.GetProperty("event").GetProperty("id").GetString()!;
            if (id.StartsWith(idPrefix, StringComparison.Ordinal)) result.TryAdd(id, doc.RootElement.Clone());
        }

        return result;
    }
}
