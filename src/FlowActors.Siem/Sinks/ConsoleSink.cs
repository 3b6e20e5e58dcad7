using FlowActors.Siem.Formats;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// Writes one human-readable line per alert (<see cref="AlertTextFormatter"/>) to a text writer (standard output by default).
/// </summary>
public sealed class ConsoleSink : IAlertSink
{
    private readonly TextWriter _out;

    /// <summary>Creates a sink writing to <paramref name="output"/>, or to <see cref="Console.Out"/> when null.</summary>
    public ConsoleSink(TextWriter? output = null, string name = "console")
    {
        _out = output ?? Console.Out;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        foreach (var alert in alerts)
        {
            await _out.WriteLineAsync(AlertTextFormatter.Format(alert, AlertFormatContext.Default).AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        await _out.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
