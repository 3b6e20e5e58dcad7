using System.Collections;
using System.Collections.Concurrent;
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
/// category is the class that logged, the level and time are the console formatter's, and the source (the actor
/// path, or what logged), thread and message template travel as state, which the JSON formatter writes out.
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
    protected override void Log(LogEvent log, ActorPath path) => Write(_factory, _loggers, log);

    /// <summary>Writes <paramref name="log"/> to the logger of its category, created once per log class.</summary>
    internal static void Write(ILoggerFactory factory, IDictionary<Type, ILogger> loggers, LogEvent log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var type = log.LogClass ?? typeof(DummyClassForStringSources);
        if (!loggers.TryGetValue(type, out var logger))
        {
            // Log classes are actor and extension types: a few dozen per system, so the cache stays small. Events
            // logged with a string source (remoting, the cluster core) have no class of their own: they are "Akka".
            logger = factory.CreateLogger(type == typeof(DummyClassForStringSources) ? "Akka" : type.FullName ?? type.Name);
            loggers[type] = logger;
        }

        var level = Level(log.LogLevel());
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, default, new AkkaLogState(log), log.Cause, static (s, _) => s.Message);
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

        public AkkaLogState(LogEvent log)
        {
            _log = log;
            Message = Format(log);
        }

        public string Message { get; }

        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("LogSource", _log.LogSource),
            1 => new("Thread", _log.Thread.ManagedThreadId),
            2 => new("{OriginalFormat}", _log.Message is LogMessage m ? m.Format : Message),
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

/// <summary>
/// Akka's minimal logger, used before the loggers start and after they stop (remoting's last lines at shutdown),
/// writing into the same <c>Microsoft.Extensions.Logging</c> pipeline as <see cref="AkkaLogBridge"/> instead of
/// printing Akka's own format to standard output. Akka creates it from <c>akka.stdout-logger-class</c> without
/// arguments, so the node hands it its logger factory through <see cref="Use"/>; until then it writes to
/// standard error, keeping standard output to the log formatter's lines.
/// </summary>
public sealed class AkkaStdoutBridge : MinimalLogger
{
    /// <summary>The HOCON that installs it.</summary>
    public static readonly string Hocon = $"akka.stdout-logger-class = \"{typeof(AkkaStdoutBridge).FullName}, {typeof(AkkaStdoutBridge).Assembly.GetName().Name}\"";

    private static ILoggerFactory? s_factory;
    private readonly ConcurrentDictionary<Type, ILogger> _loggers = new();

    /// <summary>Sets the factory every instance writes to (the node's; one per process).</summary>
    public static void Use(ILoggerFactory factory) => Volatile.Write(ref s_factory, factory);

    /// <inheritdoc />
    protected override void Log(object message)
    {
        var factory = Volatile.Read(ref s_factory);
        if (message is not LogEvent log || factory is null)
        {
            Console.Error.WriteLine(message);
            return;
        }

        try
        {
            AkkaLogBridge.Write(factory, _loggers, log);
        }
        catch (ObjectDisposedException)
        {
            // The host's logging is already gone at the very end of shutdown.
            Console.Error.WriteLine(log.ToString());
        }
    }
}
