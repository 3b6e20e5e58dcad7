using FlowActors.Cluster.Persistence;
using FlowActors.Protocols;
using Npgsql;

namespace FlowActors.Cluster.Tests;

/// <summary>The batched host-state table on both databases it runs on: SQLite (default) and PostgreSQL (a throw-away server).</summary>
public sealed class HostStateStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = SqliteTempDirectory.Create();
    private PostgresServer? _pg;
    private readonly List<HostStateStore> _stores = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _stores) s.Dispose();
        if (_pg is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await _pg.DisposeAsync();
        }
        _dir.Dispose();
    }

    private async Task<HostStateStore> StoreAsync(string provider, int writesPerSecond = 50_000)
    {
        var options = new FlowActorsClusterOptions { DataDirectory = _dir.Path, HostStateWritesPerSecond = writesPerSecond };
        if (provider == "postgresql")
        {
            _pg = await PostgresServer.StartAsync();
            options.PersistenceProvider = PersistenceProvider.PostgreSql;
            options.ConnectionString = _pg.ConnectionString();
        }
        else
        {
            options.ConnectionString = "Data Source=" + _dir.File("store.db");
        }
        var store = HostStateStore.Create(options);
        _stores.Add(store);
        return store;
    }

    private static HostStateRow Row(int i, long updated, byte fill) =>
        new(i % 2 == 0 ? FlowAddress.FromV4(0x0A000000u + (uint)i) : FlowAddress.Parse($"fd00::{i:x}"), Enumerable.Repeat(fill, 100 + i % 7).ToArray(), updated);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Many_hosts_are_written_in_one_transaction_and_read_back_in_bulk(string provider)
    {
        var store = await StoreAsync(provider);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var rows = Enumerable.Range(0, 3_000).Select(i => Row(i, now, 1)).ToList();
        await store.UpsertAsync(4, rows);
        Assert.Equal(1, store.Transactions);
        Assert.Equal(3_000, await store.CountAsync(4));

        // Rewriting replaces, never duplicates.
        await store.UpsertAsync(4, rows.Take(10).Select(r => r with { State = new byte[] { 9, 9 } }).ToList());
        Assert.Equal(3_000, await store.CountAsync(4));

        // Rows encoded into a flush's arena are ranges of shared chunks: each is written as exactly its own bytes.
        var arena = new ByteArena();
        var ranged = rows.Skip(10).Take(3).Select((r, k) =>
        {
            var m = arena.Take(3 + k);
            m.Span.Fill((byte)(40 + k));
            return r with { State = m };
        }).ToList();
        await store.UpsertAsync(4, ranged);
        var back = (await store.LoadAsync(4, ranged.Select(r => r.Host).ToList())).ToDictionary(r => r.Host);
        for (int k = 0; k < 3; k++) Assert.Equal(Enumerable.Repeat((byte)(40 + k), 3 + k).ToArray(), back[ranged[k].Host].State.ToArray());

        var wanted = rows.Skip(5).Take(1_200).Select(r => r.Host).Append(FlowAddress.Parse("10.255.0.1")).ToList(); // one host never stored
        var loaded = await store.LoadAsync(4, wanted);
        Assert.Equal(1_200, loaded.Count);
        var byHost = loaded.ToDictionary(r => r.Host);
        Assert.Equal(new byte[] { 9, 9 }, byHost[rows[5].Host].State.ToArray());
        Assert.Equal(rows[700].State.ToArray(), byHost[rows[700].Host].State.ToArray());
        Assert.Empty(await store.LoadAsync(5, wanted)); // another shard's rows are not this shard's
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_starting_shard_gets_recent_hosts_whole_and_only_the_keys_of_older_ones_and_retention_prunes(string provider)
    {
        var store = await StoreAsync(provider);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await store.UpsertAsync(1, Enumerable.Range(0, 20).Select(i => Row(i, i < 5 ? now : now - 3_600_000, 2)).ToList());
        var (active, known) = await store.LoadShardAsync(1, now - 600_000);
        Assert.Equal(5, active.Count);
        Assert.All(active, r => Assert.Equal(now, r.UpdatedMs));
        Assert.Equal(15, known.Count);
        Assert.Equal(Enumerable.Range(5, 15).Select(i => Row(i, 0, 0).Host).ToHashSet(), known.ToHashSet());

        Assert.Equal(15, await store.PruneAsync(now - 1_800_000));
        Assert.Equal(5, await store.CountAsync());
    }

    [Fact]
    public async Task Write_rate_ceiling_grants_at_most_the_budget_except_for_a_forced_hand_off_write()
    {
        var store = await StoreAsync("sqlite", writesPerSecond: 100);
        // Burst capacity is one flush interval (the default SnapshotInterval) of the rate.
        int burst = (int)(100 * FlowActorsClusterOptions.DefaultSnapshotInterval.TotalSeconds);
        Assert.Equal(burst, store.TakeWriteBudget(10_000, force: false));
        Assert.InRange(store.TakeWriteBudget(10_000, force: false), 0, 50); // refills at 100/s: only what trickled in meanwhile
        Assert.Equal(10_000, store.TakeWriteBudget(10_000, force: true));
    }
}
