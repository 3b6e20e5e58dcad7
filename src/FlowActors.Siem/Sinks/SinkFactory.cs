using FlowActors.Siem.Formats;
using Microsoft.Extensions.Logging;

namespace FlowActors.Siem.Sinks;

/// <summary>Builds the <see cref="IAlertSink"/> an options entry describes.</summary>
public static class SinkFactory
{
    /// <summary>
    /// The sink for <paramref name="options"/> (its runtime type chooses: <see cref="SyslogSinkOptions"/>,
    /// <see cref="HecSinkOptions"/>, <see cref="WebhookSinkOptions"/>, <see cref="FileSinkOptions"/>,
    /// <see cref="ConsoleSinkOptions"/>). Never throws for an unreachable receiver or an unwritable path: those
    /// are delivery failures. Validate the options first; invalid ones are refused here.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid or of an unknown kind.</exception>
    public static IAlertSink Create(SinkOptions options, AlertFormatContext context, ILoggerFactory? logging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        var problems = options.Validate("sink " + options.EffectiveName).ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        ILogger Logger<T>() => logging?.CreateLogger(typeof(T).FullName!) ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        return options switch
        {
            SyslogSinkOptions s => new SyslogSink(s, context, Logger<SyslogSink>()),
            HecSinkOptions h => new HecSink(h, context, Logger<HecSink>()),
            WebhookSinkOptions w => new WebhookSink(w, context, Logger<WebhookSink>()),
            FileSinkOptions f => new JsonLinesFileSink(f, Logger<JsonLinesFileSink>()),
            ConsoleSinkOptions c => new ConsoleSink(null, c.EffectiveName),
            _ => throw new ArgumentException(
                $"sink {options.EffectiveName}: Kind '{options.Kind}' has no sink; bind the entry onto SyslogSinkOptions, HecSinkOptions, WebhookSinkOptions, FileSinkOptions or ConsoleSinkOptions (SinkOptions.ForKind)",
                nameof(options)),
        };
    }
}
