using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FlowActors.Siem.Transport;

/// <summary>
/// Validates a TLS server certificate against one configured CA (not the system store): the chain must build to
/// that CA, and the certificate must name the host asked for (the platform's name check). Remembers why it refused.
/// </summary>
internal sealed class TlsServerValidator
{
    private readonly X509Certificate2Collection _trusted;

    public TlsServerValidator(X509Certificate2Collection trusted) => _trusted = trusted;

    /// <summary>Why the last certificate was refused, or null.</summary>
    public string? LastRefusal { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        LastRefusal = null;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            LastRefusal = "the server sent no certificate";
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            LastRefusal = "the server certificate does not name the host connected to";
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(leaf)) return true;
        LastRefusal = "the server certificate does not chain to the configured CA (" +
            string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct()) + ")";
        return false;
    }
}
