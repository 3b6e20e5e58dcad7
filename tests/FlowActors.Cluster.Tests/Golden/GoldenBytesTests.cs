using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Serialization;

namespace FlowActors.Cluster.Tests.Golden;

/// <summary>
/// Committed bytes of every persisted and alert-bearing message (Golden/*.bin, named <c>name.manifest.bin</c>; the
/// host-state table's blob is <c>host-state.blobN.bin</c>): each must still decode to its <see cref="GoldenValues"/>
/// value, and the current encoder must still write exactly its committed file.
/// </summary>
public sealed class GoldenBytesTests : IDisposable
{
    /// <summary>Name of the current host-state blob format in golden file names.</summary>
    private const string HostStateFormat = "blob2";

    private readonly ActorSystem _system = ActorSystem.Create("golden-tests", ConfigurationFactory.ParseString(TestConfig.Serialization));
    private readonly FlowActorsSerializer _serializer;

    public GoldenBytesTests() => _serializer = (FlowActorsSerializer)_system.Serialization.FindSerializerForType(typeof(ObserveBatch));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>Golden/ in the source tree (written by <c>FLOWACTORS_WRITE_GOLDEN=1</c>, see README.md).</summary>
    private static string SourceDir([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;

    /// <summary>Golden/ as copied beside the test assembly (what a clean checkout reads).</summary>
    private static string OutputDir => Path.Combine(AppContext.BaseDirectory, "Golden");

    private static bool Writing => Environment.GetEnvironmentVariable("FLOWACTORS_WRITE_GOLDEN") == "1";

    private static void PinOrWrite(string file, byte[] bytes)
    {
        if (Writing) File.WriteAllBytes(Path.Combine(SourceDir(), file), bytes);
        string committed = Path.Combine(Writing ? SourceDir() : OutputDir, file);
        Assert.True(File.Exists(committed), $"Golden file {file} is not committed; the encoder's format changed without new golden bytes (see Golden/README.md).");
        Assert.Equal(File.ReadAllBytes(committed), bytes);
    }

    [Fact]
    public void Current_encoder_writes_exactly_the_committed_bytes_for_every_fixed_value()
    {
        foreach (var (name, value) in GoldenValues.Messages())
        {
            PinOrWrite($"{name}.{_serializer.Manifest(value)}.bin", _serializer.ToBinary(value));
        }
        PinOrWrite($"host-state.{HostStateFormat}.bin", FlowActorsSerializer.EncodeHostState(GoldenValues.HostSnapshot()));
    }

    [Fact]
    public void Every_committed_golden_file_decodes_to_its_value()
    {
        var values = GoldenValues.Messages().ToDictionary(m => m.Name, m => m.Value);
        var files = Directory.GetFiles(OutputDir, "*.bin");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var parts = Path.GetFileName(file).Split('.');
            Assert.Equal(3, parts.Length);
            var (name, format) = (parts[0], parts[1]);
            byte[] bytes = File.ReadAllBytes(file);
            if (name == "host-state")
            {
                AssertSame(GoldenValues.HostSnapshot(), FlowActorsSerializer.DecodeHostState(bytes), file);
                continue;
            }
            Assert.True(values.ContainsKey(name), $"{file} has no value in GoldenValues.");
            AssertSame(values[name], _serializer.FromBinary(bytes, format), file);
        }
    }

    [Fact]
    public void Golden_files_cover_every_value_and_the_host_state_blob()
    {
        var names = Directory.GetFiles(OutputDir, "*.bin").Select(f => Path.GetFileName(f).Split('.')[0]).ToHashSet();
        Assert.Superset(GoldenValues.Messages().Select(m => m.Name).Append("host-state").ToHashSet(), names);
    }

    private static void AssertAlert(Alert expected, Alert actual, string file)
    {
        Assert.True(expected.ContentEquals(actual), $"{file}: alert differs: {actual.ToJsonLine()}");
        // ContentEquals skips the ATT&CK names; the golden files carry them too.
        Assert.Equal((expected.TacticName, expected.TechniqueName), (actual.TacticName, actual.TechniqueName));
        Assert.Equal(expected.Evidence.Keys, actual.Evidence.Keys);
    }

    private static void AssertSame(object expected, object actual, string file)
    {
        Assert.IsType(expected.GetType(), actual);
        switch (expected)
        {
            case ForwardAlert e:
                AssertAlert(e.Alert, ((ForwardAlert)actual).Alert, file);
                Assert.Equal(e.TraceParent, ((ForwardAlert)actual).TraceParent);
                break;
            case AlertJournaled e:
                AssertAlert(e.Alert, ((AlertJournaled)actual).Alert, file);
                Assert.Equal(e.TraceParent, ((AlertJournaled)actual).TraceParent);
                break;
            case ForwarderSnapshot e:
            {
                var a = (ForwarderSnapshot)actual;
                Assert.Equal(e.Outbox.Select(o => (o.SequenceNr, o.TraceParent)), a.Outbox.Select(o => (o.SequenceNr, o.TraceParent)));
                for (int i = 0; i < e.Outbox.Count; i++) AssertAlert(e.Outbox[i].Alert, a.Outbox[i].Alert, file);
                Assert.Equal(e.Progress, a.Progress);
                Assert.Equal(e.RecentIds, a.RecentIds);
                break;
            }
            case PulledAlerts e:
            {
                var a = (PulledAlerts)actual;
                Assert.Equal((e.Next, e.Oldest, e.Truncated, e.Window), (a.Next, a.Oldest, a.Truncated, a.Window));
                Assert.Equal(e.Alerts.Select(p => p.Cursor), a.Alerts.Select(p => p.Cursor));
                for (int i = 0; i < e.Alerts.Count; i++) AssertAlert(e.Alerts[i].Alert, a.Alerts[i].Alert, file);
                break;
            }
            case HostSnapshot e:
            {
                var a = (HostSnapshot)actual;
                Assert.Equal((e.Host, e.FlowsObserved), (a.Host, a.FlowsObserved));
                Assert.Equal(e.Behavior, a.Behavior);
                Assert.Equal(e.Unacknowledged.Length, a.Unacknowledged.Length);
                for (int i = 0; i < e.Unacknowledged.Length; i++) AssertAlert(e.Unacknowledged[i], a.Unacknowledged[i], file);
                break;
            }
            case ObserveBatch e:
            {
                var a = (ObserveBatch)actual;
                Assert.Equal(e.Host, a.Host);
                Assert.Equal(e.Observations, a.Observations);
                break;
            }
            case ShardObservations e:
            {
                var a = (ShardObservations)actual;
                Assert.Equal((e.Shard, e.Count), (a.Shard, a.Count));
                Assert.Equal(e.Observations.AsSpan(0, e.Count).ToArray(), a.Observations.AsSpan(0, a.Count).ToArray());
                ObservationPool.Return(a.Observations);
                break;
            }
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }
}
