using System.Diagnostics;
using Npgsql;

namespace FlowActors.Testing;

/// <summary>
/// A throw-away PostgreSQL server for one test: Debian's server binaries, <c>initdb</c> into a temp dir,
/// a free loopback port, its unix socket inside the temp dir; stopped and deleted on dispose. When the
/// tests run as root (CI does), the server runs as the <c>postgres</c> user through <c>runuser</c>,
/// because PostgreSQL refuses to run as root.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Superuser the cluster is initialised with (trust authentication on loopback only).</summary>
    public const string User = "flowactors";

    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private bool _stopped;

    private PostgresServer(string bin, string directory, int port, bool asPostgresUser)
    {
        _bin = bin;
        Directory = directory;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The temp directory holding data, socket and log.</summary>
    public string Directory { get; }

    /// <summary>Loopback TCP port.</summary>
    public int Port { get; }

    /// <summary>Connection string for <paramref name="database"/>.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username={User};Database={database};Pooling=false;Timeout=15";

    /// <summary>Where the server binaries are (newest major version under /usr/lib/postgresql).</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!System.IO.Directory.Exists(root)) return null;
        return System.IO.Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>Initialises and starts a server; fails (does not skip) when the binaries are missing.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        string bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin. Install the Debian 'postgresql' package; .ci/run does.");
        bool root = Environment.UserName == "root";
        var temp = new TempDirectory("flowactors-pg");
        var server = new PostgresServer(bin, temp.Path, FreePorts.Tcp(), root);
        try
        {
            string data = Path.Combine(server.Directory, "data");
            string socket = Path.Combine(server.Directory, "socket");
            System.IO.Directory.CreateDirectory(socket);
            if (root)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", server.Directory]);
            }

            await server.RunServerToolAsync("initdb", ["-D", data, "-U", User, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
            await server.RunServerToolAsync("pg_ctl",
            [
                "-D", data, "-l", Path.Combine(server.Directory, "server.log"), "-w", "-t", "60",
                "-o", $"-p {server.Port} -k {socket} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "start",
            ]);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            string data = Path.Combine(Directory, "data");
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                await RunServerToolAsync("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"]);
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private Task RunServerToolAsync(string tool, string[] args)
    {
        string path = Path.Combine(_bin, tool);
        return _asPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args])
            : RunAsync(path, args);
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within 90 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}
