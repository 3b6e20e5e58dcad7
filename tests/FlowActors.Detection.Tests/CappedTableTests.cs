using FlowActors.Protocols;

namespace FlowActors.Detection.Tests;

/// <summary>The shared storage of the per-host tables (CappedTable): bounded, no allocation per update once grown, snapshots that round-trip.</summary>
public class CappedTableTests
{
    private static FlowAddress Peer(int i) => FlowAddress.Parse($"198.51.100.{i}");

    /// <summary>Writes through a <see cref="LittleEndianWriter"/> kept for one call (ref structs cannot be captured by lambdas).</summary>
    private sealed class SnapshotWriterBox(byte[]? buffer)
    {
        public int Position;

        public void Write(WriteAction action)
        {
            var w = buffer is null ? LittleEndianWriter.Measuring() : LittleEndianWriter.Into(buffer);
            action(ref w);
            Position = w.Position;
        }
    }

    private delegate void WriteAction(ref LittleEndianWriter w);

    [Fact]
    public void A_full_table_stays_at_its_cap_and_replaces_its_weakest_entry()
    {
        var tally = new TallyTable(cap: 4);
        for (int i = 1; i <= 4; i++) tally.Add(Peer(i), 443, bytes: (ulong)(i * 1000), durationMs: 10);

        tally.Add(Peer(9), 443, bytes: 500, durationMs: 10); // lighter than every entry: not kept
        tally.Add(Peer(10), 443, bytes: 5000, durationMs: 10); // heavier than the lightest (peer 1): replaces it

        Assert.Equal(4, tally.Count);
        Assert.Equal(new[] { 2, 3, 4, 10 }.Select(Peer).ToHashSet(), tally.Entries.ToArray().Select(e => e.Peer).ToHashSet());
    }

    [Fact]
    public void Updates_allocate_nothing_once_the_tables_have_grown_to_their_caps()
    {
        var scans = new ScanTable(cap: 8);
        var tally = new TallyTable(cap: 8);
        var loops = new LoopTable(cap: 8);
        var bursts = new BurstTable(cap: 8);
        var accumulator = new ScanAccumulator(cap: 8);
        var peers = Enumerable.Range(0, 32).Select(Peer).ToArray();
        void Round(int round)
        {
            for (int i = 0; i < 32; i++)
            {
                var peer = peers[i];
                scans.Get(peer, (uint)i).Set.Add((uint)(round % 4));
                tally.Add(peer, (uint)i, (ulong)(100 + round), durationMs: 5);
                loops.Add(peer, (ushort)i, timeMs: round * 1000L, horizonMs: 60_000);
                bursts.Add((uint)i, (uint)(round % 4), startMs: round, failed: round % 2 == 0, bytes: 100);
                accumulator.Get(peer, startMs: round, endMs: round, horizonMs: 60_000).Attempts++;
            }
        }

        for (int round = 0; round < 2_000; round++) Round(round); // grows every table to its cap, and warms the JIT up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 2_000; round < 3_000; round++) Round(round);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(8, scans.Count);
        Assert.Equal(8, tally.Count);
        Assert.Equal(8, loops.Count);
        Assert.Equal(8, bursts.Count);
        Assert.Equal(8, accumulator.Count);
    }

    [Fact]
    public void A_beacon_table_holds_no_rings_until_a_peer_repeats_and_then_grows_once_to_its_cap()
    {
        var beacons = new BeaconTable(cap: 6);
        int empty = beacons.HeapBytes();
        for (int i = 1; i <= 10; i++) Assert.False(beacons.Record(Peer(i), 443, startMs: i * 1_000L, bytes: 100, minIntervalMs: 5_000, maxIntervalMs: 3_600_000));
        Assert.Equal(0, beacons.Count);
        Assert.Equal(empty, beacons.HeapBytes()); // one-off peers live in the candidate ring only

        Assert.True(beacons.Record(Peer(1), 443, startMs: 61_000, bytes: 100, minIntervalMs: 5_000, maxIntervalMs: 3_600_000));
        int grown = beacons.HeapBytes();
        Assert.True(grown > empty);
        // Every further tracked peer fits in the arrays the first one allocated: no 2, 4, 6 regrowth.
        for (int i = 2; i <= 6; i++) Assert.True(beacons.Record(Peer(i), 443, startMs: 62_000 + i, bytes: 100, minIntervalMs: 5_000, maxIntervalMs: 3_600_000));
        Assert.Equal(6, beacons.Count);
        Assert.Equal(grown, beacons.HeapBytes());
        Assert.Equal(2u, beacons.ConnectionsTo(Peer(6)));
    }

    [Fact]
    public void A_table_snapshot_is_its_count_then_its_entries_and_reads_back_to_the_same_bytes()
    {
        var loops = new LoopTable(cap: 4);
        loops.Add(Peer(1), 4444, timeMs: 1_000, horizonMs: 60_000);
        loops.Add(Peer(1), 4444, timeMs: 2_000, horizonMs: 60_000);
        loops.Add(Peer(2), 8080, timeMs: 3_000, horizonMs: 60_000);

        var box = new SnapshotWriterBox(null);
        box.Write(loops.Write);
        var bytes = new byte[box.Position];
        new SnapshotWriterBox(bytes).Write(loops.Write);

        // Count (i32), then per entry: address, first ms, last ms, attempts, port, recorded.
        Assert.Equal(2, BitConverter.ToInt32(bytes, 0));
        var reader = new LittleEndianReader(bytes);
        var restored = LoopTable.Read(ref reader, cap: 4);
        Assert.Equal(loops.Entries.ToArray(), restored.Entries.ToArray());
        var again = new byte[bytes.Length];
        new SnapshotWriterBox(again).Write(restored.Write);
        Assert.Equal(bytes, again);
    }
}
