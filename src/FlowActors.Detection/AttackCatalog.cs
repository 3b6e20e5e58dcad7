namespace FlowActors.Detection;

/// <summary>An ATT&amp;CK tactic and technique pair an alert is tagged with.</summary>
/// <param name="Tactic">Tactic id, e.g. <c>TA0007</c>.</param>
/// <param name="TacticName">Tactic name, e.g. <c>Discovery</c>.</param>
/// <param name="Technique">Technique id, e.g. <c>T1046</c> (sub-techniques as <c>T1021.001</c>).</param>
/// <param name="TechniqueName">Technique name as MITRE writes it.</param>
public sealed record AttackTechnique(string Tactic, string TacticName, string Technique, string TechniqueName);

/// <summary>The MITRE ATT&amp;CK (Enterprise) tactics and techniques the detectors report.</summary>
public static class AttackCatalog
{
    /// <summary>TA0007 Discovery / T1046 Network Service Discovery (port scans, service sweeps).</summary>
    public static readonly AttackTechnique NetworkServiceDiscovery = new("TA0007", "Discovery", "T1046", "Network Service Discovery");

    /// <summary>TA0007 Discovery / T1018 Remote System Discovery (ping sweeps).</summary>
    public static readonly AttackTechnique RemoteSystemDiscovery = new("TA0007", "Discovery", "T1018", "Remote System Discovery");

    /// <summary>TA0043 Reconnaissance / T1595 Active Scanning (our host scanned from outside).</summary>
    public static readonly AttackTechnique ActiveScanning = new("TA0043", "Reconnaissance", "T1595", "Active Scanning");

    /// <summary>TA0040 Impact / T1499.001 Endpoint Denial of Service: OS Exhaustion Flood (SYN flood from few sources).</summary>
    public static readonly AttackTechnique OsExhaustionFlood = new("TA0040", "Impact", "T1499.001", "Endpoint Denial of Service: OS Exhaustion Flood");

    /// <summary>TA0040 Impact / T1498 Network Denial of Service (flood from many sources).</summary>
    public static readonly AttackTechnique NetworkDenialOfService = new("TA0040", "Impact", "T1498", "Network Denial of Service");

    /// <summary>TA0006 Credential Access / T1110 Brute Force.</summary>
    public static readonly AttackTechnique BruteForce = new("TA0006", "Credential Access", "T1110", "Brute Force");

    /// <summary>TA0010 Exfiltration / T1048 Exfiltration Over Alternative Protocol.</summary>
    public static readonly AttackTechnique ExfiltrationOverAlternativeProtocol = new("TA0010", "Exfiltration", "T1048", "Exfiltration Over Alternative Protocol");

    /// <summary>TA0010 Exfiltration / T1041 Exfiltration Over C2 Channel.</summary>
    public static readonly AttackTechnique ExfiltrationOverC2Channel = new("TA0010", "Exfiltration", "T1041", "Exfiltration Over C2 Channel");

    /// <summary>TA0011 Command and Control / T1071 Application Layer Protocol (beaconing).</summary>
    public static readonly AttackTechnique ApplicationLayerProtocol = new("TA0011", "Command and Control", "T1071", "Application Layer Protocol");

    /// <summary>TA0011 Command and Control / T1071.004 Application Layer Protocol: DNS (DNS tunnelling).</summary>
    public static readonly AttackTechnique DnsProtocol = new("TA0011", "Command and Control", "T1071.004", "Application Layer Protocol: DNS");

    /// <summary>TA0011 Command and Control / T1571 Non-Standard Port.</summary>
    public static readonly AttackTechnique NonStandardPort = new("TA0011", "Command and Control", "T1571", "Non-Standard Port");

    /// <summary>TA0008 Lateral Movement / T1021 Remote Services.</summary>
    public static readonly AttackTechnique RemoteServices = new("TA0008", "Lateral Movement", "T1021", "Remote Services");

    /// <summary>TA0008 Lateral Movement / T1021.001 Remote Services: Remote Desktop Protocol.</summary>
    public static readonly AttackTechnique RemoteDesktopProtocol = new("TA0008", "Lateral Movement", "T1021.001", "Remote Services: Remote Desktop Protocol");

    /// <summary>TA0008 Lateral Movement / T1021.002 Remote Services: SMB/Windows Admin Shares.</summary>
    public static readonly AttackTechnique SmbAdminShares = new("TA0008", "Lateral Movement", "T1021.002", "Remote Services: SMB/Windows Admin Shares");

    /// <summary>TA0008 Lateral Movement / T1021.003 Remote Services: Distributed Component Object Model.</summary>
    public static readonly AttackTechnique Dcom = new("TA0008", "Lateral Movement", "T1021.003", "Remote Services: Distributed Component Object Model");

    /// <summary>TA0008 Lateral Movement / T1021.004 Remote Services: SSH.</summary>
    public static readonly AttackTechnique Ssh = new("TA0008", "Lateral Movement", "T1021.004", "Remote Services: SSH");

    /// <summary>TA0008 Lateral Movement / T1021.006 Remote Services: Windows Remote Management.</summary>
    public static readonly AttackTechnique WinRm = new("TA0008", "Lateral Movement", "T1021.006", "Remote Services: Windows Remote Management");

    /// <summary>
    /// TA0011 Command and Control / T1071 Application Layer Protocol, used for block-list matches: contact with
    /// known-bad infrastructure is reported under the command-and-control tactic.
    /// </summary>
    public static readonly AttackTechnique ThreatIntelMatch = new("TA0011", "Command and Control", "T1071", "Application Layer Protocol");

    /// <summary>The lateral-movement sub-technique for an admin port (445/139 SMB, 3389 RDP, 135 DCOM, 22 SSH, 5985/5986 WinRM).</summary>
    public static AttackTechnique ForAdminPort(int port) => port switch
    {
        3389 => RemoteDesktopProtocol,
        445 or 139 => SmbAdminShares,
        135 => Dcom,
        22 => Ssh,
        5985 or 5986 => WinRm,
        _ => RemoteServices,
    };
}
