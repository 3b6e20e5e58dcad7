using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FlowActors.Testing;

/// <summary>Which listeners a <see cref="RsyslogServer"/> opens.</summary>
public enum RsyslogListener
{
    /// <summary>imudp and imtcp (plain; imtcp accepts octet-counting and newline framing alike).</summary>
    UdpAndTcp,

    /// <summary>imtcp over the gtls netstream driver (RFC 5425), anonymous client authentication.</summary>
    Tls,
}

/// <summary>
/// A real rsyslog (Debian <c>rsyslog</c>, plus <c>rsyslog-gnutls</c> for TLS) for one test class: its own
/// configuration, work directory and pid file in a temp dir, free loopback ports, writing every message it
/// receives (the raw message, framing removed, control characters kept) as one line of <see cref="OutputFile"/>.
/// <see cref="StopAsync"/>/<see cref="StartAgainAsync"/> take it down and bring it back on the same ports and file
/// (for outage tests); <see cref="DisposeAsync"/> kills it and deletes the directory.
/// </summary>
public sealed class RsyslogServer : IAsyncDisposable
{
    /// <summary>Where Debian installs the daemon.</summary>
    public const string Daemon = "/usr/sbin/rsyslogd";

    private readonly TempDirectory _dir;
    private readonly StringBuilder _stderr = new();
    private Process? _process;

    private RsyslogServer(TempDirectory dir, RsyslogListener listener, int udpPort, int tcpPort, TlsFiles? tls)
    {
        _dir = dir;
        Listener = listener;
        UdpPort = udpPort;
        TcpPort = tcpPort;
        Tls = tls;
    }

    /// <summary>The listeners opened.</summary>
    public RsyslogListener Listener { get; }

    /// <summary>UDP port (0 with <see cref="RsyslogListener.Tls"/>).</summary>
    public int UdpPort { get; }

    /// <summary>TCP port: plain, or TLS with <see cref="RsyslogListener.Tls"/>.</summary>
    public int TcpPort { get; }

    /// <summary>The certificate files the TLS listener uses.</summary>
    public TlsFiles? Tls { get; }

    /// <summary>The file received messages are written to, one per line.</summary>
    public string OutputFile => Path.Combine(_dir.Path, "received.log");

    /// <summary>Whether the daemon is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the daemon wrote to stderr (for failure messages).</summary>
    public string DaemonErrors
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>Starts rsyslog with the given listeners (TLS needs <paramref name="tls"/>); fails, not skips, when rsyslog is missing.</summary>
    public static async Task<RsyslogServer> StartAsync(RsyslogListener listener = RsyslogListener.UdpAndTcp, TlsFiles? tls = null)
    {
        if (!File.Exists(Daemon)) throw new InvalidOperationException($"{Daemon} not found: install the Debian packages rsyslog and rsyslog-gnutls (.ci/run does).");
        if (listener == RsyslogListener.Tls && tls is null) throw new ArgumentNullException(nameof(tls), "a TLS listener needs certificate files");
        var dir = new TempDirectory("flowactors-rsyslog");
        var server = new RsyslogServer(dir, listener, listener == RsyslogListener.UdpAndTcp ? FreePorts.Udp() : 0, FreePorts.Tcp(), tls);
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, "work"));
            await File.WriteAllTextAsync(Path.Combine(dir.Path, "rsyslog.conf"), server.Config());
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Lines received so far (each one message as rsyslog got it).</summary>
    public IReadOnlyList<string> ReceivedLines()
    {
        if (!File.Exists(OutputFile)) return [];
        using var stream = new FileStream(OutputFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = reader.ReadToEnd();
        // rsyslog writes its file in pieces: a last line without its newline is still being written, not yet received.
        int end = text.LastIndexOf('\n');
        if (end < 0) return [];
        return text[..end].Split('\n').Where(l => l.Length > 0).ToList();
    }

    /// <summary>Waits until at least <paramref name="count"/> lines arrived.</summary>
    public async Task<IReadOnlyList<string>> WaitForLinesAsync(int count, TimeSpan timeout)
    {
        IReadOnlyList<string> lines = [];
        await Eventually.TrueAsync(() => (lines = ReceivedLines()).Count >= count, timeout,
            () => $"rsyslog received {lines.Count} of {count} messages; daemon stderr: {DaemonErrors}");
        return lines;
    }

    /// <summary>Stops the daemon (SIGKILL when <paramref name="kill"/>, else SIGTERM so it flushes), keeping its files.</summary>
    public async Task StopAsync(bool kill = false)
    {
        var p = _process;
        if (p is null) return;
        _process = null;
        if (!p.HasExited)
        {
            if (kill)
            {
                p.Kill();
            }
            else
            {
                using var term = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]);
                await term!.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await p.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill();
                await p.WaitForExitAsync();
            }
        }

        p.Dispose();
        File.Delete(PidFile);
        if (kill) DropTornLastLine();
    }

    /// <summary>
    /// omfile writes its buffer in pieces (4 KiB by default), so a receiver killed between two writes leaves half a
    /// message at the end of its file, and the next instance would append to that half. The half is what the killed
    /// receiver lost (the sender must send it again): it is cut, as a SIEM's parser would discard it.
    /// </summary>
    private void DropTornLastLine()
    {
        if (!File.Exists(OutputFile)) return;
        using var file = new FileStream(OutputFile, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        long end = file.Length;
        if (end == 0) return;
        var one = new byte[1];
        long keep = end;
        while (keep > 0)
        {
            file.Position = keep - 1;
            if (file.Read(one, 0, 1) == 1 && one[0] == (byte)'\n') break;
            keep--;
        }

        if (keep != end) file.SetLength(keep);
    }

    /// <summary>Starts the daemon (again) on the same ports and output file, and waits until it listens.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning) return;
        var start = new ProcessStartInfo(Daemon)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = _dir.Path,
        };
        foreach (string a in new[] { "-n", "-f", Path.Combine(_dir.Path, "rsyslog.conf"), "-i", PidFile }) start.ArgumentList.Add(a);
        var p = new Process { StartInfo = start };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        p.Start();
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _process = p;
        await Eventually.TrueAsync(
            () => p.HasExited || (ListeningTcp(TcpPort) && (UdpPort == 0 || BoundUdp(UdpPort))),
            TimeSpan.FromSeconds(60), () => $"rsyslogd did not listen on tcp {TcpPort}/udp {UdpPort}: {DaemonErrors}");
        if (p.HasExited) throw new InvalidOperationException($"rsyslogd exited with {p.ExitCode}: {DaemonErrors}");
    }

    private string PidFile => Path.Combine(_dir.Path, "rsyslogd.pid");

    private string Config()
    {
        var c = new StringBuilder();
        string work = Path.Combine(_dir.Path, "work");
        // Keep control characters as sent (the tests check the sender's escaping, not rsyslog's) and allow long messages.
        c.Append(CultureInfo.InvariantCulture, $"global(workDirectory=\"{work}\" maxMessageSize=\"256k\" parser.escapeControlCharactersOnReceive=\"off\"");
        if (Tls is { } t)
        {
            c.Append(CultureInfo.InvariantCulture,
                $" defaultNetstreamDriver=\"gtls\" defaultNetstreamDriverCAFile=\"{t.CaFile}\" defaultNetstreamDriverCertFile=\"{t.ServerCertificateFile}\" defaultNetstreamDriverKeyFile=\"{t.ServerKeyFile}\"");
        }

        c.AppendLine(")");
        if (Listener == RsyslogListener.UdpAndTcp)
        {
            c.AppendLine("module(load=\"imudp\")");
            c.AppendLine("module(load=\"imtcp\")");
            c.AppendLine(CultureInfo.InvariantCulture, $"input(type=\"imudp\" address=\"127.0.0.1\" port=\"{UdpPort}\")");
            c.AppendLine(CultureInfo.InvariantCulture, $"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{TcpPort}\")");
        }
        else
        {
            c.AppendLine("module(load=\"imtcp\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")");
            c.AppendLine(CultureInfo.InvariantCulture, $"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{TcpPort}\")");
        }

        c.AppendLine("template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")");
        c.AppendLine(CultureInfo.InvariantCulture, $"*.* action(type=\"omfile\" file=\"{OutputFile}\" template=\"raw\" flushOnTXEnd=\"on\")");
        return c.ToString();
    }

    private static bool ListeningTcp(int port) => ProcNetHas("/proc/net/tcp", port, "0A");

    private static bool BoundUdp(int port) => ProcNetHas("/proc/net/udp", port, null);

    private static bool ProcNetHas(string file, int port, string? state)
    {
        string hex = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (string line in File.ReadLines(file).Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 3 && f[1].EndsWith(hex, StringComparison.Ordinal) && (state is null || f[3] == state)) return true;
        }

        return false;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(kill: true);
        _dir.Dispose();
    }
}
