using System.Buffers.Binary;

namespace FlowActors.Detection.Tests.Golden;

using static Traffic;

/// <summary>Version 3's tagged sections: what a newer or an older writer's snapshot does in this reader.</summary>
public class SnapshotFormatTests
{
    private static HostBehavior Sample()
    {
        var h = new HostBehavior(Host, Settings());
        var alerts = new List<Alert>();
        for (int i = 0; i < 30; i++) h.Observe(Out(Ip("198.51.100.7"), 443, (ushort)(40_000 + i), startMs: T0 + (i * 20_000)), alerts);
        for (int i = 0; i < 5; i++) h.Observe(In(Ip("10.0.0.9"), 22, (ushort)(52_000 + i), startMs: T0 + i), alerts);
        return h;
    }

    /// <summary>The snapshot's sections in order, after the 3-byte header.</summary>
    private static List<(ushort Tag, byte[] Payload)> Sections(byte[] snapshot)
    {
        var list = new List<(ushort, byte[])>();
        int at = 3;
        while (at < snapshot.Length)
        {
            ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(snapshot.AsSpan(at));
            int length = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at + 2));
            list.Add((tag, snapshot.AsSpan(at + 6, length).ToArray()));
            at += 6 + length;
        }
        Assert.Equal(snapshot.Length, at);
        return list;
    }

    private static byte[] Build(byte[] header, IEnumerable<(ushort Tag, byte[] Payload)> sections)
    {
        var bytes = new List<byte>(header[..3]);
        foreach (var (tag, payload) in sections)
        {
            var h = new byte[6];
            BinaryPrimitives.WriteUInt16LittleEndian(h, tag);
            BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(2), payload.Length);
            bytes.AddRange(h);
            bytes.AddRange(payload);
        }
        return [.. bytes];
    }

    [Fact]
    public void Snapshot_is_version_3_with_the_clock_first_and_each_section_once()
    {
        byte[] snapshot = Sample().ToSnapshot();
        Assert.Equal(new byte[] { 0x46, 0x48, 3 }, snapshot[..3]);
        var tags = Sections(snapshot).Select(s => s.Tag).ToList();
        Assert.Equal(1, tags[0]);
        Assert.Equal(tags.Count, tags.Distinct().Count());
    }

    [Fact]
    public void A_section_from_a_newer_writer_is_skipped_and_fields_appended_to_a_known_section_are_ignored()
    {
        var original = Sample();
        byte[] snapshot = original.ToSnapshot();
        var sections = Sections(snapshot);
        // A newer writer: an unknown section in the middle, one at the end, and 12 more bytes in the clock section.
        var newer = sections.Select(s => s.Tag == 1 ? (s.Tag, [.. s.Payload, .. new byte[12]]) : s).ToList();
        newer.Insert(2, (200, [1, 2, 3, 4, 5]));
        newer.Add((31, [9]));
        var restored = HostBehavior.Restore(Build(snapshot, newer), Host, Settings());
        Assert.Equal(snapshot, restored.ToSnapshot());
    }

    [Fact]
    public void Sections_in_another_order_restore_the_same_state()
    {
        byte[] snapshot = Sample().ToSnapshot();
        var reversed = Sections(snapshot).AsEnumerable().Reverse();
        Assert.Equal(snapshot, HostBehavior.Restore(Build(snapshot, reversed), Host, Settings()).ToSnapshot());
    }

    [Fact]
    public void A_missing_optional_section_starts_empty_and_a_missing_clock_or_a_repeated_section_is_refused()
    {
        var sample = Sample();
        byte[] snapshot = sample.ToSnapshot();
        var sections = Sections(snapshot);
        Assert.Contains(sections, s => s.Tag == 6); // beacons

        // An older writer that did not know beacon tables: the rest restores, the beacon table starts empty.
        var withoutBeacons = HostBehavior.Restore(Build(snapshot, sections.Where(s => s.Tag != 6)), Host, Settings());
        Assert.DoesNotContain(Sections(withoutBeacons.ToSnapshot()), s => s.Tag == 6);
        Assert.Equal(sample.EventTimeMs, withoutBeacons.EventTimeMs);

        Assert.Throws<InvalidDataException>(() => HostBehavior.Restore(Build(snapshot, sections.Where(s => s.Tag != 1)), Host, Settings()));
        Assert.Throws<InvalidDataException>(() => HostBehavior.Restore(Build(snapshot, [.. sections, sections[1]]), Host, Settings()));
    }

    [Fact]
    public void A_snapshot_from_a_newer_format_version_is_refused_with_a_clear_error()
    {
        byte[] snapshot = Sample().ToSnapshot();
        snapshot[2] = 4;
        var e = Assert.Throws<InvalidDataException>(() => HostBehavior.Restore(snapshot, Host, Settings()));
        Assert.Contains("version 4", e.Message);
    }
}
