using System.Text.Json;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// Appends each alert as one line of its canonical JSON (<see cref="AlertJsonFormatter"/>) to a file, e.g.
/// <c>data/alerts.jsonl</c>, rotating it to <c>PATH.1</c> .. <c>PATH.N</c> when it would pass
/// <see cref="FileSinkOptions.MaxBytes"/>. Each delivery is written whole and fsynced before it returns.
/// </summary>
/// <remarks>
/// Faults are delivery failures, never a crash or a jam:
/// an unwritable path (at start or later) fails the delivery and is tried again on the next one; a failed write
/// (ENOSPC, EIO) truncates the partial lines it left, closes the file and reopens it next time, so the writer
/// recovers as soon as space is freed; before each batch the file's path is checked to still name the open file
/// (device and inode compared), so after logrotate moves or deletes it the sink reopens the path instead of
/// writing into a file nobody reads.
/// </remarks>
public sealed class JsonLinesFileSink : IAlertSink
{
    private readonly FileSinkOptions _options;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileStream? _stream;
    private (ulong Device, ulong Inode)? _identity;
    private long _failures;
    private long _reopens;
    private long _rotations;

    /// <summary>Creates a sink appending to <paramref name="path"/> without size rotation (the old default).</summary>
    public JsonLinesFileSink(string path, string name = "jsonl")
        : this(new FileSinkOptions { Path = path, Name = name, MaxBytes = 0 })
    {
    }

    /// <summary>Creates the sink and tries to open the file; a path that cannot be opened now is reported by the first delivery.</summary>
    public JsonLinesFileSink(FileSinkOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        _options = options;
        _log = logger ?? NullLogger.Instance;
        Path = System.IO.Path.GetFullPath(options.Path);
        Name = options.EffectiveName;
        try
        {
            Open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("File sink {Sink}: cannot open {Path} yet ({Error}); deliveries fail until it can be written.", Name, Path, e.Message);
        }
    }

    /// <summary>Full path of the file written.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Opens and writes that failed.</summary>
    public long FailureCount => Interlocked.Read(ref _failures);

    /// <summary>Times the file was reopened because its path named another file or none.</summary>
    public long ReopenCount => Interlocked.Read(ref _reopens);

    /// <summary>Size rotations done.</summary>
    public long RotationCount => Interlocked.Read(ref _rotations);

    /// <inheritdoc />
    public async ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0) return;
        byte[] lines = Render(alerts);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Write(lines);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static byte[] Render(IReadOnlyList<Alert> alerts)
    {
        using var buffer = new MemoryStream(alerts.Count * 640);
        using var writer = new Utf8JsonWriter(buffer);
        foreach (var alert in alerts)
        {
            alert.WriteJson(writer);
            writer.Flush();
            writer.Reset();
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    private void Write(byte[] lines)
    {
        long before = -1;
        try
        {
            if (_stream is not null && !StillNamesOpenFile())
            {
                Close();
                Interlocked.Increment(ref _reopens);
                SiemMetrics.Add(SiemMetrics.FileReopens, 1, Name);
                _log.LogInformation("File sink {Sink}: {Path} was moved or deleted; reopening it.", Name, Path);
            }

            if (_stream is null) Open();
            before = _stream!.Seek(0, SeekOrigin.End);
            if (_options.MaxBytes > 0 && before > 0 && before + lines.Length > _options.MaxBytes)
            {
                Rotate();
                before = _stream!.Seek(0, SeekOrigin.End);
            }

            _stream.Write(lines);
            _stream.Flush(flushToDisk: true);
            SiemMetrics.Add(SiemMetrics.BytesSent, lines.Length, Name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _failures);
            SiemMetrics.Add(SiemMetrics.FileFailures, 1, Name);
            // Cut off any partial line, then let go of the file: a stream that failed keeps failing, a fresh one recovers.
            if (before >= 0 && _stream is not null)
            {
                try
                {
                    _stream.SetLength(before);
                }
                catch (Exception truncate) when (truncate is IOException or UnauthorizedAccessException)
                {
                    _log.LogWarning("File sink {Sink}: cannot truncate the partial write in {Path}: {Error}.", Name, Path, truncate.Message);
                }
            }

            Close();
            _log.LogWarning("File sink {Sink}: writing {Path} failed ({Error}); the alerts will be written again.", Name, Path, e.Message);
            throw new IOException($"file sink {Name}: writing {Path} failed: {e.Message}", e);
        }
    }

    private void Open()
    {
        string? dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        // No FileStream buffer: every byte is written by the call that wrote it, so a failure leaves nothing behind.
        var stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        _stream = stream;
        _identity = FileIdentity.OfHandle(stream.SafeFileHandle);
        RepairTail(stream);
    }

    // A crash mid-write (the process killed, not an I/O error) can leave a line without its newline: end it, so
    // the next alert starts a line of its own and only the torn one is unreadable.
    private static void RepairTail(FileStream stream)
    {
        long length = stream.Seek(0, SeekOrigin.End);
        if (length == 0) return;
        using var read = new FileStream(stream.Name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        read.Seek(length - 1, SeekOrigin.Begin);
        if (read.ReadByte() != '\n')
        {
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: true);
        }
    }

    private bool StillNamesOpenFile()
    {
        if (!FileIdentity.Supported || _identity is null) return File.Exists(Path);
        return FileIdentity.OfPath(Path) is { } now && now == _identity.Value;
    }

    private void Rotate()
    {
        Close();
        int keep = Math.Max(1, _options.MaxFiles);
        string Rotated(int i) => Path + "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.Delete(Rotated(keep));
        for (int i = keep - 1; i >= 1; i--)
        {
            if (File.Exists(Rotated(i))) File.Move(Rotated(i), Rotated(i + 1), overwrite: true);
        }

        File.Move(Path, Rotated(1), overwrite: true);
        Interlocked.Increment(ref _rotations);
        SiemMetrics.Add(SiemMetrics.FileRotations, 1, Name);
        Open();
    }

    private void Close()
    {
        var stream = _stream;
        _stream = null;
        _identity = null;
        if (stream is null) return;
        try
        {
            stream.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing is buffered (bufferSize 0), so closing cannot lose an acknowledged line.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }

        _gate.Dispose();
    }
}
