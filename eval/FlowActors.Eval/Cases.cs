using FlowActors.Protocols;

namespace FlowActors.Eval;

/// <summary>Every evaluation case: real-tool captures (eval/make-captures.sh) and deterministic synthesised benign networks.</summary>
public static class Cases
{
    private const string Victim = "203.0.113.10";
    private const string Implant = "10.77.0.5";
    private static readonly string[] T1595 = ["T1595"];
    private static readonly string[] T1046 = ["T1046"];

    /// <summary>All cases; captures are read from <paramref name="baseDirectory"/>/captures and /testdata.</summary>
    public static IReadOnlyList<Case> All(string baseDirectory) => [.. Attacks(baseDirectory), .. Benign()];

    /// <summary>The attack cases (one per capture).</summary>
    public static IEnumerable<Case> Attacks(string baseDirectory)
    {
        string Cap(string name) => Path.Combine(baseDirectory, "captures", name + ".pcap");
        string Shared(string name) => Path.Combine(baseDirectory, "testdata", name + ".pcap");
        const string Made = "softflowd 1.1.0 (-r) NetFlow v9 of packets captured by tshark in network namespaces";
        Behaviour Scan(string what) => new(what, Victim, "target", ["inbound-scan"], T1595);

        yield return new Case("inbound-syn-scan", "attack", $"nmap -sS -T4 -p 1-300 of the public host; {Made}",
            () => Case.FromCapture(Cap("inbound-syn-scan")), [Scan("vertical SYN scan of a public host")]);
        yield return new Case("inbound-udp-scan", "attack", $"nmap -sU -p 1-120 (ICMP port-unreachable or silence); {Made}",
            () => Case.FromCapture(Cap("inbound-udp-scan")), [Scan("UDP port scan")]);
        yield return new Case("inbound-slow-scan", "attack", $"nmap -sS --scan-delay 1s over 27 ports, packets re-timed x120 (one probe per 2 min, 54 min, as -T0/-T1); {Made}",
            () => Case.FromCapture(Cap("inbound-slow-scan")), [Scan("slow scan over an hour")]);
        yield return new Case("inbound-masscan", "attack", $"masscan -p1-400 --rate 200; {Made}",
            () => Case.FromCapture(Cap("inbound-masscan")), [Scan("masscan of a public host")]);
        yield return new Case("inbound-ssh-brute", "attack", $"hydra -t 4 against openssh-server in a namespace; {Made}",
            () => Case.FromCapture(Cap("inbound-ssh-brute")), [new("SSH password guessing", Victim, "target", ["brute-force"], ["T1110"])]);
        yield return new Case("jittered-beacon", "attack", $"32 curl GETs every 8 s +-30 % uniform jitter, packets re-timed x7.5 (60 s +-30 %, 30 min); {Made}",
            () => Case.FromCapture(Cap("jittered-beacon")), [new("jittered HTTP beacon", Implant, "actor", ["beaconing"], ["T1071"])]);
        yield return new Case("failing-c2", "attack", $"240 connects to a closed port in two bursts, re-timed x4 (about 9 min); {Made}",
            () => Case.FromCapture(Cap("failing-c2")), [new("connection loop to a dead C2", Implant, "actor", ["connection-loop"], ["T1071", "T1571"])]);
        yield return new Case("bulk-upload", "attack", $"30 MB over TCP to port 9999 of an Internet host, first hour of the host; {Made}",
            () => Case.FromCapture(Cap("bulk-upload")), [new("bulk upload with no history", Implant, "actor", ["exfiltration"], ["T1048", "T1041"])]);
        yield return new Case("horizontal-burst", "attack", $"hping3 -S -p 445 to 40 Internet hosts at once; {Made}",
            () => Case.FromCapture(Cap("horizontal-burst")), [new("burst to 40 Internet hosts on one port", Implant, "actor", ["internet-sweep"], T1046)],
            allowed: [new("the same burst as a failed-connection sweep", Implant, "actor", ["host-sweep"], T1046)]);
        yield return new Case("shared-portscan-v9", "attack", "nmap -sS -p 1-2000 between internal hosts; softflowd v9 (tests/testdata)",
            () => Case.FromCapture(Shared("portscan-v9")),
            [new("internal port scan (scanner)", "10.99.1.30", "actor", ["port-scan"], T1046), new("internal port scan (target)", "10.99.0.10", "target", ["port-scan"], T1046)]);
        yield return new Case("shared-synflood-v9", "attack", "hping3 -S -p 80 -c 3000; softflowd v9 (tests/testdata)",
            () => Case.FromCapture(Shared("synflood-v9")), [new("SYN flood", "10.99.0.10", "target", ["syn-flood"], ["T1499.001"])]);
    }

    /// <summary>The benign cases: deterministic synthesised networks (fixed seeds), six days from a Monday.</summary>
    public static IEnumerable<Case> Benign()
    {
        yield return new Case("benign-windows", "benign",
            "synthesised: 8 Windows-like workstations, 6 days: telemetry to a Microsoft front every 300 s, update checks hourly (AS 8075), an antivirus cloud every 900 s (not allowlisted: prevalence), browsing page loads of 8-35 CDN hosts, DNS, SMB",
            () => BenignNetwork.Windows(8, seed: 11), []);
        yield return new Case("benign-linux", "benign",
            "synthesised: 6 Linux servers, 6 days: NTP (123-123) to 3 pool servers, apt twice a day (up to 30 MB on 80), a monitoring agent to a SaaS every 30 s, Prometheus scrapes, nightly backups to an internal host",
            () => BenignNetwork.Linux(6, seed: 12), []);
        yield return new Case("benign-web", "benign",
            "synthesised: 2 public web servers (/32), 6 days: HTTPS sessions from random Internet clients (day/night load, downloads up to 50 MB), database connections, background probes",
            () => BenignNetwork.Web(2, seed: 13), []);
        yield return new Case("benign-resolver", "benign",
            "synthesised: a recursive resolver, 6 days: queries from 30 internal clients, cache misses to 2,000 authoritative servers (only the resolver's hours counted)",
            () => BenignNetwork.Resolver(seed: 14), [], subjects: ["10.20.0.53/32"]);
        yield return new Case("benign-public-scanned", "benign",
            "synthesised: 2 public hosts (sshd open on one), 6 days of Internet background radiation: 30 scanners an hour probing 1-3 TCP/UDP ports (answered with SYN-ACK, RST or ICMP unreachable), SSH bots with a few logins, and one heavy scanner a day (20-40 ports over up to 90 min: an allowed inbound-scan, at most one per scanner)",
            () => BenignNetwork.PublicScanned(seed: 15), [],
            allowed: [new("a real scanner (background radiation)", "203.0.113.90", "target", ["inbound-scan"], T1595), new("a real scanner (background radiation)", "203.0.113.91", "target", ["inbound-scan"], T1595)]);
        yield return new Case("benign-late-host", "benign",
            "synthesised: a Windows-like workstation that first appears at day 2.5 among 3 established ones (same software), 6 days",
            () => BenignNetwork.LateHost(seed: 16), []);
        yield return new Case("shared-normal-v9", "benign", "HTTP, DNS, ping, SSH between namespaces; softflowd v9 (tests/testdata)", () => Case.FromCapture(Path.Combine(AppContext.BaseDirectory, "testdata", "normal-v9.pcap")), []);
        yield return new Case("shared-normal-pmacct-ipfix", "benign", "the same traffic; pmacct IPFIX (tests/testdata)", () => Case.FromCapture(Path.Combine(AppContext.BaseDirectory, "testdata", "normal-pmacct-ipfix.pcap")), []);
    }
}
