using FlowActors.Siem.Formats;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// Writes one human-readable line per alert to a text writer (standard output by default):
/// <c>ALERT 2026-11-28T17:05:00.000Z sev 6 port-scan T1046 10.0.0.5: summary [id]</c>.
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

    /// <summary>The line written for <paramref name="alert"/>.</summary>
    public static string Format(Alert alert) => AlertTextFormatter.Format(alert, AlertFormatContext.Default);

    /// <inheritdoc />
    public async ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        foreach (var alert in alerts)
        {
            await _out.WriteLineAsync(Format(alert).AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        await _out.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
