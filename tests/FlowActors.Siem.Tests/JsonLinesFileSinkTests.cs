using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;
using FlowActors.Testing;

namespace FlowActors.Siem.Tests;

public sealed class JsonLinesFileSinkTests
{
    private static List<string> Ids(string path) =>
        File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => Alert.FromJsonLine(l).Id).ToList() : [];

    [Fact]
    public async Task Lines_are_canonical_alert_json()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "a", "alerts.jsonl");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path });
        await sink.DeliverAsync([TestAlerts.PortScan(), TestAlerts.Hostile()], CancellationToken.None);
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.True(Alert.FromJsonLine(lines[0]).ContentEquals(TestAlerts.PortScan()));
        Assert.Equal(TestAlerts.HostileText, Alert.FromJsonLine(lines[1]).Summary);
    }

    [Fact]
    public async Task Rotates_by_size_and_keeps_max_files()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "alerts.jsonl");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path, MaxBytes = 4096, MaxFiles = 2 });
        var alerts = TestAlerts.Many(40);
        foreach (var a in alerts) await sink.DeliverAsync([a], CancellationToken.None);

        Assert.True(sink.RotationCount >= 3, $"rotations {sink.RotationCount}");
        Assert.True(new FileInfo(path).Length <= 4096);
        Assert.True(new FileInfo(path + ".1").Length <= 4096);
        Assert.True(File.Exists(path + ".2"));
        Assert.False(File.Exists(path + ".3"));
        // The newest alerts are in the current file, the ones before in .1, .2, without gaps or torn lines.
        var kept = Ids(path + ".2").Concat(Ids(path + ".1")).Concat(Ids(path)).ToList();
        Assert.Equal(alerts.TakeLast(kept.Count).Select(a => a.Id), kept);
    }

    [Fact]
    public async Task Reopens_the_path_after_it_is_renamed()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "alerts.jsonl");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path });
        await sink.DeliverAsync([TestAlerts.PortScan("one")], CancellationToken.None);
        File.Move(path, path + ".old"); // what logrotate does
        await sink.DeliverAsync([TestAlerts.PortScan("two")], CancellationToken.None);
        Assert.Equal(["one"], Ids(path + ".old"));
        Assert.Equal(["two"], Ids(path));
        Assert.Equal(1, sink.ReopenCount);
    }

    [Fact]
    public async Task Reopens_the_path_after_it_is_deleted()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "alerts.jsonl");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path });
        await sink.DeliverAsync([TestAlerts.PortScan("one")], CancellationToken.None);
        File.Delete(path);
        await sink.DeliverAsync([TestAlerts.PortScan("two")], CancellationToken.None);
        Assert.Equal(["two"], Ids(path));
        Assert.Equal(1, sink.ReopenCount);
    }

    [Fact]
    public async Task Reopens_when_another_file_takes_the_path()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "alerts.jsonl");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path });
        await sink.DeliverAsync([TestAlerts.PortScan("one")], CancellationToken.None);
        File.Move(path, path + ".1");
        File.WriteAllText(path, string.Empty); // logrotate's "create": same name, new inode
        await sink.DeliverAsync([TestAlerts.PortScan("two")], CancellationToken.None);
        Assert.Equal(["two"], Ids(path));
        Assert.Equal(["one"], Ids(path + ".1"));
    }

    [Fact]
    public async Task Unwritable_path_at_start_is_a_delivery_failure_until_fixed()
    {
        using var dir = new TempDirectory();
        string blocker = Path.Combine(dir.Path, "data");
        File.WriteAllText(blocker, "a file where the directory should be"); // root ignores permissions; this blocks anyone
        string path = Path.Combine(blocker, "alerts.jsonl");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path });
        await Assert.ThrowsAnyAsync<IOException>(() => sink.DeliverAsync([TestAlerts.PortScan("one")], CancellationToken.None).AsTask());
        Assert.Equal(1, sink.FailureCount);

        File.Delete(blocker);
        await sink.DeliverAsync([TestAlerts.PortScan("one")], CancellationToken.None);
        Assert.Equal(["one"], Ids(path));
    }

    [Fact]
    public async Task Disk_full_fails_the_delivery_leaves_no_torn_line_and_recovers_when_space_frees()
    {
        using var fs = new TinyTmpfs(kilobytes: 64);
        string path = Path.Combine(fs.Path, "alerts.jsonl");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path, MaxBytes = 0 });
        await sink.DeliverAsync([TestAlerts.PortScan("before")], CancellationToken.None);
        string filler = Path.Combine(fs.Path, "filler");
        fs.Fill(filler);

        var big = TestAlerts.Many(40, "full");
        await Assert.ThrowsAnyAsync<IOException>(() => sink.DeliverAsync(big, CancellationToken.None).AsTask());
        await Assert.ThrowsAnyAsync<IOException>(() => sink.DeliverAsync(big, CancellationToken.None).AsTask());
        Assert.Equal(2, sink.FailureCount);
        Assert.Equal(["before"], Ids(path)); // the partial write was cut off

        File.Delete(filler);
        await sink.DeliverAsync(big, CancellationToken.None);
        await sink.DeliverAsync([TestAlerts.PortScan("after")], CancellationToken.None);
        Assert.Equal(["before", .. big.Select(a => a.Id), "after"], Ids(path));
    }

    [Fact]
    public async Task A_torn_last_line_from_a_crash_is_ended_before_appending()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "alerts.jsonl");
        File.WriteAllText(path, TestAlerts.PortScan("whole").ToJsonLine() + "\n{\"id\":\"torn");
        await using var sink = new JsonLinesFileSink(new FileSinkOptions { Path = path });
        await sink.DeliverAsync([TestAlerts.PortScan("next")], CancellationToken.None);
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Equal("next", Alert.FromJsonLine(lines[2]).Id);
    }
}
