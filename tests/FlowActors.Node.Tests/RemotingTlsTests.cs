using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FlowActors.Node.Tests.Harness;

namespace FlowActors.Node.Tests;

/// <summary>
/// Issue 10, finding 10: remoting over mutual TLS. Two nodes with certificates from the cluster's CA join; a node
/// whose certificate comes from another CA, or one without TLS, cannot join, and so cannot ask a member to leave
/// (the finding: an untokened node joined through the seed port and sent the target a cluster Leave).
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class RemotingTlsTests
{
    /// <summary>A CA and certificates it issues, written as PEM files (and a PFX) into a temporary directory.</summary>
    private sealed class TestPki : IDisposable
    {
        private readonly TempDirectory _dir = new("flowactors-pki");
        private readonly X509Certificate2 _ca;

        public TestPki(string name)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={name} test CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(2));
            CaPath = Path.Combine(_dir.Path, "ca.crt");
            File.WriteAllText(CaPath, _ca.ExportCertificatePem());
        }

        public string CaPath { get; }

        /// <summary>Issues a member certificate; returns the PEM certificate and key paths, and a PFX path (password "pfx-pw").</summary>
        public (string Cert, string Key, string Pfx) Issue(string name)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            var serial = RandomNumberGenerator.GetBytes(12);
            using var cert = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
            using var withKey = cert.CopyWithPrivateKey(key);
            string certPath = Path.Combine(_dir.Path, name + ".crt"), keyPath = Path.Combine(_dir.Path, name + ".key"), pfxPath = Path.Combine(_dir.Path, name + ".pfx");
            File.WriteAllText(certPath, cert.ExportCertificatePem());
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
            File.WriteAllBytes(pfxPath, withKey.Export(X509ContentType.Pkcs12, "pfx-pw"));
            return (certPath, keyPath, pfxPath);
        }

        public void Dispose()
        {
            _ca.Dispose();
            _dir.Dispose();
        }
    }

    private static (string, string)[] Tls(TestPki pki, string member, bool pfx = false)
    {
        var (cert, key, pfxPath) = pki.Issue(member);
        return pfx
            ? [("FlowActors:Cluster:Tls:Enabled", "true"), ("FlowActors:Cluster:Tls:PfxPath", pfxPath), ("FlowActors:Cluster:Tls:PfxPassword", "pfx-pw"), ("FlowActors:Cluster:Tls:CaPath", pki.CaPath)]
            : [("FlowActors:Cluster:Tls:Enabled", "true"), ("FlowActors:Cluster:Tls:CertificatePath", cert), ("FlowActors:Cluster:Tls:KeyPath", key), ("FlowActors:Cluster:Tls:CaPath", pki.CaPath)];
    }

    private static async Task<string[]> UpMembersAsync(InProcessNode node)
    {
        using var response = await node.Client.GetAsync("api/cluster/show");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("status").GetString() == "Up").Select(m => m.GetProperty("address").GetString()!).Order().ToArray();
    }

    [Fact]
    public async Task Two_nodes_with_certificates_from_the_cluster_ca_join_and_nodes_without_one_cannot()
    {
        using var cluster = new TestPki("cluster");
        using var foreign = new TestPki("foreign");
        int seedPort = FreePorts.Tcp();
        string seed = $"127.0.0.1:{seedPort}";

        await using var first = await InProcessNode.StartAsync([("FlowActors:Cluster:Port", seedPort.ToString()), .. Tls(cluster, "member-1")]);
        await first.WaitReadyAsync();
        await using var second = await InProcessNode.StartAsync([("FlowActors:Cluster:Seeds", seed), .. Tls(cluster, "member-2", pfx: true)]);
        await Poll.UntilAsync(async () => (await UpMembersAsync(first)).Length == 2, TimeSpan.FromSeconds(60), "the second member (PFX) to join over TLS");

        // Another CA's certificate, and no TLS at all: both dial the seed port, neither becomes a member.
        await using var impostor = await InProcessNode.StartAsync([("FlowActors:Cluster:Seeds", seed), .. Tls(foreign, "impostor")]);
        await using var plain = await InProcessNode.StartAsync(("FlowActors:Cluster:Seeds", seed));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            Assert.Equal(2, (await UpMembersAsync(first)).Length);
            await Task.Delay(500);
        }

        Assert.Empty(await UpMembersAsync(impostor));
        Assert.Empty(await UpMembersAsync(plain));
        // The finding's path: the outsider asks its own endpoint to make the target leave. The target is not a
        // member of the outsider's (non-)cluster, so there is nothing to send.
        using var leave = await plain.OperatorClient.PostAsync($"api/cluster/leave?address={Uri.EscapeDataString($"akka.ssl.tcp://flowactors@{seed}")}", null);
        Assert.Equal(HttpStatusCode.NotFound, leave.StatusCode);
        Assert.Equal(2, (await UpMembersAsync(first)).Length);
    }
}
