using System.Data.Common;
using FlowActors.Protocols;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace FlowActors.Cluster.Persistence;

/// <summary>One stored host state: the host, its encoded state (the <c>HostSnapshot</c> layout of <c>FlowActorsSerializer</c>) and when it was written.</summary>
/// <param name="Host">The monitored host.</param>
/// <param name="State">Encoded host state: a row read back owns its array; a row being written may be a range of its flush's <see cref="ByteArena"/>.</param>
/// <param name="UpdatedMs">Unix ms of the write (drives retention and which hosts a starting shard activates).</param>
public readonly record struct HostStateRow(FlowAddress Host, ReadOnlyMemory<byte> State, long UpdatedMs)
{
    /// <summary>The state as one array of its exact length (PostgreSQL binds bytea arrays): see <see cref="ByteArena.ExactArray"/>.</summary>
    public byte[] StateArray() => ByteArena.ExactArray(State);
}

/// <summary>
/// Host states in one table beside Akka.Persistence.Sql's journal and snapshot tables, on the same database
/// (SQLite by default, PostgreSQL in production): <c>flowactors_host_state(shard, host, state, updated_ms)</c>.
/// </summary>
/// <remarks>
/// <para>
/// Why not the plugin's snapshot store: its API is per persistent entity. Restoring a host is one query before the
/// host handles its first message and saving is one statement per host, so a node meeting 50,000 hosts made 50,000
/// round trips (about 400 activations/s were measured) and one persistent actor per host cost memory and a
/// recovery protocol. Here a shard loads the hosts that were active in one query when it starts, the others in
/// batches of many hosts per query when their traffic returns, and writes all its dirty hosts in one transaction
/// per flush. The forwarder keeps its journal in the plugin.
/// </para>
/// <para>
/// Old per-host snapshots (<c>host-&lt;ip&gt;</c> persistence ids in the plugin's snapshot table) are not migrated:
/// a host's baseline is relearnt within its learning period, and reading every old snapshot would be exactly the
/// per-entity cost this store removes. They can be deleted with
/// <c>DELETE FROM snapshot WHERE persistence_id LIKE 'host-%'</c>.
/// </para>
/// Thread-safe. Writes on one node go through one connection at a time (SQLite has a single writer anyway), and
/// a token bucket caps rows written per second.
/// </remarks>
public abstract class HostStateStore : IDisposable
{
    /// <summary>The table's name.</summary>
    public const string TableName = "flowactors_host_state";

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lazy<Task> _created;
    private readonly object _bucketLock = new();
    private readonly double _ratePerMs;
    private readonly double _capacity;
    private double _tokens;
    private long _refilledAt = Environment.TickCount64;
    private Timer? _retention;
    private long _rowsWritten, _rowsLoaded, _transactions, _writeFailures, _pruned;

    /// <summary>Creates a store with a ceiling of <paramref name="writesPerSecond"/> rows per second, in bursts of up to <paramref name="burst"/>.</summary>
    protected HostStateStore(int writesPerSecond, TimeSpan burst)
    {
        _ratePerMs = writesPerSecond / 1000.0;
        _capacity = Math.Max(1, writesPerSecond * Math.Max(1, burst.TotalSeconds));
        _tokens = _capacity;
        _created = new Lazy<Task>(() => Task.Run(CreateTableAsync));
    }

    /// <summary>The store for <paramref name="options"/>' database (SQLite file or PostgreSQL server).</summary>
    public static HostStateStore Create(FlowActorsClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.PersistenceProvider == PersistenceProvider.PostgreSql
            ? new PostgreSqlHostStateStore(options.EffectiveConnectionString, options.HostStateWritesPerSecond, options.SnapshotInterval)
            : new SqliteHostStateStore(options.EffectiveConnectionString, options.HostStateWritesPerSecond, options.SnapshotInterval);
    }

    /// <summary>Rows written since start.</summary>
    public long RowsWritten => Interlocked.Read(ref _rowsWritten);

    /// <summary>Rows loaded since start.</summary>
    public long RowsLoaded => Interlocked.Read(ref _rowsLoaded);

    /// <summary>Write transactions committed since start.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Write transactions that failed (their hosts stay dirty and are written on a later flush).</summary>
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>Rows deleted by retention since start.</summary>
    public long Pruned => Interlocked.Read(ref _pruned);

    /// <summary>
    /// Takes up to <paramref name="wanted"/> rows of the write-rate ceiling; returns how many may be written now.
    /// <paramref name="force"/> (hand-off, shutdown) takes them all regardless: that write must not wait.
    /// </summary>
    public int TakeWriteBudget(int wanted, bool force)
    {
        lock (_bucketLock)
        {
            long now = Environment.TickCount64;
            _tokens = Math.Min(_capacity, _tokens + (now - _refilledAt) * _ratePerMs);
            _refilledAt = now;
            int granted = force ? wanted : (int)Math.Min(wanted, Math.Floor(_tokens));
            _tokens -= granted;
            return granted;
        }
    }

    /// <summary>
    /// Loads a starting shard: full rows of hosts written at or after <paramref name="activeSinceMs"/> (they were active
    /// and are activated at once) and only the keys of the others (loaded lazily when their traffic returns).
    /// </summary>
    public async Task<(List<HostStateRow> Active, List<FlowAddress> Known)> LoadShardAsync(int shard, long activeSinceMs)
    {
        await _created.Value.ConfigureAwait(false);
        await using var connection = await OpenAsync().ConfigureAwait(false);
        var active = new List<HostStateRow>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT host, state, updated_ms FROM {TableName} WHERE shard = @shard AND updated_ms >= @since";
            AddParameter(cmd, "shard", shard);
            AddParameter(cmd, "since", activeSinceMs);
            await ReadRowsAsync(cmd, active).ConfigureAwait(false);
        }
        var known = new List<FlowAddress>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT host FROM {TableName} WHERE shard = @shard AND updated_ms < @since";
            AddParameter(cmd, "shard", shard);
            AddParameter(cmd, "since", activeSinceMs);
            await using var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false)) known.Add(HostOf((byte[])reader[0]));
        }
        Interlocked.Add(ref _rowsLoaded, active.Count);
        return (active, known);
    }

    /// <summary>Loads the stored states of <paramref name="hosts"/> of <paramref name="shard"/> (hosts without a row are absent).</summary>
    public async Task<List<HostStateRow>> LoadAsync(int shard, IReadOnlyList<FlowAddress> hosts)
    {
        await _created.Value.ConfigureAwait(false);
        var rows = new List<HostStateRow>(hosts.Count);
        if (hosts.Count == 0) return rows;
        await using var connection = await OpenAsync().ConfigureAwait(false);
        await LoadHostsAsync(connection, shard, hosts, rows).ConfigureAwait(false);
        Interlocked.Add(ref _rowsLoaded, rows.Count);
        return rows;
    }

    /// <summary>Inserts or replaces <paramref name="rows"/> of <paramref name="shard"/> in one transaction.</summary>
    public async Task UpsertAsync(int shard, IReadOnlyList<HostStateRow> rows)
    {
        if (rows.Count == 0) return;
        await _created.Value.ConfigureAwait(false);
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync().ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
            await UpsertRowsAsync(connection, tx, shard, rows).ConfigureAwait(false);
            await tx.CommitAsync().ConfigureAwait(false);
            Interlocked.Add(ref _rowsWritten, rows.Count);
            Interlocked.Increment(ref _transactions);
        }
        catch
        {
            Interlocked.Increment(ref _writeFailures);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Deletes rows not written since <paramref name="updatedBeforeMs"/>; returns how many.</summary>
    public async Task<int> PruneAsync(long updatedBeforeMs)
    {
        await _created.Value.ConfigureAwait(false);
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync().ConfigureAwait(false);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = $"DELETE FROM {TableName} WHERE updated_ms < @before";
            AddParameter(cmd, "before", updatedBeforeMs);
            int n = await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
            Interlocked.Add(ref _pruned, n);
            return n;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Rows stored for <paramref name="shard"/> (diagnostics and tests).</summary>
    public async Task<long> CountAsync(int? shard = null)
    {
        await _created.Value.ConfigureAwait(false);
        await using var connection = await OpenAsync().ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = shard is null ? $"SELECT COUNT(*) FROM {TableName}" : $"SELECT COUNT(*) FROM {TableName} WHERE shard = @shard";
        if (shard is not null) AddParameter(cmd, "shard", shard.Value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync().ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Deletes rows older than <paramref name="retention"/> now and then every <paramref name="every"/>, so storage
    /// stays bounded by the hosts seen within the retention period. Failures are reported to <paramref name="onError"/>.
    /// </summary>
    public void StartRetention(TimeSpan retention, TimeSpan every, Action<Exception> onError)
    {
        _retention?.Dispose();
        _retention = new Timer(_ =>
        {
            long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)retention.TotalMilliseconds;
            PruneAsync(before).ContinueWith(t =>
            {
                if (t.IsFaulted) onError(t.Exception!.GetBaseException());
                else ClusterMetrics.HostStateRowsPruned.Add(t.Result);
            }, TaskScheduler.Default);
        }, null, TimeSpan.FromSeconds(30), every);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the connection source.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        _retention?.Dispose();
        _writeGate.Dispose();
    }

    /// <summary>Opens a connection.</summary>
    protected abstract Task<DbConnection> OpenAsync();

    /// <summary>Creates the table and its index when missing.</summary>
    protected abstract Task CreateTableAsync();

    /// <summary>Writes <paramref name="rows"/> inside <paramref name="tx"/>.</summary>
    protected abstract Task UpsertRowsAsync(DbConnection connection, DbTransaction tx, int shard, IReadOnlyList<HostStateRow> rows);

    /// <summary>Reads the rows of <paramref name="hosts"/> into <paramref name="into"/>.</summary>
    protected abstract Task LoadHostsAsync(DbConnection connection, int shard, IReadOnlyList<FlowAddress> hosts, List<HostStateRow> into);

    /// <summary>Adds a named parameter (<c>@name</c> in the SQL).</summary>
    protected static void AddParameter(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    /// <summary>Reads (host, state, updated_ms) rows.</summary>
    protected static async Task ReadRowsAsync(DbCommand cmd, List<HostStateRow> into)
    {
        await using var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
            into.Add(new HostStateRow(HostOf((byte[])reader[0]), (byte[])reader[1], reader.GetInt64(2)));
    }

    /// <summary>The key bytes of <paramref name="host"/>: 4 bytes for IPv4, 16 for IPv6.</summary>
    public static byte[] KeyOf(FlowAddress host)
    {
        if (host.IsV4)
        {
            var v4 = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(v4, host.V4);
            return v4;
        }
        var v6 = new byte[16];
        host.WriteBytes(v6);
        return v6;
    }

    /// <summary>The host a key names.</summary>
    public static FlowAddress HostOf(byte[] key) => key.Length switch
    {
        4 => FlowAddress.FromV4(key),
        16 => FlowAddress.FromV6(key),
        _ => throw new InvalidDataException($"{TableName}.host has {key.Length} bytes; expected 4 or 16."),
    };
}

/// <summary><see cref="HostStateStore"/> on the embedded SQLite database.</summary>
internal sealed class SqliteHostStateStore(string connectionString, int writesPerSecond, TimeSpan burst) : HostStateStore(writesPerSecond, burst)
{
    // SQLite allows 32,766 host parameters per statement; one query loads this many hosts.
    private const int MaxHostsPerQuery = 900;

    protected override async Task<DbConnection> OpenAsync()
    {
        var c = new SqliteConnection(connectionString);
        await c.OpenAsync().ConfigureAwait(false);
        return c;
    }

    protected override async Task CreateTableAsync()
    {
        Hosting.SqliteDatabase.Prepare(connectionString);
        await using var c = await OpenAsync().ConfigureAwait(false);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            CREATE TABLE IF NOT EXISTS {TableName} (shard INTEGER NOT NULL, host BLOB NOT NULL, state BLOB NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (shard, host));
            CREATE INDEX IF NOT EXISTS {TableName}_updated ON {TableName} (updated_ms);
            """;
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    protected override Task UpsertRowsAsync(DbConnection connection, DbTransaction tx, int shard, IReadOnlyList<HostStateRow> rows)
    {
        // One prepared statement stepped per row through SQLite's own API, inside the caller's transaction (one fsync for
        // the whole batch). The provider's parameters were the cost here: a binder object per value per row, and a blob
        // had to be a whole array, so every row (a range of its flush's arena) was copied first. sqlite3_bind_blob takes
        // the range as it is and SQLite copies it into its own memory, so writing a row allocates nothing managed.
        var db = ((SqliteConnection)connection).Handle ?? throw new InvalidOperationException("SQLite connection is not open.");
        Check(db, SQLitePCL.raw.sqlite3_prepare_v2(db, UpsertSql, out var statement));
        using (statement)
        {
            Span<byte> key = stackalloc byte[16];
            foreach (var row in rows)
            {
                int length = row.Host.IsV4 ? 4 : 16;
                if (row.Host.IsV4) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(key, row.Host.V4);
                else row.Host.WriteBytes(key);
                Check(db, SQLitePCL.raw.sqlite3_bind_int64(statement, 1, shard));
                Check(db, SQLitePCL.raw.sqlite3_bind_blob(statement, 2, key[..length]));
                Check(db, SQLitePCL.raw.sqlite3_bind_blob(statement, 3, row.State.Span));
                Check(db, SQLitePCL.raw.sqlite3_bind_int64(statement, 4, row.UpdatedMs));
                int rc = SQLitePCL.raw.sqlite3_step(statement);
                if (rc != SQLitePCL.raw.SQLITE_DONE) Check(db, rc);
                Check(db, SQLitePCL.raw.sqlite3_reset(statement));
            }
        }
        return Task.CompletedTask;
    }

    private static readonly string UpsertSql =
        $"INSERT INTO {TableName} (shard, host, state, updated_ms) VALUES (?1, ?2, ?3, ?4) " +
        "ON CONFLICT (shard, host) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms";

    private static void Check(SQLitePCL.sqlite3 db, int rc)
    {
        if (rc != SQLitePCL.raw.SQLITE_OK) throw new SqliteException($"SQLite error {rc} writing host states: {SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string()}", rc);
    }

    protected override async Task LoadHostsAsync(DbConnection connection, int shard, IReadOnlyList<FlowAddress> hosts, List<HostStateRow> into)
    {
        for (int start = 0; start < hosts.Count; start += MaxHostsPerQuery)
        {
            int n = Math.Min(MaxHostsPerQuery, hosts.Count - start);
            await using var cmd = connection.CreateCommand();
            var sql = new System.Text.StringBuilder($"SELECT host, state, updated_ms FROM {TableName} WHERE shard = @shard AND host IN (");
            AddParameter(cmd, "shard", shard);
            for (int i = 0; i < n; i++)
            {
                if (i > 0) sql.Append(',');
                sql.Append("@h").Append(i);
                AddParameter(cmd, "h" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), KeyOf(hosts[start + i]));
            }
            sql.Append(')');
            cmd.CommandText = sql.ToString();
            await ReadRowsAsync(cmd, into).ConfigureAwait(false);
        }
    }
}

/// <summary><see cref="HostStateStore"/> on PostgreSQL: arrays bound once per batch (<c>unnest</c>, <c>= ANY</c>), one statement per batch.</summary>
internal sealed class PostgreSqlHostStateStore : HostStateStore
{
    private readonly NpgsqlDataSource _source;

    public PostgreSqlHostStateStore(string connectionString, int writesPerSecond, TimeSpan burst) : base(writesPerSecond, burst) =>
        _source = NpgsqlDataSource.Create(connectionString);

    protected override async Task<DbConnection> OpenAsync() => await _source.OpenConnectionAsync().ConfigureAwait(false);

    protected override async Task CreateTableAsync()
    {
        await using var c = await OpenAsync().ConfigureAwait(false);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            CREATE TABLE IF NOT EXISTS {TableName} (shard integer NOT NULL, host bytea NOT NULL, state bytea NOT NULL, updated_ms bigint NOT NULL, PRIMARY KEY (shard, host));
            CREATE INDEX IF NOT EXISTS {TableName}_updated ON {TableName} (updated_ms);
            """;
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    protected override async Task UpsertRowsAsync(DbConnection connection, DbTransaction tx, int shard, IReadOnlyList<HostStateRow> rows)
    {
        var hosts = new byte[rows.Count][];
        var states = new byte[rows.Count][];
        var updated = new long[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            hosts[i] = KeyOf(rows[i].Host);
            states[i] = rows[i].StateArray();
            updated[i] = rows[i].UpdatedMs;
        }
        await using var cmd = (NpgsqlCommand)connection.CreateCommand();
        cmd.Transaction = (NpgsqlTransaction)tx;
        cmd.CommandText = $"INSERT INTO {TableName} (shard, host, state, updated_ms) SELECT @shard, h, s, u FROM unnest(@hosts, @states, @updated) AS t(h, s, u) " +
                          "ON CONFLICT (shard, host) DO UPDATE SET state = EXCLUDED.state, updated_ms = EXCLUDED.updated_ms";
        cmd.Parameters.AddWithValue("shard", shard);
        cmd.Parameters.Add(new NpgsqlParameter("hosts", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = hosts });
        cmd.Parameters.Add(new NpgsqlParameter("states", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = states });
        cmd.Parameters.Add(new NpgsqlParameter("updated", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = updated });
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    protected override async Task LoadHostsAsync(DbConnection connection, int shard, IReadOnlyList<FlowAddress> hosts, List<HostStateRow> into)
    {
        var keys = new byte[hosts.Count][];
        for (int i = 0; i < keys.Length; i++) keys[i] = KeyOf(hosts[i]);
        await using var cmd = (NpgsqlCommand)connection.CreateCommand();
        cmd.CommandText = $"SELECT host, state, updated_ms FROM {TableName} WHERE shard = @shard AND host = ANY(@hosts)";
        cmd.Parameters.AddWithValue("shard", shard);
        cmd.Parameters.Add(new NpgsqlParameter("hosts", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = keys });
        await ReadRowsAsync(cmd, into).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _source.Dispose();
        base.Dispose(disposing);
    }
}
