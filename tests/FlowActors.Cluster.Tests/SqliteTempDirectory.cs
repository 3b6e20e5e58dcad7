namespace FlowActors.Cluster.Tests;

/// <summary>Temp directories for tests that keep SQLite databases in them.</summary>
internal static class SqliteTempDirectory
{
    /// <summary>A <see cref="TempDirectory"/> whose SQLite databases are released (pooled connections closed) before it is deleted.</summary>
    public static TempDirectory Create() => new("flowactors", ReleaseDatabases);

    private static void ReleaseDatabases(string path)
    {
        foreach (var db in Directory.EnumerateFiles(path, "*.db")) Hosting.SqliteDatabase.Release("Data Source=" + db);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
