using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlowActors.Cluster.Tests;

/// <summary>
/// A throw-away PostgreSQL server for tests: Debian's binaries (package <c>postgresql</c>), <c>initdb</c> into a temp
/// directory, a free loopback port, trust authentication. Run as the <c>postgres</c> user when the tests run as root
/// (initdb refuses root). Stopped with <c>pg_ctl stop -m immediate</c> and deleted on dispose.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly bool _asPostgresUser = Environment.UserName == "root";

    private PostgresServer(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=flowactors;Database=postgres;Pooling=true";

    public static async Task<PostgresServer> StartAsync()
    {
        string dir = Path.Combine(Path.GetTempPath(), "flowactors-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var server = new PostgresServer(dir, FreePort());
        try
        {
            if (server._asPostgresUser) await Run("chown", $"-R postgres {dir}", asPostgres: false);
            await server.Pg("initdb", $"-D {dir}/data -A trust -U flowactors --no-sync -E UTF8");
            await server.Pg("pg_ctl", $"-D {dir}/data -l {dir}/log -w -t 30 -o \"-p {server.Port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off\" start");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private Task Pg(string tool, string args) => Run(Tool(tool), args, _asPostgresUser);

    private static string Tool(string name)
    {
        foreach (var dir in Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Order().Reverse() : [])
        {
            string path = Path.Combine(dir, "bin", name);
            if (File.Exists(path)) return path;
        }
        return name; // on PATH
    }

    private static async Task Run(string file, string args, bool asPostgres)
    {
        var psi = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {args}")
            : new ProcessStartInfo(file, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = Path.GetTempPath();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} exited with {p.ExitCode}: {await stderr}{await stdout}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(_dir, "data", "postmaster.pid"))) await Pg("pg_ctl", $"-D {_dir}/data -m immediate -w stop");
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
