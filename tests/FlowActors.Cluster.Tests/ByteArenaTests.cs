using System.Runtime.InteropServices;
using FlowActors.Cluster.Persistence;

namespace FlowActors.Cluster.Tests;

public sealed class ByteArenaTests
{
    [Fact]
    public void Ranges_are_exact_and_disjoint_and_the_chunks_are_reused_after_reset()
    {
        var arena = new ByteArena(100_000);
        var ranges = Enumerable.Range(1, 200).Select(i => arena.Take(i * 7)).ToList(); // 140,700 bytes: two chunks
        for (int i = 0; i < ranges.Count; i++) ranges[i].Span.Fill((byte)i);
        for (int i = 0; i < ranges.Count; i++)
        {
            Assert.Equal((i + 1) * 7, ranges[i].Length);
            Assert.All(ranges[i].ToArray(), b => Assert.Equal((byte)i, b)); // no later range overwrote it
        }
        Assert.Equal(200_000, arena.CapacityBytes);

        MemoryMarshal.TryGetArray<byte>(ranges[0], out var first);
        arena.Reset();
        MemoryMarshal.TryGetArray<byte>(arena.Take(10), out var again);
        Assert.Same(first.Array, again.Array); // the same chunk, not a new allocation
        Assert.Equal(0, again.Offset);
        Assert.Equal(200_000, arena.CapacityBytes);
    }

    [Fact]
    public void Reset_releases_chunks_beyond_the_kept_bytes_and_a_huge_range_gets_its_own_array()
    {
        var arena = new ByteArena(100_000);
        for (int i = 0; i < 50; i++) arena.Take(20_000); // 5 ranges a chunk: 10 chunks
        Assert.Equal(1_000_000, arena.CapacityBytes);
        arena.Reset(keepBytes: 300_000);
        Assert.Equal(300_000, arena.CapacityBytes);

        var huge = arena.Take(60_000);
        MemoryMarshal.TryGetArray<byte>(huge, out var own);
        Assert.Equal(60_000, own.Array!.Length);
        Assert.Equal(300_000, arena.CapacityBytes);
    }

    [Fact]
    public void ExactArray_returns_a_whole_array_itself_and_copies_a_range()
    {
        var whole = new byte[] { 1, 2, 3 };
        Assert.Same(whole, ByteArena.ExactArray(whole));
        var range = new ByteArena().Take(3);
        range.Span.Fill(7);
        var copy = ByteArena.ExactArray(range);
        Assert.Equal(new byte[] { 7, 7, 7 }, copy);
        Assert.True(MemoryMarshal.TryGetArray<byte>(range, out var chunk) && !ReferenceEquals(chunk.Array, copy));
    }
}
