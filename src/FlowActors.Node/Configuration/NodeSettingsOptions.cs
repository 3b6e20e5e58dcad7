using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowActors.Node.Configuration;

/// <summary>One configuration value that stops the node from starting.</summary>
/// <param name="Key">Full configuration key, e.g. <c>FlowActors:Cluster:Port</c>.</param>
/// <param name="Message">What is wrong and how to fix it, naming the key and its environment variable.</param>
public sealed record SettingError(string Key, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;

    /// <summary>The error a validation failure message stands for: every message starts with its key.</summary>
    internal static SettingError FromMessage(string message)
    {
        int space = message.IndexOf(' ', StringComparison.Ordinal);
        return new SettingError(space > 0 ? message[..space] : NodeSettingsOptions.SectionName, message);
    }
}

/// <summary>Thrown when the configuration holds values the node cannot start with.</summary>
public sealed class InvalidSettingsException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public InvalidSettingsException(IReadOnlyList<SettingError> errors)
        : base("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)))
    {
        Errors = errors;
    }

    /// <summary>Every bad setting, in configuration order.</summary>
    public IReadOnlyList<SettingError> Errors { get; }
}

/// <summary>
/// How a setting is checked and what its error message says: the range of a number (a DataAnnotations
/// <see cref="ValidationAttribute"/>, run by <see cref="NodeSettingsValidator"/>), and the fix the message proposes.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingAttribute(string fix) : ValidationAttribute
{
    /// <summary>What to set the key to, completing "Set VARIABLE ...", e.g. "to a free TCP port, e.g. 4053".</summary>
    public string Fix { get; } = fix;

    /// <summary>Smallest accepted value of a number (unset: no lower bound).</summary>
    public long Min { get; set; } = long.MinValue;

    /// <summary>Largest accepted value of a number (unset: no upper bound).</summary>
    public long Max { get; set; } = long.MaxValue;

    /// <summary>What a value must be, completing "KEY must ...", when it is not the range (e.g. "be sqlite or postgresql").</summary>
    public string? Must { get; set; }

    /// <summary>"be 0-65535", "be true or false", ...: the rule a bad value of <paramref name="type"/> broke.</summary>
    public string Rule(Type type)
    {
        if (Must is not null) return Must;
        if (Min != long.MinValue || Max != long.MaxValue) return $"be {Min.ToString(CultureInfo.InvariantCulture)}-{Max.ToString(CultureInfo.InvariantCulture)}";
        if (type == typeof(bool)) return "be true or false";
        return "be " + (type == typeof(int) || type == typeof(long) ? "a whole number" : "a " + type.Name);
    }

    /// <inheritdoc />
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        if (value is int or long && Convert.ToInt64(value, CultureInfo.InvariantCulture) is var v && (v < Min || v > Max))
        {
            return new ValidationResult("must " + Rule(value.GetType()), [validationContext.MemberName!]);
        }

        return ValidationResult.Success;
    }
}

/// <summary>A public property that configuration must not set (state the node fills in itself).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotASettingAttribute : Attribute;

/// <summary>
/// The node's settings as .NET options: <see cref="AddNodeSettings"/> registers <see cref="NodeSettings"/> bound from the
/// <c>FlowActors</c> section (unknown keys refused), completed (defaults derived from other keys, secrets read from their
/// <c>*File</c> keys, relative paths made absolute against the working directory) and validated by
/// <see cref="NodeSettingsValidator"/> on start. <see cref="Read"/> runs the same pipeline eagerly, so that
/// <c>Program.Main</c> prints every error before Akka starts.
/// </summary>
public static class NodeSettingsOptions
{
    /// <summary>Name of the configuration section.</summary>
    public const string SectionName = "FlowActors";

    /// <summary>The three roles a node can carry.</summary>
    public static readonly IReadOnlyList<string> AllRoles = ["edge", "analytics", "forwarder"];

    /// <summary>Detection window used by the demo, so the bundled captures' alerts appear within seconds.</summary>
    public const int DemoWindowSeconds = 10;

    /// <summary>Placeholder values from examples (k8s/secret.example.yaml) that must never reach a running node.</summary>
    public static readonly IReadOnlyList<string> PlaceholderTokens = ["change-me-to-a-long-random-secret", "change-me", "changeme"];

    /// <summary>Shortest operator token accepted on a non-loopback bind.</summary>
    public const int MinimumExposedTokenLength = 16;

    /// <summary>Name of the default JSON-lines file sink (index 0); delivery progress is journalled under it.</summary>
    public const string DefaultFileSinkName = "jsonl";

    /// <summary>Name of the default console sink (index 1).</summary>
    public const string DefaultConsoleSinkName = "console";

    /// <summary>
    /// Registers <see cref="NodeSettings"/> as options bound from <paramref name="configuration"/>'s <c>FlowActors</c>
    /// section, with <see cref="NodeSettingsValidator"/> and <c>ValidateOnStart</c>.
    /// </summary>
    public static OptionsBuilder<NodeSettings> AddNodeSettings(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        services.AddSingleton<IValidateOptions<NodeSettings>, NodeSettingsValidator>();
        return services.AddOptions<NodeSettings>()
            .Configure(settings => NodeSettingsBinder.Bind(section, settings))
            .PostConfigure(NodeSettingsBinder.Complete)
            .ValidateOnStart();
    }

    /// <summary>Binds and validates the settings, throwing <see cref="InvalidSettingsException"/> listing every bad value.</summary>
    public static NodeSettings Read(IConfiguration configuration)
    {
        var settings = TryRead(configuration, out var errors);
        if (errors.Count > 0) throw new InvalidSettingsException(errors);
        return settings!;
    }

    /// <summary>Binds and validates the settings; returns null and the errors when any value is bad.</summary>
    public static NodeSettings? TryRead(IConfiguration configuration, out IReadOnlyList<SettingError> errors)
    {
        var services = new ServiceCollection();
        services.AddNodeSettings(configuration);
        using var provider = services.BuildServiceProvider();
        try
        {
            errors = [];
            return provider.GetRequiredService<IOptions<NodeSettings>>().Value;
        }
        catch (OptionsValidationException e)
        {
            errors = e.Failures.Select(SettingError.FromMessage).ToList();
            return null;
        }
    }

    /// <summary>The environment variable that sets <paramref name="key"/> (<c>FlowActors:Cluster:Port</c> → <c>FLOWACTORS__CLUSTER__PORT</c>).</summary>
    public static string EnvironmentVariableFor(string key) => key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

    /// <summary>The message of a bad value: "KEY must RULE (got 'VALUE'). Set VARIABLE FIX."</summary>
    internal static string Message(string key, string got, string must, string fix) =>
        $"{key} {must} (got '{got}'). Set {EnvironmentVariableFor(key)} {fix}.";

    /// <summary>A connection string with its password replaced, for messages and <c>flowctl node config</c>.</summary>
    public static string Redact(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in new[] { "password", "pwd" })
            {
                if (builder.ContainsKey(key)) builder[key] = "***";
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(unparseable)";
        }
    }
}
