using System.Diagnostics;
using System.Text.Json;

namespace FlowActors.Node.Tests.Harness;

/// <summary>
/// N node processes on loopback forming one cluster, configured as Kubernetes configures the StatefulSet's pods
/// (FLOWACTORS__CLUSTER__HOSTNAME/PORT/SEEDS, PostgreSQL persistence), on one throw-away PostgreSQL, with one shared
/// JSON-lines file sink as the SIEM. Every process, the server and the temp directory go on dispose.
/// </summary>
/// <remarks>With <c>REALCLUSTER_LOG_DIR</c> set (debugging), Akka logs at Information and each node's output is written
/// there as <c>node-N.log</c> on dispose.</remarks>
public sealed class RealCluster : IAsyncDisposable
{
    private readonly List<Member> _members = [];
    private readonly TempDirectory _root;
    private readonly int _seedPort;

    private RealCluster(PostgresServer postgres, TempDirectory root, int seedPort)
    {
        Postgres = postgres;
        _root = root;
        _seedPort = seedPort;
        SinkFile = Path.Combine(root.Path, "siem", "alerts.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(SinkFile)!);
    }

    /// <summary>The cluster's PostgreSQL.</summary>
    public PostgresServer Postgres { get; }

    /// <summary>The SIEM file every node's forwarder writes (the singleton, wherever it runs, appends to it).</summary>
    public string SinkFile { get; }

    /// <summary>The members started so far, in start order (index = slot).</summary>
    public IReadOnlyList<Member> Members => _members;

    /// <summary>One node process and the settings it was started with (so it can be restarted alike).</summary>
    public sealed class Member
    {
        internal Member(int slot, Dictionary<string, string> environment, NodeProcess process)
        {
            Slot = slot;
            Environment = environment;
            Process = process;
        }

        /// <summary>Start order.</summary>
        public int Slot { get; }

        /// <summary>The FLOWACTORS__* variables.</summary>
        public Dictionary<string, string> Environment { get; }

        /// <summary>The current process.</summary>
        public NodeProcess Process { get; internal set; }

        /// <summary>Akka address, as the members see it.</summary>
        public string Address => $"akka.tcp://flowactors@127.0.0.1:{Environment["FLOWACTORS__CLUSTER__PORT"]}";

        /// <summary>NetFlow v9 receiver port.</summary>
        public int NetFlowPort => int.Parse(Environment["FLOWACTORS__RECEIVERS__NETFLOWPORT"]);
    }

    /// <summary>Starts PostgreSQL and <paramref name="nodes"/> nodes, and waits until all are ready and Up.</summary>
    public static async Task<RealCluster> StartAsync(int nodes, IReadOnlyDictionary<string, string>? extra = null)
    {
        var postgres = await PostgresServer.StartAsync();
        var cluster = new RealCluster(postgres, new TempDirectory("flowactors-cluster"), FreePorts.Tcp());
        try
        {
            // The seed (slot 0) first, so it forms the cluster; the others join it.
            cluster.Add(extra);
            await cluster._members[0].Process.WaitReadyAsync(TimeSpan.FromSeconds(120));
            for (int i = 1; i < nodes; i++) cluster.Add(extra);
            foreach (var m in cluster._members) await m.Process.WaitReadyAsync(TimeSpan.FromSeconds(120));
            await cluster.WaitMembersUpAsync(cluster._members, TimeSpan.FromSeconds(90));
            await cluster.WaitShardsSpreadAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Host shards of the cluster (the node's default ShardCount).</summary>
    public const int ShardCount = 100;

    /// <summary>
    /// Waits until every member holds at least 60 % of an even share of the host shards. The seed starts them all while it
    /// is alone and rebalancing spreads them within seconds; tests start their traffic on the spread cluster, because
    /// Akka's shard hand-off drops the messages the owning region buffered between BeginHandOff and HandOff.
    /// </summary>
    public async Task WaitShardsSpreadAsync(TimeSpan timeout)
    {
        int min = ShardCount * 6 / (10 * _members.Count);
        Dictionary<string, int> shards = [];
        try
        {
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    shards = await ShardsPerNodeAsync(_members[^1].Process);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
                return _members.All(m => shards.GetValueOrDefault(m.Address) >= min);
            }, timeout, $"at least {min} of {ShardCount} host shards on each of {_members.Count} nodes");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; shards per node: {string.Join(", ", shards.Select(kv => $"{kv.Key}={kv.Value}"))}", e);
        }
    }

    /// <summary>Starts one more node (not waiting for it); it joins through the seed.</summary>
    public Member Add(IReadOnlyDictionary<string, string>? extra = null)
    {
        int slot = _members.Count;
        string data = Path.Combine(_root.Path, $"node-{slot}");
        Directory.CreateDirectory(data);
        var environment = NodeProcess.FreshEnvironment(data, FreePorts.Udp());
        environment["FLOWACTORS__CLUSTER__HOSTNAME"] = "127.0.0.1";
        environment["FLOWACTORS__CLUSTER__PORT"] = (slot == 0 ? _seedPort : FreePorts.Tcp()).ToString();
        environment["FLOWACTORS__CLUSTER__SEEDS__0"] = $"akka.tcp://flowactors@127.0.0.1:{_seedPort}";
        environment["FLOWACTORS__PERSISTENCE__PROVIDER"] = "postgresql";
        environment["FLOWACTORS__PERSISTENCE__CONNECTIONSTRING"] = Postgres.ConnectionString();
        environment["FLOWACTORS__FORWARDER__SINKS__2__KIND"] = "file";
        environment["FLOWACTORS__FORWARDER__SINKS__2__NAME"] = "siem";
        environment["FLOWACTORS__FORWARDER__SINKS__2__PATH"] = SinkFile;
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Akka"] = Environment.GetEnvironmentVariable("REALCLUSTER_LOG_DIR") is null ? "Warning" : "Information";
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) environment[k] = v;
        var member = new Member(slot, environment, NodeProcess.Start(environment));
        _members.Add(member);
        return member;
    }

    /// <summary>Starts a new process for <paramref name="member"/> with its old settings and data directory.</summary>
    public async Task RestartAsync(Member member)
    {
        await member.Process.DisposeAsync();
        member.Process = NodeProcess.Start(member.Environment);
    }

    /// <summary>GET <paramref name="path"/> on <paramref name="node"/> as JSON; fails with the body otherwise.</summary>
    public static async Task<JsonElement> GetAsync(NodeProcess node, string path)
    {
        using var response = await node.Client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Members <paramref name="node"/> sees, by address, with their status.</summary>
    public static async Task<Dictionary<string, string>> MembersSeenByAsync(NodeProcess node)
    {
        var show = await GetAsync(node, "api/cluster/show");
        return show.GetProperty("members").EnumerateArray()
            .ToDictionary(m => m.GetProperty("address").GetString()!, m => m.GetProperty("status").GetString()!);
    }

    /// <summary>Waits until every one of <paramref name="members"/> sees exactly them, all Up and reachable.</summary>
    public async Task WaitMembersUpAsync(IReadOnlyCollection<Member> members, TimeSpan timeout)
    {
        var expected = members.Select(m => m.Address).ToHashSet();
        await Poll.UntilAsync(async () =>
        {
            foreach (var m in members)
            {
                try
                {
                    var show = await GetAsync(m.Process, "api/cluster/show");
                    var seen = show.GetProperty("members").EnumerateArray()
                        .Where(x => x.GetProperty("status").GetString() == "Up" && x.GetProperty("reachable").GetBoolean())
                        .Select(x => x.GetProperty("address").GetString()!).ToHashSet();
                    if (!seen.SetEquals(expected)) return false;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }

            return true;
        }, timeout, $"members {string.Join(", ", expected)} all Up and reachable on each of them");
    }

    /// <summary>The address of the node running the forwarder singleton, asked through <paramref name="node"/>.</summary>
    public static async Task<string> ForwarderNodeAsync(NodeProcess node) =>
        (await GetAsync(node, "api/forwarder/status")).GetProperty("node_address").GetString()!;

    /// <summary>Shards per member address of the host region, as <paramref name="node"/> gathers them cluster-wide.</summary>
    public static async Task<Dictionary<string, int>> ShardsPerNodeAsync(NodeProcess node)
    {
        var stats = await GetAsync(node, "api/sharding/shard-stats?type=host");
        return stats.GetProperty("regions").EnumerateArray()
            .ToDictionary(r => r.GetProperty("address").GetString()!, r => r.GetProperty("shards").GetInt32());
    }

    /// <summary>Every alert the forwarder journalled (the pull API), by id with its (host, role).</summary>
    public static async Task<Dictionary<string, (string Host, string Role)>> AcceptedAsync(NodeProcess node)
    {
        var result = new Dictionary<string, (string Host, string Role)>();
        long after = 0;
        while (true)
        {
            // Pages of 100: a page of the pull API crosses remoting when the forwarder runs on another node, and one of
            // 1000 alerts (~500 B each) is over Akka.Remote's 128 KB frame and would be discarded.
            var page = await GetAsync(node, $"api/alerts?after={after}&limit=100");
            if (page.GetProperty("truncated").GetBoolean()) throw new InvalidOperationException("the pull window was exceeded");
            int n = 0;
            foreach (var a in page.GetProperty("alerts").EnumerateArray())
            {
                result[a.GetProperty("id").GetString()!] = (a.GetProperty("host").GetString()!, a.GetProperty("role").GetString()!);
                n++;
            }

            long next = page.GetProperty("next").GetInt64();
            if (n == 0 || next <= after) return result;
            after = next;
        }
    }

    /// <summary>The SIEM file's alert lines: how often each id was written (a count above 1 is a duplicate or an update).</summary>
    public (Dictionary<string, int> Lines, HashSet<(string Host, string Role)> Keys) Delivered()
    {
        var lines = new Dictionary<string, int>();
        var keys = new HashSet<(string Host, string Role)>();
        if (!File.Exists(SinkFile)) return (lines, keys);
        using var stream = new FileStream(SinkFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            // A line being written may be incomplete; it is complete on the next read.
            if (!line.EndsWith('}')) continue;
            JsonElement alert;
            try
            {
                alert = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException)
            {
                continue;
            }

            string id = alert.GetProperty("id").GetString()!;
            lines[id] = lines.GetValueOrDefault(id) + 1;
            keys.Add((alert.GetProperty("host").GetString()!, alert.GetProperty("role").GetString()!));
        }

        return (lines, keys);
    }

    /// <summary>Sends a signal (STOP, CONT, KILL, TERM) to <paramref name="member"/>'s process.</summary>
    public static async Task SignalAsync(Member member, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", member.Process.Id.ToString()]);
        await kill.WaitForExitAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var m in _members)
        {
            // A stopped process must be continued to be killed promptly and reaped.
            try
            {
                await SignalAsync(m, "CONT");
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            await m.Process.DisposeAsync();
            if (Environment.GetEnvironmentVariable("REALCLUSTER_LOG_DIR") is { } dump) File.WriteAllText(Path.Combine(dump, $"node-{m.Slot}.log"), m.Process.Output);
        }

        await Postgres.DisposeAsync();
        _root.Dispose();
    }
}
