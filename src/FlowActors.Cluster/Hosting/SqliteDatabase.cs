using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace FlowActors.Cluster.Hosting;

/// <summary>Prepares the embedded SQLite database before Akka.Persistence.Sql opens it.</summary>
public static class SqliteDatabase
{
    // One open connection per database file for the life of the process: in WAL mode the last connection to close
    // removes the -wal/-shm files, and connections that then open concurrently race to recreate them
    // ("unable to open database file", seen when the journal and snapshot store initialise together).
    private static readonly ConcurrentDictionary<string, SqliteConnection> Keepers = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates the database file (and its directory) and switches it to write-ahead logging. The journal and the
    /// snapshot store initialise concurrently on separate connections; on a brand-new file in rollback-journal
    /// mode that race fails with "disk I/O error" / "attempt to write a readonly database". WAL also lets several
    /// writers (snapshots, forwarder journal) wait on each other instead of failing.
    /// </summary>
    public static void Prepare(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:") return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string path = Path.GetFullPath(builder.DataSource);
        Keepers.GetOrAdd(path, _ =>
        {
            var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
            return connection;
        });
    }

    /// <summary>Closes the connection <see cref="Prepare"/> keeps open for <paramref name="connectionString"/> (tests that delete the file).</summary>
    public static void Release(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.DataSource)) return;
        if (Keepers.TryRemove(Path.GetFullPath(builder.DataSource), out var connection)) connection.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
