using FlowActors.Cluster;
using FlowActors.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Tests;

public sealed class NodeSettingsTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    private static SettingError SingleError(params (string Key, string? Value)[] values)
    {
        var settings = NodeSettingsOptions.TryRead(Config(values), out var errors);
        Assert.Null(settings);
        return Assert.Single(errors);
    }

    [Fact]
    public void Empty_configuration_gives_the_documented_defaults()
    {
        var s = NodeSettingsOptions.Read(Config());

        // Relative paths are resolved against the working directory once, at binding.
        Assert.Equal(Path.GetFullPath("data"), s.DataDirectory);
        Assert.False(s.Demo);
        Assert.Equal("flowactors", s.Cluster.SystemName);
        Assert.Equal(4053, s.Cluster.Port);
        Assert.Empty(s.Cluster.Seeds);
        Assert.Equal(["edge", "analytics", "forwarder"], s.Cluster.Roles);
        Assert.Equal(100, s.Cluster.ShardCount);
        Assert.Equal([2055, 4739, 6343], s.Receivers.EnabledPorts);
        Assert.Equal(PersistenceProvider.Sqlite, s.Persistence.Provider);
        Assert.Equal("Data Source=" + Path.Combine(Path.GetFullPath("data"), "flowactors.db"), s.Persistence.ConnectionString);
        Assert.Equal(
            [("jsonl", SinkKind.File, Path.Combine(Path.GetFullPath("data"), "alerts.jsonl")), ("console", SinkKind.Console, null)],
            s.Forwarder.Sinks.Select(k => (k.Name, k.Kind, k.Path)));
        Assert.Equal(10_000, s.Forwarder.PullWindow);
        Assert.Equal("127.0.0.1", s.Operator.BindAddress.ToString());
        Assert.Equal(9110, s.Operator.Port);
        Assert.Equal(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"], s.Networks.Monitored.Select(n => n.ToString()));
    }

    [Fact]
    public void The_shipped_appsettings_json_is_valid_and_matches_the_defaults()
    {
        var config = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();

        var fromFile = NodeSettingsOptions.Read(config);
        var defaults = NodeSettingsOptions.Read(Config());

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(FlowActors.Node.Operator.NodeRoutes.Describe(defaults)),
            System.Text.Json.JsonSerializer.Serialize(FlowActors.Node.Operator.NodeRoutes.Describe(fromFile)));
    }

    [Fact]
    public void Seeds_given_as_indexed_variables_add_to_the_empty_list_in_the_shipped_appsettings_json()
    {
        // FLOWACTORS__CLUSTER__SEEDS__0=... over appsettings.json's "Seeds": [] (which binds as an empty value).
        var config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))
            .AddInMemoryCollection([new("FlowActors:Cluster:Seeds:0", "127.0.0.1:4101"), new("FlowActors:Cluster:Seeds:1", "127.0.0.1:4102")])
            .Build();

        var s = NodeSettingsOptions.Read(config);

        Assert.Equal(2, s.Cluster.Seeds.Count);
        Assert.Contains(s.Cluster.Seeds, x => x.Contains("127.0.0.1:4101"));
        Assert.Contains(s.Cluster.Seeds, x => x.Contains("127.0.0.1:4102"));
    }

    [Fact]
    public void Cluster_port_out_of_range_names_the_setting_its_variable_and_the_fix()
    {
        var error = SingleError(("FlowActors:Cluster:Port", "70000"));

        Assert.Equal("FlowActors:Cluster:Port", error.Key);
        Assert.Equal("FlowActors:Cluster:Port must be 0-65535 (got '70000'). Set FLOWACTORS__CLUSTER__PORT to a free TCP port, e.g. 4053.", error.Message);
    }

    [Theory]
    [InlineData("FlowActors:Cluster:ShardCount", "0", "must be 1-10000", "0")]
    [InlineData("FlowActors:Cluster:Hostname", "not a host!", "must be an IP address or DNS name", "not a host!")]
    [InlineData("FlowActors:Cluster:SystemName", "flow actors", "must be letters, digits", "flow actors")]
    [InlineData("FlowActors:Cluster:Roles", "edge,database", "must list only edge, analytics and forwarder", "database")]
    [InlineData("FlowActors:Cluster:Seeds", "flowactors-0.flowactors", "must be akka.tcp://flowactors@HOST:PORT or HOST:PORT", "flowactors-0.flowactors")]
    [InlineData("FlowActors:Receivers:NetFlowPort", "-1", "must be 0-65535", "-1")]
    [InlineData("FlowActors:Receivers:IpfixPort", "2055", "must differ from FlowActors:Receivers:NetFlowPort", "2055")]
    [InlineData("FlowActors:Receivers:SocketsPerPort", "0", "must be 1-64", "0")]
    [InlineData("FlowActors:Receivers:ReceiveBufferBytes", "1024", "must be 65536-1073741824", "1024")]
    [InlineData("FlowActors:Receivers:BindAddress", "localhost", "must be an IP address", "localhost")]
    [InlineData("FlowActors:Receivers:RingBuffers", "1000", "must be a power of two from 64 to 32768, or 0", "1000")]
    [InlineData("FlowActors:Receivers:RingBufferBytes", "512", "must be 1024-65600", "512")]
    [InlineData("FlowActors:Receivers:ExporterAllowlist", "192.0.2.1,router-1", "must list IP addresses or CIDR prefixes", "router-1")]
    [InlineData("FlowActors:Receivers:BatchSize", "many", "must be 1-65536", "many")]
    [InlineData("FlowActors:Networks:Monitored", "10.0.0.0/33", "must list CIDR prefixes whose length is 0-32 for this address family", "10.0.0.0/33")]
    [InlineData("FlowActors:Networks:Monitored", "fc00::/129", "must list CIDR prefixes whose length is 0-128 for this address family", "fc00::/129")]
    [InlineData("FlowActors:Networks:Monitored", "10.0.0.0", "must list CIDR prefixes (address/length)", "10.0.0.0")]
    [InlineData("FlowActors:Health:ExitAfterNotReadySeconds", "-1", "must be 0-86400", "-1")]
    [InlineData("FlowActors:Detection:IdleTickMilliseconds", "50", "must be 100-3600000", "50")]
    [InlineData("FlowActors:Networks:Monitored", "10.0.0.1/8", "must list CIDR prefixes with no host bits set", "10.0.0.1/8")]
    [InlineData("FlowActors:Detection:WindowSeconds", "5", "must be 10-3600", "5")]
    [InlineData("FlowActors:Detection:WindowSeconds", "7200", "must be 10-3600", "7200")]
    [InlineData("FlowActors:Receivers:FlushIntervalMs", "0", "must be 1-60000", "0")]
    [InlineData("FlowActors:Cluster:Port", "x", "must be 0-65535", "x")]
    [InlineData("FlowActors:Forwarder:PullWindow", "0", "must be 1-1000000", "0")]
    [InlineData("FlowActors:Detection:ThreatIntelPollSeconds", "-5", "must be 0-86400", "-5")]
    [InlineData("FlowActors:Operator:ProtectProbesAndMetrics", "sometimes", "must be true or false", "sometimes")]
    [InlineData("FlowActors:Detection:PassivateAfterSeconds", "1", "must be 10-604800", "1")]
    [InlineData("FlowActors:Detection:AllowedLatenessSeconds", "600", "must not exceed FlowActors:Detection:WindowSeconds (300)", "600")]
    [InlineData("FlowActors:Persistence:Provider", "mysql", "must be sqlite or postgresql", "mysql")]
    [InlineData("FlowActors:Persistence:ConnectionString", "Data Source=x;Frobnicate=1", "is not a valid sqlite connection string", "data source=x;frobnicate=1")]
    [InlineData("FlowActors:Operator:Port", "4053", "must differ from FlowActors:Cluster:Port", "4053")]
    [InlineData("FlowActors:Operator:BindAddress", "everywhere", "must be an IP address", "everywhere")]
    [InlineData("FlowActors:Operator:Enabled", "yes", "must be true or false", "yes")]
    [InlineData("FlowActors:Demo", "maybe", "must be true or false", "maybe")]
    public void Each_bad_value_stops_start_up_with_a_message_naming_it(string key, string value, string expected, string got)
    {
        var error = SingleError((key, value));

        Assert.Equal(key, error.Key);
        Assert.StartsWith(key + " ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains($"(got '{got}')", error.Message);
        Assert.Contains("Set " + NodeSettingsOptions.EnvironmentVariableFor(key) + " ", error.Message);
    }

    [Fact]
    public void Binding_remoting_to_every_address_needs_a_public_hostname()
    {
        var error = SingleError(("FlowActors:Cluster:Hostname", "0.0.0.0"));

        Assert.Equal("FlowActors:Cluster:PublicHostname", error.Key);
        Assert.Contains("is required when FlowActors:Cluster:Hostname is 0.0.0.0", error.Message);
    }

    [Fact]
    public void Postgresql_without_a_connection_string_is_refused()
    {
        var error = SingleError(("FlowActors:Persistence:Provider", "postgresql"));

        Assert.Equal("FlowActors:Persistence:ConnectionString", error.Key);
        Assert.Contains("is required when the provider is postgresql", error.Message);
        Assert.Contains("FLOWACTORS__PERSISTENCE__CONNECTIONSTRING", error.Message);
    }

    [Fact]
    public void Operator_endpoint_on_a_public_address_requires_a_token()
    {
        var error = SingleError(("FlowActors:Operator:BindAddress", "0.0.0.0"));

        Assert.Equal("FlowActors:Operator:Token", error.Key);
        Assert.Contains("is required when FlowActors:Operator:BindAddress is not loopback (got 0.0.0.0)", error.Message);

        var withToken = NodeSettingsOptions.Read(Config(("FlowActors:Operator:BindAddress", "0.0.0.0"), ("FlowActors:Operator:Token", "9f2c4e71b0a85d3e6c1f")));
        Assert.Equal("9f2c4e71b0a85d3e6c1f", withToken.Operator.Token);
    }

    [Fact]
    public void A_misspelt_key_is_an_error_not_silently_ignored()
    {
        var error = SingleError(("FlowActors:Cluster:Prot", "4053"));

        Assert.Equal("FlowActors:Cluster:Prot", error.Key);
        Assert.StartsWith("FlowActors:Cluster:Prot is not a setting. Known under FlowActors:Cluster: SystemName, Hostname,", error.Message);
        Assert.Contains("Remove FLOWACTORS__CLUSTER__PROT", error.Message);
    }

    [Fact]
    public void Every_bad_value_is_reported_at_once()
    {
        NodeSettingsOptions.TryRead(Config(("FlowActors:Cluster:Port", "x"), ("FlowActors:Receivers:SflowPort", "99999"), ("FlowActors:Detection:WindowSeconds", "1")), out var errors);

        Assert.Equal(["FlowActors:Cluster:Port", "FlowActors:Receivers:SflowPort", "FlowActors:Detection:WindowSeconds"], errors.Select(e => e.Key));
    }

    [Fact]
    public void Upper_case_environment_variables_and_mixed_case_ones_both_bind()
    {
        var upper = new ConfigurationBuilder().AddInMemoryCollection([new("FLOWACTORS:CLUSTER:PORT", "4100")]).Build();
        var mixed = new ConfigurationBuilder().AddInMemoryCollection([new("FlowActors:Cluster:Port", "4200")]).Build();

        Assert.Equal(4100, NodeSettingsOptions.Read(upper).Cluster.Port);
        Assert.Equal(4200, NodeSettingsOptions.Read(mixed).Cluster.Port);
    }

    [Fact]
    public void Real_environment_variables_reach_the_settings_through_the_node_configuration()
    {
        // Environment variables are process-wide; a name no other test uses keeps this independent.
        Environment.SetEnvironmentVariable("FLOWACTORS__DETECTION__SNAPSHOTINTERVALSECONDS", "17");
        Environment.SetEnvironmentVariable("FlowActors__Detection__PassivateAfterSeconds", "1234");
        try
        {
            var s = NodeSettingsOptions.Read(NodeConfiguration.Build([], Path.GetTempPath()));

            Assert.Equal(17, s.Detection.SnapshotIntervalSeconds);
            Assert.Equal(1234, s.Detection.PassivateAfterSeconds);
        }
        finally
        {
            Environment.SetEnvironmentVariable("FLOWACTORS__DETECTION__SNAPSHOTINTERVALSECONDS", null);
            Environment.SetEnvironmentVariable("FlowActors__Detection__PassivateAfterSeconds", null);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:1514", "tcp", "127.0.0.1", 1514)]
    [InlineData("udp:siem.example.net:514", "udp", "siem.example.net", 514)]
    [InlineData("tcp:[::1]:6000", "tcp", "::1", 6000)]
    public void Demo_syslog_switch_adds_a_cef_syslog_sink_and_keeps_the_defaults(string target, string transport, string host, int port)
    {
        var s = NodeSettingsOptions.Read(NodeConfiguration.Build(["--demo", "--syslog", target], Path.GetTempPath()));

        Assert.Equal(["jsonl", "console", "demo-syslog"], s.Forwarder.Sinks.Select(k => k.Name));
        var syslog = Assert.IsType<FlowActors.Siem.Sinks.SyslogSinkOptions>(s.Forwarder.Sinks[2].Options);
        Assert.Equal((transport, host, port, "cef"), (syslog.Transport, syslog.Host, syslog.Port, syslog.Format));
    }

    [Theory]
    [InlineData("127.0.0.1", "HOST:PORT")]
    [InlineData("127.0.0.1:99999", "HOST:PORT")]
    [InlineData("bad host:514", "not a host name")]
    public void Bad_demo_syslog_target_is_refused_with_the_expected_form(string target, string expected)
    {
        var problem = NodeConfiguration.FindArgumentProblem(["--demo", "--syslog", target]);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void Syslog_switch_without_the_demo_points_to_the_sink_settings()
    {
        Assert.Contains("FLOWACTORS__FORWARDER__SINKS__2__KIND=syslog", NodeConfiguration.FindArgumentProblem(["--syslog", "127.0.0.1:514"]));
        Assert.Null(NodeConfiguration.FindArgumentProblem(["--demo", "--syslog=127.0.0.1:514"]));
        Assert.Equal("--bogus", NodeConfiguration.FindUnknownArgument(["--demo", "--syslog", "127.0.0.1:514", "--bogus"]));
    }

    [Fact]
    public void Demo_switch_on_the_command_line_turns_the_demo_on()
    {
        var s = NodeSettingsOptions.Read(NodeConfiguration.Build(["--demo"], Path.GetTempPath()));

        Assert.True(s.Demo);
        Assert.Equal(10, s.Detection.WindowSeconds);
        Assert.Equal(0, s.Detection.AllowedLatenessSeconds);
    }

    [Fact]
    public void Lists_accept_comma_separated_values_and_seeds_accept_host_port()
    {
        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:Cluster:Roles", "edge, forwarder"),
            ("FlowActors:Cluster:Seeds", "flowactors-0.flowactors:4053,akka.tcp://flowactors@10.1.2.3:4053"),
            ("FlowActors:Networks:Monitored", "198.51.100.0/24,2001:db8::/32")));

        Assert.Equal(["edge", "forwarder"], s.Cluster.Roles);
        Assert.Equal(["akka.tcp://flowactors@flowactors-0.flowactors:4053", "akka.tcp://flowactors@10.1.2.3:4053"], s.Cluster.Seeds);
        Assert.Equal(["198.51.100.0/24", "2001:db8::/32"], s.Networks.Monitored.Select(n => n.ToString()));
    }

    [Fact]
    public void A_seed_of_another_actor_system_is_refused()
    {
        var error = SingleError(("FlowActors:Cluster:Seeds", "akka.tcp://other@10.0.0.1:4053"));

        Assert.Equal("FlowActors:Cluster:Seeds", error.Key);
    }

    [Fact]
    public void Sinks_can_be_named_by_key_and_a_file_sink_needs_a_path()
    {
        var s = NodeSettingsOptions.Read(Config(("FlowActors:Forwarder:Sinks:siem:Kind", "file"), ("FlowActors:Forwarder:Sinks:siem:Path", "/var/log/fa.jsonl")));
        Assert.Equal(("siem", SinkKind.File, "/var/log/fa.jsonl"), s.Forwarder.Sinks.Select(k => (k.Name, k.Kind, k.Path)).Last());

        var error = SingleError(("FlowActors:Forwarder:Sinks:2:Kind", "file"));
        Assert.Equal("FlowActors:Forwarder:Sinks:2:Path", error.Key);
    }

    [Fact]
    public void The_demo_needs_the_netflow_receiver()
    {
        var error = SingleError(("FlowActors:Demo", "true"), ("FlowActors:Receivers:NetFlowPort", "0"));

        Assert.Equal("FlowActors:Receivers:NetFlowPort", error.Key);
        Assert.Contains("must be enabled for the demo", error.Message);
    }

    [Fact]
    public void Passwords_are_redacted_from_connection_strings()
    {
        Assert.Equal("host=db;username=fa;password=***", NodeSettingsOptions.Redact("Host=db;Username=fa;Password=hunter2"));
    }

    [Fact]
    public void Detector_parameters_bind_from_Detection_Tuning_and_the_window_comes_from_WindowSeconds()
    {
        using var dir = new TempDirectory();
        string blocklist = Path.Combine(dir.Path, "blocklist.txt");
        File.WriteAllText(blocklist, "203.0.113.0/24\n");
        var s = NodeSettingsOptions.Read(Config(
            ("FlowActors:Detection:WindowSeconds", "60"),
            ("FlowActors:Detection:Tuning:PortScan:MinPorts", "40"),
            ("FlowActors:Detection:Tuning:LearningPeriod", "02:00:00"),
            ("FlowActors:Detection:Tuning:ThreatIntel:Files:0", blocklist)));

        Assert.Equal(40, s.Detection.Tuning.PortScan.MinPorts);
        Assert.Equal(TimeSpan.FromHours(2), s.Detection.Tuning.LearningPeriod);
        Assert.Equal([blocklist], s.Detection.Tuning.ThreatIntel.Files);
        Assert.Equal(TimeSpan.FromSeconds(60), s.Detection.Tuning.Window);
        Assert.Equal(25, s.Detection.Tuning.HostSweep.MinTargets); // untouched parameters keep the library's defaults
    }

    [Fact]
    public void A_misspelt_detector_parameter_is_an_error_naming_the_tuning_section()
    {
        var error = SingleError(("FlowActors:Detection:Tuning:PortScan:MinPort", "40"));

        Assert.Equal("FlowActors:Detection:Tuning", error.Key);
        Assert.Contains("MinPort", error.Message);
        Assert.Contains("FLOWACTORS__DETECTION__TUNING", error.Message);
    }

    [Fact]
    public void A_detector_parameter_the_library_refuses_is_an_error_naming_it()
    {
        var error = SingleError(("FlowActors:Detection:Tuning:PortScan:MinPorts", "1"));

        Assert.Equal("FlowActors:Detection:Tuning", error.Key);
        Assert.Contains("PortScan:MinPorts", error.Message);
    }
    [Fact]
    public void A_slash_33_is_refused_for_its_length_not_for_host_bits()
    {
        var error = SingleError(("FlowActors:Networks:Monitored", "10.0.0.0/33"));

        Assert.DoesNotContain("host bits", error.Message);
        Assert.Contains("whose length is 0-32", error.Message);
    }

    [Theory]
    [InlineData("   ", "must not be blank")]
    [InlineData("s3cret", "must be at least 16 random-looking characters")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaa", "must be at least 16 random-looking characters")]
    [InlineData("change-me-to-a-long-random-secret", "must not be the example secret's placeholder value")]
    public void Weak_tokens_on_a_public_bind_stop_start_up(string token, string expected)
    {
        var error = SingleError(("FlowActors:Operator:BindAddress", "0.0.0.0"), ("FlowActors:Operator:Token", token));

        Assert.Equal("FlowActors:Operator:Token", error.Key);
        Assert.Contains(expected, error.Message);
        Assert.Contains("Set FLOWACTORS__OPERATOR__TOKEN to a long random secret", error.Message);
        Assert.DoesNotContain(token.Trim().Length > 0 ? token : "\u0000", error.Message); // the token itself never appears in a message
    }

    [Fact]
    public void The_example_secret_placeholder_is_refused_even_on_loopback()
    {
        var secret = Harness.LightYaml.ReadDocuments(File.ReadAllText(Path.Combine(RepositoryRoot(), "k8s", "base", "secret.example.yaml"))).Single();
        string placeholder = (string)Harness.LightYaml.At(secret, "stringData.operator-token")!;

        var error = SingleError(("FlowActors:Operator:Token", placeholder));

        Assert.Contains("must not be the example secret's placeholder value", error.Message);
    }

    [Fact]
    public void A_random_token_of_16_characters_on_a_public_bind_is_accepted()
    {
        var s = NodeSettingsOptions.Read(Config(("FlowActors:Operator:BindAddress", "0.0.0.0"), ("FlowActors:Operator:Token", "q7Vx2mK9pL4wR8tZ")));

        Assert.Equal("q7Vx2mK9pL4wR8tZ", s.Operator.Token);
        Assert.Equal(OperatorTokenOrigin.Configured, s.Operator.TokenOrigin);
    }

    [Fact]
    public void A_token_file_is_read_and_its_strength_checked()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "token");
        File.WriteAllText(file, "q7Vx2mK9pL4wR8tZ\n");
        var s = NodeSettingsOptions.Read(Config(("FlowActors:Operator:BindAddress", "0.0.0.0"), ("FlowActors:Operator:TokenFile", file)));
        Assert.Equal("q7Vx2mK9pL4wR8tZ", s.Operator.Token);

        File.WriteAllText(file, "short");
        var error = SingleError(("FlowActors:Operator:BindAddress", "0.0.0.0"), ("FlowActors:Operator:TokenFile", file));
        Assert.Equal("FlowActors:Operator:TokenFile", error.Key);
    }

    [Fact]
    public void Remoting_tls_needs_a_certificate_and_a_ca()
    {
        var settings = NodeSettingsOptions.TryRead(Config(("FlowActors:Cluster:Tls:Enabled", "true")), out var errors);

        Assert.Null(settings);
        Assert.Equal(["FlowActors:Cluster:Tls:CaPath", "FlowActors:Cluster:Tls:CertificatePath"], errors.Select(e => e.Key).Order());
        Assert.Contains(errors, e => e.Message.Contains("peers are validated against this CA only", StringComparison.Ordinal));
        Assert.Null(NodeSettingsOptions.Read(Config()).Cluster.Tls);
        var typo = SingleError(("FlowActors:Cluster:Tls:CertPath", "x"));
        Assert.Equal("FlowActors:Cluster:Tls:CertPath", typo.Key);
    }

    [Fact]
    public void Health_grace_period_defaults_to_five_minutes()
    {
        Assert.Equal(300, NodeSettingsOptions.Read(Config()).Health.ExitAfterNotReadySeconds);
        Assert.Equal(0, NodeSettingsOptions.Read(Config(("FlowActors:Health:ExitAfterNotReadySeconds", "0"))).Health.ExitAfterNotReadySeconds);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlowActors.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }
}

public sealed class ThreatIntelReloadTests
{
    [Fact]
    public void Demo_windows_reach_the_detection_library_together_with_the_tuning()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection([
                new KeyValuePair<string, string?>("FlowActors:Demo", "true"),
                new KeyValuePair<string, string?>("FlowActors:Detection:Tuning:PortScan:MinPorts", "30")])
            .Build();

        var settings = NodeSettingsOptions.Read(config);
        var options = FlowActors.Node.Hosting.ClusterOptionsMapping.ToClusterOptions(settings);

        // One model: the cluster gets the very settings object the node bound, with the demo window applied once.
        Assert.Same(settings.Detection.Tuning, options.Detection);
        Assert.Equal(NodeSettingsOptions.DemoWindowSeconds, settings.Detection.WindowSeconds);
        Assert.Equal(TimeSpan.FromSeconds(NodeSettingsOptions.DemoWindowSeconds), options.Detection.Window);
        Assert.Equal(TimeSpan.Zero, options.Detection.AllowedLateness);
        Assert.Equal(30, options.Detection.PortScan.MinPorts);
    }

    [Fact]
    public void A_missing_threat_intel_file_stops_start_up_naming_it()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection([new KeyValuePair<string, string?>("FlowActors:Detection:Tuning:ThreatIntel:Files:0", "/nonexistent/blocklist.txt")])
            .Build();

        var settings = NodeSettingsOptions.TryRead(config, out var errors);

        Assert.Null(settings);
        var error = Assert.Single(errors);
        Assert.Contains("/nonexistent/blocklist.txt", error.Message);
    }

}
