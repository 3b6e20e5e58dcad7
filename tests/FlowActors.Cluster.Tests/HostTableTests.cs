using System.Runtime.CompilerServices;
using FlowActors.Cluster.Actors;
using FlowActors.Detection;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

/// <summary>The shard's host table: the same answers as a dictionary, through growth, removal and shrinking.</summary>
public sealed class HostTableTests
{
    // The table never looks inside a unit, so a few shared ones stand for many hosts (compared by reference).
    private static readonly HostUnit[] Units = Enumerable.Range(0, 7)
        .Select(i => new HostUnit(FlowAddress.FromV4((uint)i), new HostBehavior(FlowAddress.FromV4((uint)i), new DetectionSettings()), 10))
        .ToArray();

    private static FlowAddress Address(int i) => i % 3 == 0
        ? FlowAddress.Parse($"2001:db8::{i >> 16:x}:{i & 0xFFFF:x}")
        : FlowAddress.FromV4(0x0A00_0000u + (uint)i);

    [Theory]
    [InlineData(1, 40)] // few keys, table near its minimum: runs wrap around the end and removals shift across it
    [InlineData(2, 400)]
    [InlineData(3, 20_000)]
    public void Random_adds_replacements_and_removals_give_the_answers_of_a_dictionary(int seed, int keySpace)
    {
        var rnd = new Random(seed);
        var table = new HostTable();
        var reference = new Dictionary<FlowAddress, HostUnit>();
        for (int op = 0; op < 200_000; op++)
        {
            var key = Address(rnd.Next(keySpace));
            int kind = rnd.Next(10);
            if (kind < 5)
            {
                var unit = Units[rnd.Next(Units.Length)];
                table.Set(key, unit);
                reference[key] = unit;
            }
            else if (kind < 8)
            {
                Assert.Equal(reference.Remove(key), table.Remove(key));
            }
            else
            {
                Assert.Equal(reference.TryGetValue(key, out var expected), table.TryGetValue(key, out var actual));
                Assert.Same(expected, actual);
            }

            Assert.Equal(reference.Count, table.Count);
            if (op % 20_000 == 0) AssertSameContents(reference, table);
        }

        AssertSameContents(reference, table);
        foreach (var key in reference.Keys.ToList())
        {
            Assert.True(table.Remove(key));
            Assert.False(table.TryGetValue(key, out _));
        }
        Assert.Equal(0, table.Count);
        Assert.Empty(table);
    }

    [Fact]
    public void A_storm_of_hosts_passivated_again_leaves_a_small_table()
    {
        var table = new HostTable();
        for (int i = 0; i < 100_000; i++) table.Set(Address(i), Units[i % Units.Length]);
        Assert.Equal(100_000, table.Count);
        Assert.InRange(table.Capacity, 100_000 / 7 * 10, 4 * 100_000); // grown at 70 % load, so at most 4 entries per host

        for (int i = 10; i < 100_000; i++) Assert.True(table.Remove(Address(i)));

        Assert.Equal(10, table.Count);
        Assert.InRange(table.Capacity, HostTable.MinCapacity, 128);
        for (int i = 0; i < 10; i++) Assert.Same(Units[i % Units.Length], table[Address(i)]);
    }

    [Fact]
    public void An_entry_keeps_its_stage_slot_through_growth_and_a_replaced_host_starts_outside_the_stage()
    {
        var table = new HostTable();
        var host = Address(1);
        table.Set(host, Units[0]);
        ref var entry = ref table.Find(host);
        Assert.Equal(-1, entry.StageEpoch);
        entry.StageEpoch = 5;
        entry.StageSlot = 42;

        for (int i = 2; i < 5_000; i++) table.Set(Address(i), Units[1]); // many resizes move the entry

        ref var moved = ref table.Find(host);
        Assert.Equal((5L, 42), (moved.StageEpoch, moved.StageSlot));
        Assert.Same(Units[0], moved.Unit);

        table.Set(host, Units[2]);
        Assert.Equal(-1, table.Find(host).StageEpoch);
        Assert.True(Unsafe.IsNullRef(ref table.Find(Address(9_999))));
        Assert.Throws<KeyNotFoundException>(() => table[Address(9_999)]);
    }

    private static void AssertSameContents(Dictionary<FlowAddress, HostUnit> reference, HostTable table)
    {
        var listed = new List<HostUnit>();
        foreach (var unit in table) listed.Add(unit);
        Assert.Equal(reference.Count, listed.Count);
        foreach (var (key, unit) in reference)
        {
            Assert.True(table.TryGetValue(key, out var found), $"{key} lost");
            Assert.Same(unit, found);
        }
        // Enumeration yields each held entry once: the multiset of units matches.
        Assert.Equal(reference.Values.GroupBy(u => u).ToDictionary(g => g.Key, g => g.Count()),
            listed.GroupBy(u => u).ToDictionary(g => g.Key, g => g.Count()));
    }
}
