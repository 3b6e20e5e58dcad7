using System.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlowActors.Node.Tests.Harness;

/// <summary>
/// The deployment files as data: <c>kubectl kustomize</c> output and docker-compose.yml parsed by YamlDotNet (anchors
/// and merge keys resolved) into the dictionaries, lists and strings <see cref="LightYaml.At"/> walks.
/// </summary>
public static class Manifests
{
    /// <summary>The repository root (where FlowActors.sln is).</summary>
    public static readonly string Root = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlowActors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("FlowActors.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every document of <paramref name="text"/>.</summary>
    public static List<Dictionary<string, object>> Parse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(new StringReader(text))));
        return stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => (Dictionary<string, object>)Convert(d.RootNode)).ToList();
    }

    /// <summary>Renders <paramref name="kustomization"/> (a folder under the root) with <c>kubectl kustomize</c>.</summary>
    public static List<Dictionary<string, object>> Kustomize(string kustomization)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "kustomize", Path.Combine(Root, kustomization) }) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start (.ci/run installs kubernetes-client)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) throw new TimeoutException("kubectl kustomize did not finish within 60 s");
        if (process.ExitCode != 0) throw new InvalidOperationException($"kubectl kustomize {kustomization} failed ({process.ExitCode}): {stderr.Result}");
        return Parse(stdout.Result);
    }

    private static object Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Convert(kv.Value)),
        YamlSequenceNode list => list.Children.Select(Convert).ToList(),
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => throw new FormatException("unexpected YAML node " + node.NodeType),
    };
}
