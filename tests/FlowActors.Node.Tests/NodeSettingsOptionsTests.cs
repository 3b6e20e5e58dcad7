using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using FlowActors.Cluster;
using FlowActors.Node.Configuration;
using FlowActors.Node.Tests.Harness;
using FlowActors.Protocols;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowActors.Node.Tests;

/// <summary>The settings as .NET options: the DI pipeline, unknown keys, secrets from files, masking, paths, threat-intel reload.</summary>
public sealed class NodeSettingsOptionsTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static IReadOnlyList<SettingError> Errors(params (string Key, string? Value)[] values)
    {
        Assert.Null(NodeSettingsOptions.TryRead(Config(values), out var errors));
        return errors;
    }

    [Fact]
    public void The_host_validates_the_options_on_start_with_every_error_named()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddNodeSettings(Config(("FlowActors:Cluster:Port", "70000"), ("FlowActors:Receivers:Bogus", "1")));
        using var host = builder.Build();

        var e = Assert.Throws<OptionsValidationException>(() => host.StartAsync().GetAwaiter().GetResult());

        Assert.Equal(2, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.StartsWith("FlowActors:Cluster:Port must be 0-65535 (got '70000')", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("FlowActors:Receivers:Bogus is not a setting.", StringComparison.Ordinal));
    }

    [Fact]
    public void The_options_from_dependency_injection_are_the_bound_settings()
    {
        var services = new ServiceCollection();
        services.AddNodeSettings(Config(("FlowActors:Receivers:BatchSize", "128"), ("FlowActors:Cluster:Roles", "edge, Analytics")));
        using var provider = services.BuildServiceProvider();

        var s = provider.GetRequiredService<IOptions<NodeSettings>>().Value;

        Assert.Equal(128, s.Receivers.BatchSize);
        Assert.Equal(["edge", "analytics"], s.Cluster.Roles);
    }

    [Fact]
    public void Unknown_keys_at_every_level_are_each_reported()
    {
        var errors = Errors(("FlowActors:Recievers:NetFlowPort", "2055"), ("FlowActors:Operator:TokenOrigin", "generated"), ("FlowActors:Detection:WindowSecs", "60"), ("FlowActors:Cluster:Tls:CertPath", "x"));

        Assert.Equal(
            ["FlowActors:Cluster:Tls:CertPath", "FlowActors:Detection:WindowSecs", "FlowActors:Operator:TokenOrigin", "FlowActors:Recievers"],
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains(errors, e => e.Message.StartsWith("FlowActors:Recievers is not a setting. Known: DataDirectory, Demo, Cluster, Receivers,", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("Remove FLOWACTORS__", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_are_the_cluster_layers_defaults()
    {
        var s = NodeSettingsOptions.Read(Config());
        var cluster = new FlowActorsClusterOptions();

        Assert.Equal((int)cluster.FlushInterval.TotalMilliseconds, s.Receivers.FlushIntervalMs);
        Assert.Equal(100, s.Receivers.FlushIntervalMs);
        Assert.Equal(cluster.BatchSize, s.Receivers.BatchSize);
        Assert.Equal(new ReceiverPortOptions().ReceiveBufferBytes, s.Receivers.ReceiveBufferBytes);
        Assert.Equal(8 * 1024 * 1024, s.Receivers.ReceiveBufferBytes);
        Assert.Equal(new FlowActors.Detection.DetectionSettings().Window, s.Detection.Tuning.Window);
        Assert.Equal(300, s.Detection.WindowSeconds);
    }

    [Fact]
    public void Secrets_are_read_from_their_file_keys()
    {
        using var dir = new TempDirectory();
        string Write(string name, string content)
        {
            string path = Path.Combine(dir.Path, name);
            File.WriteAllText(path, content);
            return path;
        }

        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:Operator:TokenFile", Write("token", "q7Vx2mK9pL4wR8tZ\n")),
            ("FlowActors:Persistence:Provider", "postgresql"),
            ("FlowActors:Persistence:ConnectionStringFile", Write("cs", "Host=db;Database=flowactors;Username=fa\n")),
            ("FlowActors:Persistence:PasswordFile", Write("pw", "hunter2-from-a-file\n")),
            ("FlowActors:Forwarder:Sinks:2:Kind", "hec"),
            ("FlowActors:Forwarder:Sinks:2:Url", "https://splunk.example:8088/services/collector"),
            ("FlowActors:Forwarder:Sinks:2:TokenFile", Write("hec", "hec-token-from-a-file\n"))));

        Assert.Equal("q7Vx2mK9pL4wR8tZ", s.Operator.Token);
        Assert.Contains("Host=db", s.Persistence.ConnectionString, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Password=hunter2-from-a-file", s.Persistence.ConnectionString, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("hec-token-from-a-file", Assert.IsType<FlowActors.Siem.Sinks.HecSinkOptions>(s.Forwarder.Sinks[2].Options).Token);
    }

    [Fact]
    public void A_secret_file_that_is_missing_or_doubled_is_an_error_naming_the_file_key_not_the_secret()
    {
        var missing = Errors(("FlowActors:Persistence:ConnectionStringFile", "/nonexistent/db-connection"));
        var error = Assert.Single(missing);
        Assert.Equal("FlowActors:Persistence:ConnectionStringFile", error.Key);
        Assert.Contains("must be a readable file", error.Message, StringComparison.Ordinal);
        Assert.Contains("Set FLOWACTORS__PERSISTENCE__CONNECTIONSTRINGFILE ", error.Message, StringComparison.Ordinal);

        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "pw");
        File.WriteAllText(file, "the-secret-value");
        var both = Assert.Single(Errors(("FlowActors:Operator:Token", "q7Vx2mK9pL4wR8tZ"), ("FlowActors:Operator:TokenFile", file)));
        Assert.Equal("FlowActors:Operator:TokenFile", both.Key);
        Assert.DoesNotContain("q7Vx2mK9pL4wR8tZ", both.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("the-secret-value", both.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_config_masks_every_secret_and_shows_the_detection_tuning_and_absolute_paths()
    {
        using var dir = new TempDirectory();
        string pfxPasswordFile = Path.Combine(dir.Path, "pfx-password");
        File.WriteAllText(pfxPasswordFile, "pfx-secret-value");
        foreach (string f in new[] { "node.pfx", "ca.pem" }) File.WriteAllText(Path.Combine(dir.Path, f), "x");
        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:Operator:Token", "operator-secret-value-q7Vx2mK9"),
            ("FlowActors:Persistence:ConnectionString", "Data Source=x.db;Password=db-secret-value"),
            ("FlowActors:Cluster:Tls:Enabled", "true"),
            ("FlowActors:Cluster:Tls:PfxPath", Path.Combine(dir.Path, "node.pfx")),
            ("FlowActors:Cluster:Tls:PfxPasswordFile", pfxPasswordFile),
            ("FlowActors:Cluster:Tls:CaPath", Path.Combine(dir.Path, "ca.pem")),
            ("FlowActors:Forwarder:Sinks:2:Kind", "webhook"),
            ("FlowActors:Forwarder:Sinks:2:Url", "https://hooks.example/alerts"),
            ("FlowActors:Forwarder:Sinks:2:BearerToken", "webhook-secret-value"),
            ("FlowActors:Detection:Tuning:PortScan:MinPorts", "40")));

        string json = JsonSerializer.Serialize(FlowActors.Node.Operator.NodeRoutes.Describe(s));

        foreach (string secret in new[] { "operator-secret-value", "db-secret-value", "pfx-secret-value", "webhook-secret-value" })
        {
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
        }

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("***", root.GetProperty("operator").GetProperty("token").GetString());
        Assert.Equal("***", root.GetProperty("cluster").GetProperty("tls").GetProperty("pfx_password").GetString());
        Assert.Contains("password=***", root.GetProperty("persistence").GetProperty("connection_string").GetString(), StringComparison.Ordinal);
        Assert.Equal(40, root.GetProperty("detection").GetProperty("tuning").GetProperty("port_scan").GetProperty("min_ports").GetInt32());
        Assert.True(Path.IsPathRooted(root.GetProperty("data_directory").GetString()));
        Assert.True(Path.IsPathRooted(root.GetProperty("forwarder").GetProperty("sinks")[0].GetProperty("path").GetString()));
    }

    [Fact]
    public void Relative_paths_resolve_against_the_working_directory()
    {
        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:DataDirectory", "var/fa"),
            ("FlowActors:Forwarder:Sinks:siem:Kind", "file"),
            ("FlowActors:Forwarder:Sinks:siem:Path", "out/alerts.jsonl")));

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "var", "fa"), s.DataDirectory);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "var", "fa", "alerts.jsonl"), s.Forwarder.Sinks[0].Path);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "out", "alerts.jsonl"), s.Forwarder.Sinks.Single(k => k.Name == "siem").Path);
        Assert.Contains(Path.Combine(Environment.CurrentDirectory, "var", "fa", "flowactors.db"), s.Persistence.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_node_resolves_relative_paths_against_its_working_directory_not_its_binary_folder()
    {
        // A process of its own: the working directory is process-wide. A missing relative threat-intel file makes the node
        // stop at once (exit 2), naming the absolute path it looked at.
        using var dir = new TempDirectory();
        var start = new ProcessStartInfo("dotnet", [NodeProcess.NodeAssembly])
        {
            WorkingDirectory = dir.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["FLOWACTORS__DETECTION__TUNING__THREATINTEL__FILES__0"] = Path.Combine("lists", "blocklist.txt");
        start.Environment["FLOWACTORS__OPERATOR__ENABLED"] = "false";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);

        Assert.Equal(Program.ConfigurationError, process.ExitCode);
        string output = await stderr;
        Assert.Contains(Path.Combine(dir.Path, "lists", "blocklist.txt"), output, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.Combine(AppContext.BaseDirectory, "lists"), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_threat_intel_file_takes_effect_without_a_restart_and_is_counted()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "blocklist.txt");
        File.WriteAllText(file, "203.0.113.1\n");
        var settings = NodeSettingsOptions.Read(Config(
            ("FlowActors:Detection:Tuning:ThreatIntel:Files:0", file),
            ("FlowActors:Detection:ThreatIntelPollSeconds", "1")));
        long reloads = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ThreatIntelReloader.MeterName && instrument.Name == ThreatIntelReloader.ReloadsCounterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && (string?)tag.Value == "ok") Interlocked.Add(ref reloads, value);
            }
        });
        listener.Start();
        using var reloader = new ThreatIntelReloader(settings, NullLogger<ThreatIntelReloader>.Instance, TimeProvider.System);
        await reloader.StartAsync(CancellationToken.None);
        var set = reloader.Set!;
        var added = FlowAddress.Parse("198.51.100.7");
        Assert.True(set.Contains(FlowAddress.Parse("203.0.113.1")));
        Assert.False(set.Contains(added));

        File.WriteAllText(file, "203.0.113.1\n198.51.100.0/24 # new campaign\n");

        // The same set instance the host actors hold sees the new indicator.
        await Poll.UntilAsync(() => set.Contains(added), TimeSpan.FromSeconds(30), "the new indicator to take effect");
        Assert.True(Interlocked.Read(ref reloads) >= 1);
        await reloader.StopAsync(CancellationToken.None);
    }
}
