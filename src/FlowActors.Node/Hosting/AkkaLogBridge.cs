using System.Collections;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Akka's log events into <c>Microsoft.Extensions.Logging</c>, one pipeline with the node's own logs. Akka.Hosting's
/// <see cref="LoggerFactoryLogger"/> logs every event under one category (<c>Akka.Actor.ActorSystem</c>) with
/// <c>LogEvent.ToString()</c> as the message, which carries Akka's own <c>[INFO][timestamp][Thread][source]</c>
/// prefix, so every console line had two levels and two timestamps. This logger passes only the message: the
/// category is the class that logged, the level and time are the console formatter's, and the source (actor
/// path), thread and message template travel as state, which the JSON formatter writes out.
/// </summary>
public sealed class AkkaLogBridge : LoggerFactoryLogger
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<Type, ILogger> _loggers = new();

    /// <summary>Created by Akka from <c>akka.loggers</c>; the factory comes from Akka.Hosting's <see cref="LoggerFactorySetup"/>.</summary>
    public AkkaLogBridge()
    {
        _factory = Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value.LoggerFactory;
    }

    /// <inheritdoc />
    protected override void Log(LogEvent log, ActorPath path)
    {
        ArgumentNullException.ThrowIfNull(log);
        var type = log.LogClass ?? typeof(ActorSystem);
        if (!_loggers.TryGetValue(type, out var logger))
        {
            // Log classes are actor and extension types: a few dozen per system, so the cache stays small.
            logger = _factory.CreateLogger(type.FullName ?? type.Name);
            _loggers[type] = logger;
        }

        var level = Level(log.LogLevel());
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, default, new AkkaLogState(log, path), log.Cause, static (s, _) => s.Message);
    }

    private static MelLogLevel Level(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => MelLogLevel.Debug,
        Akka.Event.LogLevel.InfoLevel => MelLogLevel.Information,
        Akka.Event.LogLevel.WarningLevel => MelLogLevel.Warning,
        _ => MelLogLevel.Error,
    };

    /// <summary>The event's message and its Akka context as structured state.</summary>
    private readonly struct AkkaLogState : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly LogEvent _log;
        private readonly ActorPath _path;

        public AkkaLogState(LogEvent log, ActorPath path)
        {
            _log = log;
            _path = path;
            Message = Format(log);
        }

        public string Message { get; }

        public int Count => 4;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("LogSource", _log.LogSource),
            1 => new("ActorPath", _path?.ToString()),
            2 => new("Thread", _log.Thread.ManagedThreadId),
            3 => new("{OriginalFormat}", _log.Message is LogMessage m ? m.Format : Message),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;

        private static string Format(LogEvent log)
        {
            try
            {
                return log.Message?.ToString() ?? "";
            }
            catch (FormatException ex)
            {
                // A malformed template must not lose the event.
                return log.Message is LogMessage m ? $"{m.Format} (could not be formatted: {ex.Message})" : ex.Message;
            }
        }
    }
}
