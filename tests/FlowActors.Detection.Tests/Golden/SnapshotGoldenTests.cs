using System.Runtime.CompilerServices;

namespace FlowActors.Detection.Tests.Golden;

using static Traffic;

/// <summary>
/// Committed host behaviour snapshots (Golden/host-behavior-SCENARIO.vN.bin, see Golden/README.md): every committed
/// version restores to a state that writes the same bytes and raises the same alerts as one built from the same
/// traffic now, and the current writer still writes exactly its committed file.
/// </summary>
public class SnapshotGoldenTests
{
    /// <summary>A fixed traffic prefix (snapshotted) and the suffix fed after restoring.</summary>
    private static (DetectionSettings Settings, List<FlowObservation> Before, List<FlowObservation> After) Scenario(string name)
    {
        switch (name)
        {
            case "workstation":
            {
                var traffic = BenignTraffic.Workstation(Host, seed: 7, hours: 6).ToList();
                int half = traffic.Count / 2;
                return (Settings(TimeSpan.FromHours(1)), traffic.Take(half).ToList(), traffic.Skip(half).ToList());
            }
            case "mid-scan":
            {
                // 1,000 of 2,000 probes: the port sketch has switched to HyperLogLog when the snapshot is taken.
                var probes = Enumerable.Range(1, 2_000)
                    .Select(p => Out(Ip("10.0.0.9"), (ushort)p, flags: Syn, packets: 1, bytes: 44, startMs: T0 + p, durationMs: 0))
                    .ToList();
                return (Settings(), probes.Take(1_000).ToList(), probes.Skip(1_000).ToList());
            }
            default:
                throw new ArgumentException($"No golden scenario '{name}'.", nameof(name));
        }
    }

    private static HostBehavior Build(DetectionSettings settings, IEnumerable<FlowObservation> before)
    {
        var h = new HostBehavior(Host, settings);
        var ignored = new List<Alert>();
        foreach (var o in before) h.Observe(in o, ignored);
        return h;
    }

    private static string SourceDir([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;

    private static string OutputDir => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static TheoryData<string> Scenarios => new() { "workstation", "mid-scan" };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Current_writer_writes_exactly_the_committed_snapshot(string scenario)
    {
        var (settings, before, _) = Scenario(scenario);
        byte[] bytes = Build(settings, before).ToSnapshot();
        string file = $"host-behavior-{scenario}.v{bytes[2]}.bin";
        bool writing = Environment.GetEnvironmentVariable("FLOWACTORS_WRITE_GOLDEN") == "1";
        if (writing) File.WriteAllBytes(Path.Combine(SourceDir(), file), bytes);
        string committed = Path.Combine(writing ? SourceDir() : OutputDir, file);
        Assert.True(File.Exists(committed), $"Golden file {file} is not committed; the snapshot format changed without new golden bytes (see Golden/README.md).");
        Assert.Equal(File.ReadAllBytes(committed), bytes);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Every_committed_snapshot_version_restores_the_same_behaviour(string scenario)
    {
        var (settings, before, after) = Scenario(scenario);
        var files = Directory.GetFiles(OutputDir, $"host-behavior-{scenario}.v*.bin");
        Assert.NotEmpty(files);
        var straight = Build(settings, before);
        byte[] now = straight.ToSnapshot();
        var expected = Run(straight, after);
        foreach (var file in files)
        {
            var restored = HostBehavior.Restore(File.ReadAllBytes(file), Host, settings);
            Assert.Equal(now, restored.ToSnapshot());
            Assert.Equal(expected.Select(a => a.ToJsonLine()), Run(restored, after).Select(a => a.ToJsonLine()));
        }
    }
}
