using System.Text.Json;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// Appends each alert as one JSON line (the alert's canonical JSON form) to a file, e.g. <c>data/alerts.jsonl</c>.
/// Each delivery is flushed to disk before it returns, so an acknowledged delivery survives a crash.
/// </summary>
public sealed class JsonLinesFileSink : IAlertSink
{
    private readonly FileStream _stream;
    private readonly Utf8JsonWriter _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Opens (creating directories and the file as needed) <paramref name="path"/> for appending.</summary>
    public JsonLinesFileSink(string path, string name = "jsonl")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Name = name;
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        _writer = new Utf8JsonWriter(_stream);
    }

    /// <summary>Full path of the file written.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var alert in alerts)
            {
                alert.WriteJson(_writer);
                _writer.Flush();
                _writer.Reset();
                _stream.WriteByte((byte)'\n');
            }
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            _stream.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
