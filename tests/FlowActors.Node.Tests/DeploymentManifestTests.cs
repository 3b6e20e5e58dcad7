using System.Text.RegularExpressions;
using FlowActors.Node.Configuration;
using FlowActors.Node.Hosting;
using FlowActors.Node.Tests.Harness;
using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Tests;

/// <summary>
/// Static checks of k8s/ (the production overlay as <c>kubectl kustomize</c> renders it) and docker/: they must agree
/// with the node's defaults and its settings reader. Nothing is deployed: no cluster or Docker engine runs here.
/// </summary>
public sealed class DeploymentManifestTests
{
    private static readonly string Root = Manifests.Root;
    private static readonly NodeSettings Defaults = NodeSettingsOptions.Read(new ConfigurationBuilder().Build());
    private static readonly Lazy<List<Dictionary<string, object>>> Production = new(() => Manifests.Kustomize("k8s/overlays/production"));

    private static Dictionary<string, object> Single(string kind, string? name = null) =>
        Assert.Single(Production.Value, m => (string)m["kind"] == kind && (name is null || (string?)LightYaml.At(m, "metadata.name") == name));

    private static Dictionary<string, object> Container() =>
        (Dictionary<string, object>)LightYaml.At(Single("StatefulSet"), "spec.template.spec.containers.0")!;

    private static List<Dictionary<string, object>> ListAt(object root, string path) =>
        ((List<object>?)LightYaml.At(root, path) ?? []).Cast<Dictionary<string, object>>().ToList();

    private static Dictionary<string, object> PodLabels() => (Dictionary<string, object>)LightYaml.At(Single("StatefulSet"), "spec.template.metadata.labels")!;

    private static void AssertSelects(Dictionary<string, object> selector)
    {
        Assert.NotEmpty(selector);
        var labels = PodLabels();
        Assert.All(selector, kv => Assert.Equal(kv.Value, labels.GetValueOrDefault(kv.Key)));
    }

    [Theory]
    [InlineData("k8s/base", new[] { "kustomization.yaml", "secret.example.yaml" })]
    [InlineData("k8s/overlays/production", new[] { "kustomization.yaml", "sinks-secret.example.yaml", "statefulset-tls.yaml" })]
    public void Each_kustomization_lists_every_manifest_of_its_folder_but_examples_and_patches(string folder, string[] notResources)
    {
        var kustomization = Manifests.Parse(File.ReadAllText(Path.Combine(Root, folder, "kustomization.yaml"))).Single();
        var listed = ((List<object>)kustomization["resources"]).Cast<string>().Order().ToArray();
        var files = Directory.GetFiles(Path.Combine(Root, folder), "*.yaml").Select(f => Path.GetFileName(f)!)
            .Where(f => !notResources.Contains(f)).Order().ToArray();

        Assert.Equal(files, listed);
    }

    [Fact]
    public void The_production_overlay_renders_the_base_plus_tls_the_network_policy_and_the_autoscaler()
    {
        var kinds = Production.Value.Select(m => (string)m["kind"] + "/" + (string)LightYaml.At(m, "metadata.name")!).Order().ToArray();

        Assert.Equal(
            ["ConfigMap/flowactors", "HorizontalPodAutoscaler/flowactors", "NetworkPolicy/flowactors", "PodDisruptionBudget/flowactors",
             "Service/flowactors", "Service/flowactors-ingest", "StatefulSet/flowactors"],
            kinds);
    }

    [Fact]
    public void Container_ports_are_the_node_default_ports()
    {
        var ports = ListAt(Container(), "ports").Select(p => ((string)p["name"], int.Parse((string)p["containerPort"]), (string)p["protocol"])).ToList();

        Assert.Equal(
            [
                ("netflow", Defaults.Receivers.NetFlowPort, "UDP"),
                ("ipfix", Defaults.Receivers.IpfixPort, "UDP"),
                ("sflow", Defaults.Receivers.SflowPort, "UDP"),
                ("remoting", Defaults.Cluster.Port, "TCP"),
                ("operator", Defaults.Operator.Port, "TCP"),
            ],
            ports);
    }

    [Fact]
    public void Probes_hit_the_operator_endpoint_health_routes()
    {
        var container = Container();

        Assert.Equal("/healthz/live", LightYaml.At(container, "livenessProbe.httpGet.path"));
        Assert.Equal("/healthz/ready", LightYaml.At(container, "readinessProbe.httpGet.path"));
        Assert.Equal("/healthz/live", LightYaml.At(container, "startupProbe.httpGet.path"));
        var portNames = ListAt(container, "ports").Select(p => (string)p["name"]).ToHashSet();
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            Assert.Equal("operator", LightYaml.At(container, probe + ".httpGet.port"));
            Assert.Contains((string)LightYaml.At(container, probe + ".httpGet.port")!, portNames);
        }
    }

    [Fact]
    public void Headless_service_gives_the_statefulset_stable_names_before_pods_are_ready()
    {
        var service = Single("Service", "flowactors");
        var statefulSet = Single("StatefulSet");

        Assert.Equal("None", LightYaml.At(service, "spec.clusterIP"));
        Assert.Equal("true", LightYaml.At(service, "spec.publishNotReadyAddresses"));
        Assert.Equal(LightYaml.At(statefulSet, "spec.serviceName"), LightYaml.At(service, "metadata.name"));
        AssertSelects((Dictionary<string, object>)LightYaml.At(service, "spec.selector")!);
        AssertSelects((Dictionary<string, object>)LightYaml.At(statefulSet, "spec.selector.matchLabels")!);
        var servicePorts = ListAt(service, "spec.ports").Select(p => int.Parse((string)p["port"])).ToArray();
        Assert.Equal([Defaults.Cluster.Port, Defaults.Operator.Port], servicePorts);
    }

    [Fact]
    public void Ingest_service_exposes_the_three_udp_receivers()
    {
        var ingest = Single("Service", "flowactors-ingest");
        var ports = ListAt(ingest, "spec.ports").Select(p => (int.Parse((string)p["port"]), (string)p["protocol"], (string)p["targetPort"])).ToArray();

        Assert.Equal([(2055, "UDP", "netflow"), (4739, "UDP", "ipfix"), (6343, "UDP", "sflow")], ports);
        AssertSelects((Dictionary<string, object>)LightYaml.At(ingest, "spec.selector")!);
    }

    [Fact]
    public void Pod_disruption_budget_selects_the_pods_and_keeps_a_majority()
    {
        var pdb = Single("PodDisruptionBudget");

        AssertSelects((Dictionary<string, object>)LightYaml.At(pdb, "spec.selector.matchLabels")!);
        int replicas = int.Parse((string)LightYaml.At(Single("StatefulSet"), "spec.replicas")!);
        int maxUnavailable = int.Parse((string)LightYaml.At(pdb, "spec.maxUnavailable")!);
        Assert.True(replicas - maxUnavailable > replicas / 2, $"{replicas} replicas with {maxUnavailable} unavailable lose the majority");
    }

    [Fact]
    public void Network_policy_keeps_remoting_and_the_operator_endpoint_to_the_cluster_and_the_operators_namespace()
    {
        var policy = Single("NetworkPolicy");
        AssertSelects((Dictionary<string, object>)LightYaml.At(policy, "spec.podSelector.matchLabels")!);
        Assert.Equal(["Ingress"], ((List<object>)LightYaml.At(policy, "spec.policyTypes")!).Cast<string>());
        var rules = ListAt(policy, "spec.ingress");

        // Every rule that opens 4053 or 9110 names its sources, and those are our pods or the operators' namespace.
        var tcpRules = rules.Where(r => ListAt(r, "ports").Any(p => (string)p["protocol"] == "TCP")).ToList();
        var tcpPorts = tcpRules.SelectMany(r => ListAt(r, "ports")).Select(p => int.Parse((string)p["port"])).Order().ToArray();
        Assert.Equal([Defaults.Cluster.Port, Defaults.Operator.Port], tcpPorts);
        foreach (var rule in tcpRules)
        {
            var from = ListAt(rule, "from");
            Assert.NotEmpty(from);
            foreach (var peer in from)
            {
                if (LightYaml.At(peer, "podSelector.matchLabels") is Dictionary<string, object> pods)
                {
                    Assert.Null(LightYaml.At(peer, "namespaceSelector"));
                    AssertSelects(pods);
                }
                else
                {
                    var namespaces = (Dictionary<string, object>)LightYaml.At(peer, "namespaceSelector.matchLabels")!;
                    Assert.Equal("flowactors-operators", Assert.Single(namespaces, kv => kv.Key == "kubernetes.io/metadata.name").Value);
                    Assert.Null(LightYaml.At(peer, "podSelector"));
                }

                Assert.Null(LightYaml.At(peer, "ipBlock"));
            }
        }

        // The UDP receivers stay reachable for exporters.
        var udp = rules.Where(r => ListAt(r, "ports").All(p => (string)p["protocol"] == "UDP")).SelectMany(r => ListAt(r, "ports")).Select(p => int.Parse((string)p["port"])).Order().ToArray();
        Assert.Equal([2055, 4739, 6343], udp);
    }

    [Fact]
    public void The_autoscaler_scales_the_statefulset_on_cpu_and_never_below_the_seeds()
    {
        var hpa = Single("HorizontalPodAutoscaler");
        var statefulSet = Single("StatefulSet");

        Assert.Equal("StatefulSet", LightYaml.At(hpa, "spec.scaleTargetRef.kind"));
        Assert.Equal(LightYaml.At(statefulSet, "metadata.name"), LightYaml.At(hpa, "spec.scaleTargetRef.name"));
        Assert.Equal("cpu", LightYaml.At(hpa, "spec.metrics.0.resource.name"));
        Assert.NotNull(LightYaml.At(Container(), "resources.requests.cpu")); // utilisation is relative to the request
        Assert.Equal(Seeds().Count, int.Parse((string)LightYaml.At(hpa, "spec.minReplicas")!));
        Assert.Equal("1", LightYaml.At(hpa, "spec.behavior.scaleDown.policies.0.value")); // one member leaves at a time
    }

    [Fact]
    public void Scaling_in_leaves_gracefully_within_the_grace_period()
    {
        var command = ((List<object>)LightYaml.At(Container(), "lifecycle.preStop.exec.command")!).Cast<string>().ToArray();
        string script = command.Last();
        int grace = int.Parse((string)LightYaml.At(Single("StatefulSet"), "spec.template.spec.terminationGracePeriodSeconds")!);
        int wait = int.Parse(Regex.Match(script, @"seq 1 (\d+)").Groups[1].Value);

        Assert.StartsWith("flowctl cluster leave && ", script);
        Assert.Contains("flowctl cluster status", script);
        Assert.True(grace > wait + NodeHost.ShutdownTimeout.TotalSeconds, $"grace {grace} s <= preStop wait {wait} s + shutdown {NodeHost.ShutdownTimeout.TotalSeconds} s");
    }

    [Fact]
    public void Every_FLOWACTORS_variable_of_the_pod_binds_to_a_setting_the_node_accepts()
    {
        using var mounts = new TempDirectory();
        var env = PodEnvironment(mounts.Path);
        var settings = ReadSettings(env, out var errors);

        Assert.Empty(errors);
        Assert.Equal(FlowActors.Cluster.PersistenceProvider.PostgreSql, settings!.Persistence.Provider);
        Assert.NotNull(settings.Cluster.Tls);
        Assert.EndsWith("ca.crt", settings.Cluster.Tls!.CaPath);
        Assert.Equal("flowactors-0.flowactors", settings.Cluster.PublicHostname);
        Assert.Equal(["archive", "console"], settings.Forwarder.Sinks.Select(s => s.Name));
    }

    [Fact]
    public void The_seeds_are_the_statefulset_pods_by_their_headless_service_names()
    {
        var statefulSet = Single("StatefulSet");
        string name = (string)LightYaml.At(statefulSet, "metadata.name")!;
        string service = (string)LightYaml.At(statefulSet, "spec.serviceName")!;
        int replicas = int.Parse((string)LightYaml.At(statefulSet, "spec.replicas")!);
        Assert.Single(Production.Value, m => (string)m["kind"] == "Service" && (string?)LightYaml.At(m, "metadata.name") == service);

        Assert.Equal(Enumerable.Range(0, replicas).Select(i => $"akka.ssl.tcp://flowactors@{name}-{i}.{service}:{Defaults.Cluster.Port}"), Seeds()); // TLS in production
        var publicHostname = ListAt(Container(), "env").Single(e => (string)e["name"] == "FLOWACTORS__CLUSTER__PUBLICHOSTNAME");
        Assert.Equal("$(POD_NAME)." + service, publicHostname["value"]);
    }

    [Fact]
    public void Pods_run_as_the_image_non_root_user()
    {
        var statefulSet = Single("StatefulSet");
        string dockerfile = File.ReadAllText(Path.Combine(Root, "docker", "Dockerfile"));

        Assert.Equal("true", LightYaml.At(statefulSet, "spec.template.spec.securityContext.runAsNonRoot"));
        string uid = (string)LightYaml.At(statefulSet, "spec.template.spec.securityContext.runAsUser")!;
        Assert.Contains("\nUSER " + uid + "\n", dockerfile);
    }

    [Fact]
    public void Dockerfile_builds_with_sdk_10_runs_on_aspnet_10_as_non_root_and_exposes_the_node_ports()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "docker", "Dockerfile")).Where(l => !l.StartsWith('#')).ToArray();

        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, froms.Length);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", froms[0]);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", froms[1]);
        Assert.Contains(lines, l => l.Contains("dotnet publish src/FlowActors.Node/FlowActors.Node.csproj -c Release", StringComparison.Ordinal));
        string user = Assert.Single(lines, l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Trim();
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        string expose = Assert.Single(lines, l => l.StartsWith("EXPOSE ", StringComparison.Ordinal));
        Assert.Equal(
            $"EXPOSE {Defaults.Receivers.NetFlowPort}/udp {Defaults.Receivers.IpfixPort}/udp {Defaults.Receivers.SflowPort}/udp {Defaults.Cluster.Port} {Defaults.Operator.Port}",
            expose);
        Assert.Equal("ENTRYPOINT [\"dotnet\", \"/app/FlowActors.Node.dll\"]", lines.Last(l => l.Length > 0));
    }

    [Fact]
    public void The_image_and_the_end_to_end_benchmark_run_the_node_with_the_same_young_generation_budget()
    {
        // The benchmark must measure the node as the image runs it; the knob is read from the environment only.
        string dockerfile = File.ReadAllText(Path.Combine(Root, "docker", "Dockerfile"));
        string bench = File.ReadAllText(Path.Combine(Root, "bench", "e2e", "BenchE2E.ps1"));
        var image = Regex.Match(dockerfile, @"^\s+DOTNET_GCgen0size=(0x[0-9A-Fa-f]+)\s*$", RegexOptions.Multiline);
        var measured = Regex.Match(bench, @"DOTNET_GCgen0size = '(0x[0-9A-Fa-f]+)'");
        Assert.True(image.Success, "docker/Dockerfile sets no DOTNET_GCgen0size");
        Assert.True(measured.Success, "bench/e2e/BenchE2E.ps1 sets no DOTNET_GCgen0size");
        Assert.Equal(image.Groups[1].Value, measured.Groups[1].Value);
    }

    [Fact]
    public void Compose_runs_three_members_seeded_by_their_service_names_with_postgresql_and_rsyslog()
    {
        var compose = Manifests.Parse(File.ReadAllText(Path.Combine(Root, "docker", "docker-compose.yml"))).Single();
        var services = (Dictionary<string, object>)compose["services"];
        string[] nodes = services.Keys.Where(k => k.StartsWith("node", StringComparison.Ordinal)).Order().ToArray();

        Assert.Equal(["node1", "node2", "node3"], nodes);
        Assert.Contains("postgres", services.Keys);
        Assert.Contains("rsyslog", services.Keys);
        foreach (var node in nodes)
        {
            var service = (Dictionary<string, object>)services[node];
            var env = ((Dictionary<string, object>)service["environment"]).ToDictionary(kv => kv.Key, kv => (string?)ComposeValue((string)kv.Value));
            var settings = ReadSettings(env, out var errors);

            Assert.Empty(errors);
            Assert.Equal(nodes.Select(n => $"akka.tcp://flowactors@{n}:{Defaults.Cluster.Port}"), settings!.Cluster.Seeds);
            Assert.Equal(node, settings.Cluster.PublicHostname);
            Assert.Equal(node, service["hostname"]);
            Assert.Equal(FlowActors.Cluster.PersistenceProvider.PostgreSql, settings.Persistence.Provider);
            Assert.Contains("Host=postgres;", settings.Persistence.ConnectionString);
            Assert.Equal("docker/Dockerfile", LightYaml.At(service, "build.dockerfile"));
            Assert.Equal("service_healthy", LightYaml.At(service, "depends_on.postgres.condition"));
            Assert.True(TimeSpan.FromSeconds(int.Parse(((string)service["stop_grace_period"]).TrimEnd('s'))) > NodeHost.ShutdownTimeout);
        }

        var published = ((List<object>)LightYaml.At(services, "node1.ports")!).Cast<string>().ToArray();
        Assert.Equal(["2055:2055/udp", "4739:4739/udp", "6343:6343/udp", $"127.0.0.1:{Defaults.Operator.Port}:{Defaults.Operator.Port}"], published);
    }

    [Fact]
    public void The_readme_says_no_docker_engine_or_kubernetes_cluster_runs_the_tests()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        Assert.Contains("No Docker engine runs here", readme);
        Assert.Contains("kubectl kustomize k8s/overlays/production", readme);
    }

    [Fact]
    public void Light_yaml_reader_understands_nested_lists_of_maps()
    {
        var doc = LightYaml.ReadDocuments("""
            a:
              b:
                - name: x
                  port: "1"   # comment
                - name: 'y'
                  list:
                    - p
                    - q
              c: {}
            ---
            d: e
            """);

        Assert.Equal(2, doc.Count);
        Assert.Equal("1", LightYaml.At(doc[0], "a.b.0.port"));
        Assert.Equal("y", LightYaml.At(doc[0], "a.b.1.name"));
        Assert.Equal("q", LightYaml.At(doc[0], "a.b.1.list.1"));
        Assert.Empty((Dictionary<string, object>)LightYaml.At(doc[0], "a.c")!);
        Assert.Equal("e", doc[1]["d"]);
    }

    private static List<string> Seeds()
    {
        using var mounts = new TempDirectory();
        var settings = ReadSettings(PodEnvironment(mounts.Path), out var errors);
        Assert.Empty(errors);
        return settings!.Cluster.Seeds.ToList();
    }

    /// <summary>
    /// The pod's environment as the kubelet builds it: envFrom (ConfigMap, secrets) then env; secrets stand in
    /// their examples' values, and files under the pod's volume mounts are placed under <paramref name="mountRoot"/>.
    /// </summary>
    private static Dictionary<string, string?> PodEnvironment(string mountRoot)
    {
        var container = Container();
        var env = new Dictionary<string, string?>();
        foreach (var source in ListAt(container, "envFrom"))
        {
            if (LightYaml.At(source, "configMapRef.name") is string configMap)
            {
                var map = Assert.Single(Production.Value, m => (string)m["kind"] == "ConfigMap" && (string?)LightYaml.At(m, "metadata.name") == configMap);
                foreach (var (k, v) in (Dictionary<string, object>)map["data"]) env[k] = (string)v;
            }
            else if (LightYaml.At(source, "secretRef.name") is string secretName)
            {
                foreach (var (k, v) in ExampleSecret(secretName)) env[k] = v;
            }
        }

        var mountPaths = ListAt(container, "volumeMounts").Select(m => (string)m["mountPath"]).ToList();
        foreach (var entry in ListAt(container, "env"))
        {
            string name = (string)entry["name"];
            if (entry.TryGetValue("value", out var value))
            {
                string text = ((string)value).Replace("$(POD_NAME)", "flowactors-0", StringComparison.Ordinal);
                if (mountPaths.FirstOrDefault(m => text.StartsWith(m + "/", StringComparison.Ordinal)) is { } mount)
                {
                    // A file in a mounted secret: the reader checks it exists, so stand one in.
                    text = Path.Combine(mountRoot, text.TrimStart('/'));
                    Directory.CreateDirectory(Path.GetDirectoryName(text)!);
                    File.WriteAllText(text, "stand-in for " + mount);
                }

                env[name] = text;
            }
            else if (LightYaml.At(entry, "valueFrom.secretKeyRef.name") is string secretName)
            {
                env[name] = ExampleSecret(secretName)[(string)LightYaml.At(entry, "valueFrom.secretKeyRef.key")!];
            }
        }

        return env;
    }

    /// <summary>The example of secret <paramref name="name"/> (the real one is created out of band), with stand-ins for placeholders.</summary>
    private static Dictionary<string, string> ExampleSecret(string name)
    {
        var examples = Directory.GetFiles(Path.Combine(Root, "k8s"), "*secret.example.yaml", SearchOption.AllDirectories)
            .SelectMany(f => Manifests.Parse(File.ReadAllText(f)));
        var secret = Assert.Single(examples, s => (string?)LightYaml.At(s, "metadata.name") == name);
        return ((Dictionary<string, object>)secret["stringData"]).ToDictionary(kv => kv.Key, kv =>
            // The placeholder token is refused by the node (see NodeSettingsTests); a real secret holds a random one.
            NodeSettingsOptions.PlaceholderTokens.Contains((string)kv.Value) ? "Zq8Xw3Lr6Tn1Vb5Mk7Hc" : (string)kv.Value);
    }

    /// <summary>A compose value with <c>${VAR:?message}</c> replaced by a stand-in, as compose would interpolate it.</summary>
    private static string ComposeValue(string value) => Regex.Replace(value, @"\$\{[A-Z_]+:\?[^}]*\}", "Zq8Xw3Lr6Tn1Vb5Mk7Hc");

    /// <summary>Environment variable names map to keys as the .NET provider maps them: "__" is ":".</summary>
    private static NodeSettings? ReadSettings(IReadOnlyDictionary<string, string?> env, out IReadOnlyList<SettingError> errors)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(env.Where(kv => kv.Key.StartsWith("FLOWACTORS__", StringComparison.Ordinal))
                .Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)))
            .Build();
        return NodeSettingsOptions.TryRead(config, out errors);
    }
}
