using System.Text.Json;
using System.Text.RegularExpressions;
using FlowActors.Node.Tests.Harness;

namespace FlowActors.Node.Tests;

/// <summary>
/// Issue 11, Logs: one pipeline. Akka's events go through Microsoft.Extensions.Logging like the node's own, each line
/// with one timestamp and one level; <c>Logging:Console:FormatterName=json</c> makes every line a JSON object.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed partial class LoggingTests
{
    /// <summary>A simple-formatter line: UTC timestamp, level, category, message.</summary>
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): [\w.`]+\[\d+\] ")]
    internal static partial Regex SimpleLine();

    /// <summary>Akka's own prefix (<c>[INFO][12/01/2026 08:27:01.388Z][Thread 0008]</c>), which must not reach a log line.</summary>
    [GeneratedRegex(@"\[(DEBUG|INFO|WARNING|ERROR)\]\[\d\d/\d\d/\d{4} ")]
    internal static partial Regex AkkaPrefix();

    /// <summary>Asserts that the simple-formatter <paramref name="stdout"/> has one timestamp and one level per line, Akka's included.</summary>
    internal static void AssertSingleLineLogs(IReadOnlyList<string> stdout)
    {
        var logLines = stdout.Where(l => SimpleLine().IsMatch(l)).ToList();
        Assert.NotEmpty(logLines);
        Assert.DoesNotContain(stdout, l => AkkaPrefix().IsMatch(l));
        // Akka's cluster core (a string source: category "Akka") and the receiver actor log through the same formatter.
        Assert.Contains(logLines, l => l.Contains(" info: Akka[0] Cluster Node [", StringComparison.Ordinal) && l.Contains("Started up successfully", StringComparison.Ordinal));
        // Remoting's last lines come after Akka's loggers stopped, through the minimal logger: the same format.
        Assert.Contains(logLines, l => l.Contains(" info: Akka[0] Remoting shut down", StringComparison.Ordinal));
        Assert.Contains(logLines, l => l.Contains(" info: FlowActors.Cluster.Receiving.FlowReceiverActor[0] Receiving flows on UDP 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_json_formatter_every_line_on_standard_output_is_a_json_log_record_akka_included()
    {
        using var data = new TempDirectory();
        var environment = NodeProcess.FreshEnvironment(data.Path, FreePorts.Udp());
        environment["Logging__Console__FormatterName"] = "json";
        await using var node = NodeProcess.Start(environment);
        await node.WaitReadyAsync();
        Assert.Equal(0, await node.TerminateAsync());

        var records = new List<JsonElement>();
        foreach (string line in node.StandardOutputLines)
        {
            using var doc = JsonDocument.Parse(line); // throws, naming the line's content, when a line is not JSON
            records.Add(doc.RootElement.Clone());
        }

        Assert.NotEmpty(records);
        Assert.All(records, r =>
        {
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r.GetProperty("Timestamp").GetString());
            Assert.NotEmpty(r.GetProperty("LogLevel").GetString()!);
            Assert.DoesNotMatch(AkkaPrefix(), r.GetProperty("Message").GetString()!);
        });
        var receiving = records.First(r => r.GetProperty("Category").GetString() == "FlowActors.Cluster.Receiving.FlowReceiverActor"
            && r.GetProperty("Message").GetString()!.StartsWith("Receiving flows on UDP 127.0.0.1:", StringComparison.Ordinal));
        Assert.Equal("Information", receiving.GetProperty("LogLevel").GetString());
        // The actor that logged travels as state, for filtering in a log store.
        Assert.Matches("^akka.tcp://flowactors@127.0.0.1:[0-9]+/user/flow-receivers/udp-", receiving.GetProperty("State").GetProperty("LogSource").GetString());
        Assert.Contains(records, r => r.GetProperty("Category").GetString() == "Akka" && r.GetProperty("Message").GetString()!.Contains("Started up successfully", StringComparison.Ordinal));
        Assert.Contains(records, r => r.GetProperty("Category").GetString() == "Akka" && r.GetProperty("Message").GetString() == "Remoting shut down");
    }
}
