using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Hosting;
using FlowActors.Node.Configuration;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Akka.Remote over TLS (DotNetty SSL) from <see cref="RemotingTlsSettings"/>: this node's certificate and key (PEM
/// pair or PFX), mutual authentication (both ends present a certificate), and every peer's certificate validated
/// against the configured CA only. Host names are not checked: members are dialled by pod names, addresses and
/// seeds alike, and one cluster certificate commonly serves every member; the CA is what admits a member.
/// </summary>
public static class RemotingTls
{
    /// <summary>Sets TLS on <paramref name="remote"/> when <paramref name="tls"/> is configured.</summary>
    /// <exception cref="InvalidSettingsException">The certificate, key or CA cannot be loaded.</exception>
    public static void Apply(RemoteOptions remote, RemotingTlsSettings? tls)
    {
        if (tls is null) return;
        var certificate = LoadCertificate(tls);
        var authorities = LoadAuthorities(tls.CaPath);
        remote.EnableSsl = true;
        remote.Ssl = new SslOptions
        {
            X509Certificate = certificate,
            SuppressValidation = false,
            RequireMutualAuthentication = true,
            ValidateCertificateHostname = false,
            CustomValidator = (peer, _, remotePeer, _, log) => IsIssuedByCa(peer, authorities, remotePeer, log),
        };
    }

    /// <summary>Loads the certificate and the CA once at start, so a bad file stops start-up with a message naming its setting.</summary>
    /// <exception cref="InvalidSettingsException">The certificate, key or CA cannot be loaded.</exception>
    public static void Validate(RemotingTlsSettings? tls)
    {
        if (tls is null) return;
        LoadCertificate(tls).Dispose();
        LoadAuthorities(tls.CaPath);
    }

    /// <summary>Whether <paramref name="peer"/> chains to one of <paramref name="authorities"/> (and is within its validity period).</summary>
    public static bool IsIssuedByCa(X509Certificate2? peer, X509Certificate2Collection authorities, string remotePeer, ILoggingAdapter? log)
    {
        if (peer is null)
        {
            log?.Warning("Remoting TLS: {0} presented no certificate; refused", remotePeer);
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // Cluster CAs seldom publish revocation lists; the CA file is the trust decision.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        bool ok = chain.Build(peer);
        if (!ok)
        {
            string status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()));
            log?.Warning("Remoting TLS: certificate {0} of {1} does not chain to the configured CA ({2}); refused", peer.Subject, remotePeer, status);
        }

        return ok;
    }

    private static X509Certificate2 LoadCertificate(RemotingTlsSettings tls)
    {
        string key = tls.PfxPath is not null ? "FlowActors:Cluster:Tls:PfxPath" : "FlowActors:Cluster:Tls:CertificatePath";
        try
        {
            X509Certificate2 certificate = tls.PfxPath is not null
                ? X509CertificateLoader.LoadPkcs12FromFile(tls.PfxPath, tls.PfxPassword)
                // Re-imported from PKCS#12 so the key is usable by SslStream on every platform.
                : Reimport(X509Certificate2.CreateFromPemFile(tls.CertificatePath!, tls.KeyPath));
            if (!certificate.HasPrivateKey) throw new System.Security.Cryptography.CryptographicException("the certificate has no private key");
            return certificate;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidSettingsException([new SettingError(key,
                $"{key} cannot be loaded as this node's remoting certificate ({ex.Message}). Set {NodeSettingsOptions.EnvironmentVariableFor(key)} to a PEM certificate with its key in FlowActors:Cluster:Tls:KeyPath, or a PFX with FlowActors:Cluster:Tls:PfxPassword.")]);
        }
    }

    private static X509Certificate2 Reimport(X509Certificate2 pem)
    {
        using (pem)
        {
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static X509Certificate2Collection LoadAuthorities(string caPath)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caPath);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingsException([new SettingError("FlowActors:Cluster:Tls:CaPath",
                $"FlowActors:Cluster:Tls:CaPath '{caPath}' cannot be read as PEM CA certificates ({ex.Message}). Set FLOWACTORS__CLUSTER__TLS__CAPATH to the PEM file of the cluster's CA.")]);
        }

        if (authorities.Count == 0)
        {
            throw new InvalidSettingsException([new SettingError("FlowActors:Cluster:Tls:CaPath",
                $"FlowActors:Cluster:Tls:CaPath '{caPath}' holds no certificate. Set FLOWACTORS__CLUSTER__TLS__CAPATH to the PEM file of the cluster's CA.")]);
        }

        return authorities;
    }
}
