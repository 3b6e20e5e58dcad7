using System.Net;

namespace FlowActors.Cli.Operator;

/// <summary>
/// The operator token of a node on this machine, found without <c>--token</c>: the node's own environment
/// (<c>FLOWACTORS__OPERATOR__TOKEN</c> or <c>FLOWACTORS__OPERATOR__TOKENFILE</c>, as in its container), or the token it
/// generated into its data directory (<c>FLOWACTORS__DATADIRECTORY</c>, <c>./data</c>, <c>/var/lib/flowactors</c>).
/// Only for a loopback endpoint: a local secret is never sent to another machine unasked.
/// </summary>
public static class LocalToken
{
    /// <summary>File name the node generates its token into (FlowActors.Node's <c>OperatorToken.FileName</c>).</summary>
    public const string FileName = "operator-token";

    /// <summary>The token for <paramref name="endpoint"/> when it is on this machine and one is found; otherwise null.</summary>
    public static string? Find(string endpoint, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!IsLoopback(endpoint)) return null;
        if (environment("FLOWACTORS__OPERATOR__TOKEN") is { Length: > 0 } configured && configured.Trim().Length > 0) return configured.Trim();
        var candidates = new List<string>();
        if (environment("FLOWACTORS__OPERATOR__TOKENFILE") is { Length: > 0 } tokenFile) candidates.Add(tokenFile);
        if (environment("FLOWACTORS__DATADIRECTORY") is { Length: > 0 } dataDirectory) candidates.Add(Path.Combine(dataDirectory, FileName));
        candidates.Add(Path.Combine("data", FileName));
        candidates.Add(Path.Combine("/var/lib/flowactors", FileName));
        foreach (var path in candidates)
        {
            try
            {
                if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } token) return token;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's node: not ours to read; the node will answer 401 with the hint.
            }
        }

        return null;
    }

    private static bool IsLoopback(string endpoint)
    {
        string host = endpoint.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            ? uri.Host
            : endpoint[..Math.Max(0, endpoint.LastIndexOf(':'))];
        host = host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
