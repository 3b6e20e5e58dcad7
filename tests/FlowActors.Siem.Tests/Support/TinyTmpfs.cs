using System.Diagnostics;
using FlowActors.Testing;

namespace FlowActors.Siem.Tests.Support;

/// <summary>
/// A tmpfs of a few kilobytes mounted on a temp dir (root only), so a test can fill a disk for real (ENOSPC);
/// unmounted and removed on dispose.
/// </summary>
public sealed class TinyTmpfs : IDisposable
{
    private readonly TempDirectory _dir = new("flowactors-tmpfs");
    private bool _mounted;

    /// <summary>Mounts a tmpfs of <paramref name="kilobytes"/> KiB.</summary>
    public TinyTmpfs(int kilobytes)
    {
        Run("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k", "tmpfs", _dir.Path);
        _mounted = true;
    }

    /// <summary>The mount point.</summary>
    public string Path => _dir.Path;

    /// <summary>Writes zeros into <paramref name="file"/> until the file system is full.</summary>
    public void Fill(string file)
    {
        using var s = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        var block = new byte[512];
        try
        {
            while (true) s.Write(block);
        }
        catch (IOException)
        {
            // Full: the point.
        }
    }

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_mounted)
        {
            _mounted = false;
            Run("umount", "-l", _dir.Path);
        }

        _dir.Dispose();
    }
}
