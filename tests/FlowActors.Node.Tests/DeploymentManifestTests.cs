using FlowActors.Node.Configuration;
using FlowActors.Node.Hosting;
using FlowActors.Node.Tests.Harness;
using Microsoft.Extensions.Configuration;

namespace FlowActors.Node.Tests;

/// <summary>Static checks of k8s/ and docker/: they must agree with the node's defaults and its settings reader.</summary>
public sealed class DeploymentManifestTests
{
    private static readonly string Root = FindRepositoryRoot();
    private static readonly NodeSettings Defaults = NodeSettingsReader.Read(new ConfigurationBuilder().Build());

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlowActors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("FlowActors.sln not found above " + AppContext.BaseDirectory);
    }

    private static List<Dictionary<string, object>> Manifests() =>
        Directory.GetFiles(Path.Combine(Root, "k8s"), "*.yaml")
            .Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => LightYaml.ReadDocuments(File.ReadAllText(f)))
            .ToList();

    private static Dictionary<string, object> Single(string kind, string? name = null) =>
        Assert.Single(Manifests(), m => (string)m["kind"] == kind && (name is null || (string?)LightYaml.At(m, "metadata.name") == name));

    private static Dictionary<string, object> Container() =>
        (Dictionary<string, object>)LightYaml.At(Single("StatefulSet"), "spec.template.spec.containers.0")!;

    private static List<(string Name, int Port, string Protocol)> ContainerPorts() =>
        ((List<object>)Container()["ports"]).Cast<Dictionary<string, object>>()
            .Select(p => ((string)p["name"], int.Parse((string)p["containerPort"]), (string)p["protocol"]))
            .ToList();

    [Fact]
    public void Kustomization_lists_every_manifest_but_the_secret_example()
    {
        var kustomization = LightYaml.ReadDocuments(File.ReadAllText(Path.Combine(Root, "k8s", "kustomization.yaml"))).Single();
        var listed = ((List<object>)kustomization["resources"]).Cast<string>().Order().ToArray();
        var files = Directory.GetFiles(Path.Combine(Root, "k8s"), "*.yaml").Select(Path.GetFileName)
            .Where(f => f is not ("kustomization.yaml" or "secret.example.yaml")).Order().ToArray();

        Assert.Equal(files, listed);
    }

    [Fact]
    public void Container_ports_are_the_node_default_ports()
    {
        Assert.Equal(
            [
                ("netflow", Defaults.Receivers.NetFlowPort, "UDP"),
                ("ipfix", Defaults.Receivers.IpfixPort, "UDP"),
                ("sflow", Defaults.Receivers.SflowPort, "UDP"),
                ("remoting", Defaults.Cluster.Port, "TCP"),
                ("operator", Defaults.Operator.Port, "TCP"),
            ],
            ContainerPorts());
    }

    [Fact]
    public void Probes_hit_the_operator_endpoint_health_routes()
    {
        var container = Container();

        Assert.Equal("/healthz/live", LightYaml.At(container, "livenessProbe.httpGet.path"));
        Assert.Equal("/healthz/ready", LightYaml.At(container, "readinessProbe.httpGet.path"));
        Assert.Equal("/healthz/live", LightYaml.At(container, "startupProbe.httpGet.path"));
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            Assert.Equal("operator", LightYaml.At(container, probe + ".httpGet.port"));
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
        var podLabels = (Dictionary<string, object>)LightYaml.At(statefulSet, "spec.template.metadata.labels")!;
        var selector = (Dictionary<string, object>)LightYaml.At(service, "spec.selector")!;
        Assert.All(selector, kv => Assert.Equal(kv.Value, podLabels[kv.Key]));
        var servicePorts = ((List<object>)LightYaml.At(service, "spec.ports")!).Cast<Dictionary<string, object>>().Select(p => int.Parse((string)p["port"])).ToArray();
        Assert.Equal([Defaults.Cluster.Port, Defaults.Operator.Port], servicePorts);
    }

    [Fact]
    public void Ingest_service_exposes_the_three_udp_receivers()
    {
        var ingest = Single("Service", "flowactors-ingest");
        var ports = ((List<object>)LightYaml.At(ingest, "spec.ports")!).Cast<Dictionary<string, object>>()
            .Select(p => (int.Parse((string)p["port"]), (string)p["protocol"], (string)p["targetPort"])).ToArray();

        Assert.Equal([(2055, "UDP", "netflow"), (4739, "UDP", "ipfix"), (6343, "UDP", "sflow")], ports);
    }

    [Fact]
    public void Pod_disruption_budget_selects_the_pods_and_keeps_a_majority()
    {
        var pdb = Single("PodDisruptionBudget");
        var statefulSet = Single("StatefulSet");
        var podLabels = (Dictionary<string, object>)LightYaml.At(statefulSet, "spec.template.metadata.labels")!;
        var selector = (Dictionary<string, object>)LightYaml.At(pdb, "spec.selector.matchLabels")!;

        Assert.All(selector, kv => Assert.Equal(kv.Value, podLabels[kv.Key]));
        int replicas = int.Parse((string)LightYaml.At(statefulSet, "spec.replicas")!);
        int maxUnavailable = int.Parse((string)LightYaml.At(pdb, "spec.maxUnavailable")!);
        Assert.True(replicas - maxUnavailable > replicas / 2, $"{replicas} replicas with {maxUnavailable} unavailable lose the majority");
    }

    [Fact]
    public void Grace_period_outlasts_the_node_coordinated_shutdown()
    {
        int grace = int.Parse((string)LightYaml.At(Single("StatefulSet"), "spec.template.spec.terminationGracePeriodSeconds")!);

        Assert.True(grace > NodeHost.ShutdownTimeout.TotalSeconds, $"grace {grace} s <= shutdown timeout {NodeHost.ShutdownTimeout.TotalSeconds} s");
    }

    [Fact]
    public void The_pod_environment_is_a_configuration_the_node_accepts()
    {
        var configMap = Single("ConfigMap");
        var env = ((Dictionary<string, object>)configMap["data"]).ToDictionary(kv => kv.Key, kv => (string?)(string)kv.Value);
        foreach (var entry in ((List<object>)Container()["env"]).Cast<Dictionary<string, object>>())
        {
            string name = (string)entry["name"];
            if (entry.TryGetValue("value", out var value))
            {
                env[name] = ((string)value).Replace("$(POD_NAME)", "flowactors-0", StringComparison.Ordinal);
            }
            else if (LightYaml.At(entry, "valueFrom.secretKeyRef.key") is string secretKey)
            {
                // Secrets hold real values at run time; stand in the example secret's.
                var secret = LightYaml.ReadDocuments(File.ReadAllText(Path.Combine(Root, "k8s", "secret.example.yaml"))).Single();
                env[name] = (string)LightYaml.At(secret, "stringData." + secretKey)!;
            }
        }

        // Environment variable names map to keys as the .NET provider maps them: "__" is ":".
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(env.Where(kv => kv.Key.StartsWith("FLOWACTORS__", StringComparison.Ordinal))
                .Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)))
            .Build();
        var settings = NodeSettingsReader.TryRead(config, out var errors);

        Assert.Empty(errors);
        Assert.Equal(["akka.tcp://flowactors@flowactors-0.flowactors:4053", "akka.tcp://flowactors@flowactors-1.flowactors:4053", "akka.tcp://flowactors@flowactors-2.flowactors:4053"], settings!.Cluster.Seeds);
        Assert.Equal("flowactors-0.flowactors", settings.Cluster.PublicHostname);
        Assert.Equal(PersistenceProvider.PostgreSql, settings.Persistence.Provider);
        Assert.Equal(int.Parse((string)LightYaml.At(Single("StatefulSet"), "spec.replicas")!), settings.Cluster.Seeds.Count);
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
}
