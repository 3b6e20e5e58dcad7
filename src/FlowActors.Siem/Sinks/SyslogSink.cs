using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowActors.Siem.Sinks;

/// <summary>
/// Sends alerts to a syslog receiver: over UDP one message per datagram (RFC 5426), over TCP or TLS (RFC 6587,
/// RFC 5425) in octet-counting (<c>LEN SP MSG</c>) or newline framing. Messages longer than
/// <see cref="SyslogSinkOptions.MaxMessageBytes"/> are cut at a UTF-8 character boundary.
/// </summary>
/// <remarks>
/// The stream transports keep one connection. A connection the receiver closed is noticed before the next batch
/// is written to it and replaced; after a failed connect or write, reconnects wait an exponential backoff with
/// jitter (<see cref="ReconnectBackoff"/>), and a delivery asked for during the wait fails at once with a
/// <see cref="SinkRetryException"/> carrying the remaining wait. Over TLS the server certificate must chain to
/// <see cref="SyslogSinkOptions.CaFile"/> and name <see cref="SyslogSinkOptions.ServerName"/> (default the host);
/// a refusal is logged and counted (<see cref="TlsFailureCount"/>, <c>flowactors.siem.tls_failures</c>).
/// Syslog has no acknowledgement: a batch counts as handed over once the kernel accepted it. Because a receiver
/// that stops or dies loses what still sat unread in its socket buffer or memory, the stream transports keep the
/// last <see cref="SyslogSinkOptions.ReplayBytes"/> of frames and send them again first on the connection that
/// replaces a lost one: at least once across receiver restarts, at the cost of duplicates with the same ids.
/// </remarks>
public sealed class SyslogSink : IAlertSink
{
    private readonly SyslogSinkOptions _options;
    private readonly AlertFormatContext _context;
    private readonly AlertFormat _format;
    private readonly ILogger _log;
    private readonly string _transport;
    private readonly bool _octetCounting;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ReconnectBackoff _backoff = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
    private Socket? _socket;
    private Stream? _stream;
    private readonly Queue<(byte[] Bytes, int Messages)> _replay = new();
    private long _replayBytes;
    private bool _replayPending;
    private long _replayed;
    private bool _everConnected;
    private long _tlsFailures;
    private long _connectFailures;
    private long _reconnects;
    private long _truncated;
    private long _messagesSent;

    /// <summary>Creates the sink; it connects on the first delivery, so an unreachable receiver never fails construction.</summary>
    public SyslogSink(SyslogSinkOptions options, AlertFormatContext? context = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = logger ?? NullLogger.Instance;
        Name = options.EffectiveName;
        _transport = (options.Transport ?? "udp").Trim().ToLowerInvariant();
        _octetCounting = !string.Equals(options.Framing?.Trim(), "newline", StringComparison.OrdinalIgnoreCase);
        if (!AlertFormats.TryParse(options.Format, out _format)) _format = AlertFormat.Cef;
        SyslogFacilities.TryParse(options.Facility, out int facility);
        _context = (context ?? AlertFormatContext.Default) with
        {
            SyslogFacility = facility >= 0 ? facility : SyslogFacilities.Local4,
            AppName = string.IsNullOrWhiteSpace(options.AppName) ? "flowactors" : options.AppName,
            InnerFormat = _format,
        };
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>TLS handshakes that failed, certificates refused included.</summary>
    public long TlsFailureCount => Interlocked.Read(ref _tlsFailures);

    /// <summary>Connection attempts that failed (TLS failures included).</summary>
    public long ConnectFailureCount => Interlocked.Read(ref _connectFailures);

    /// <summary>Connections made after the first.</summary>
    public long ReconnectCount => Interlocked.Read(ref _reconnects);

    /// <summary>Messages cut to the maximum size.</summary>
    public long TruncatedCount => Interlocked.Read(ref _truncated);

    /// <summary>Messages sent again after a lost connection (see <see cref="SyslogSinkOptions.ReplayBytes"/>).</summary>
    public long ReplayedCount => Interlocked.Read(ref _replayed);

    /// <summary>Messages handed to the transport.</summary>
    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <summary>The message (without framing) sent for <paramref name="alert"/>, before truncation.</summary>
    public string Render(Alert alert) => _format == AlertFormat.Json
        ? EcsJsonFormatter.Format(alert, _context)
        : Rfc5424Formatter.Format(alert, _context);

    /// <inheritdoc />
    public async ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0) return;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_transport == "udp") await SendDatagramsAsync(alerts, cancellationToken).ConfigureAwait(false);
            else await SendStreamAsync(alerts, cancellationToken).ConfigureAwait(false);
            _backoff.Succeed();
        }
        finally
        {
            _gate.Release();
        }
    }

    private byte[] Encode(Alert alert, out int length)
    {
        string text = Render(alert);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        length = Utf8Truncation.SafeLength(bytes, _options.EffectiveMaxMessageBytes);
        if (length < bytes.Length)
        {
            Interlocked.Increment(ref _truncated);
            SiemMetrics.Add(SiemMetrics.MessagesTruncated, 1, Name);
        }

        return bytes;
    }

    private async Task SendDatagramsAsync(IReadOnlyList<Alert> alerts, CancellationToken ct)
    {
        ThrowIfBackingOff();
        try
        {
            if (_socket is null)
            {
                var address = await ResolveAsync(ct).ConfigureAwait(false);
                var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, _options.EffectivePort), ct).ConfigureAwait(false);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                _socket = socket;
            }

            long bytesSent = 0;
            foreach (var alert in alerts)
            {
                byte[] bytes = Encode(alert, out int length);
                bytesSent += await _socket.SendAsync(bytes.AsMemory(0, length), SocketFlags.None, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _messagesSent);
            }

            SiemMetrics.Add(SiemMetrics.BytesSent, bytesSent, Name);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // A refused datagram (ICMP port unreachable) shows up as an error on a later send: resend the batch.
            DropConnection();
            var wait = _backoff.Fail();
            _log.LogWarning("Syslog sink {Sink}: sending to udp://{Host}:{Port} failed ({Error}); retrying in {Wait:0.0} s.",
                Name, _options.Host, _options.EffectivePort, e.Message, wait.TotalSeconds);
            throw new IOException($"syslog sink {Name}: udp send to {_options.Host}:{_options.EffectivePort} failed: {e.Message}", e);
        }
    }

    private async Task SendStreamAsync(IReadOnlyList<Alert> alerts, CancellationToken ct)
    {
        if (_stream is not null && PeerClosed())
        {
            _log.LogInformation("Syslog sink {Sink}: the receiver closed the connection; reconnecting.", Name);
            DropConnection();
        }

        if (_stream is null)
        {
            ThrowIfBackingOff();
            await ConnectAsync(ct).ConfigureAwait(false);
        }

        byte[] payload = Frame(alerts);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
            if (_replayPending && _replayBytes > 0)
            {
                // The last connection ended: what it carried last may have sat unread in the receiver's socket
                // buffer or queue (syslog has no acknowledgement), so send it again first. Same ids: duplicates only.
                int replayed = 0;
                foreach (var (bytes, messages) in _replay)
                {
                    await _stream!.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
                    replayed += messages;
                }

                Interlocked.Add(ref _replayed, replayed);
                SiemMetrics.Add(SiemMetrics.Replayed, replayed, Name);
                _log.LogInformation("Syslog sink {Sink}: re-sent the last {Count} messages of the lost connection.", Name, replayed);
            }

            await _stream!.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
            await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
            _replayPending = false;
            Remember(payload, alerts.Count);
            SiemMetrics.Add(SiemMetrics.BytesSent, payload.Length, Name);
            Interlocked.Add(ref _messagesSent, alerts.Count);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            DropConnection();
            var wait = _backoff.Fail();
            if (ct.IsCancellationRequested) throw;
            _log.LogWarning("Syslog sink {Sink}: writing to {Transport}://{Host}:{Port} failed ({Error}); reconnecting in {Wait:0.0} s.",
                Name, _transport, _options.Host, _options.EffectivePort, e.Message, wait.TotalSeconds);
            throw new IOException($"syslog sink {Name}: write to {_options.Host}:{_options.EffectivePort} failed: {e.Message}", e);
        }
    }

    // Keeps the most recent frames, up to ReplayBytes, for re-sending after a lost connection.
    private void Remember(byte[] payload, int messages)
    {
        int cap = _options.ReplayBytes;
        if (cap <= 0) return;
        _replay.Enqueue((payload, messages));
        _replayBytes += payload.Length;
        while (_replayBytes > cap && _replay.Count > 1) _replayBytes -= _replay.Dequeue().Bytes.Length;
    }

    private byte[] Frame(IReadOnlyList<Alert> alerts)
    {
        using var buffer = new MemoryStream(alerts.Count * 512);
        Span<byte> prefix = stackalloc byte[16];
        foreach (var alert in alerts)
        {
            byte[] bytes = Encode(alert, out int length);
            if (_octetCounting)
            {
                // RFC 6587 3.4.1: MSG-LEN SP SYSLOG-MSG, the length in bytes.
                length.TryFormat(prefix, out int n, provider: CultureInfo.InvariantCulture);
                prefix[n++] = (byte)' ';
                buffer.Write(prefix[..n]);
                buffer.Write(bytes, 0, length);
            }
            else
            {
                // RFC 6587 3.4.2: the message then LF; our renderings never contain a raw LF.
                buffer.Write(bytes, 0, length);
                buffer.WriteByte((byte)'\n');
            }
        }

        return buffer.ToArray();
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
        Socket? socket = null;
        Stream? stream = null;
        bool tlsStage = false;
        TlsServerValidator? validator = null;
        try
        {
            var address = await ResolveAsync(timeout.Token).ConfigureAwait(false);
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(address, _options.EffectivePort), timeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (_transport == "tls")
            {
                tlsStage = true;
                validator = new TlsServerValidator(LoadCa());
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                var auth = new SslClientAuthenticationOptions
                {
                    TargetHost = string.IsNullOrWhiteSpace(_options.ServerName) ? _options.Host : _options.ServerName,
                    RemoteCertificateValidationCallback = validator.Validate,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                };
                if (LoadClientCertificate() is { } client) auth.ClientCertificates = new X509CertificateCollection { client };
                await ssl.AuthenticateAsClientAsync(auth, timeout.Token).ConfigureAwait(false);
            }

            _socket = socket;
            _stream = stream;
            if (_everConnected)
            {
                Interlocked.Increment(ref _reconnects);
                SiemMetrics.Add(SiemMetrics.Reconnects, 1, Name);
            }

            _everConnected = true;
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException or OperationCanceledException
                                      or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket?.Dispose();
            Interlocked.Increment(ref _connectFailures);
            SiemMetrics.Add(SiemMetrics.ConnectFailures, 1, Name);
            var wait = _backoff.Fail();
            if (ct.IsCancellationRequested) throw;
            if (tlsStage)
            {
                Interlocked.Increment(ref _tlsFailures);
                SiemMetrics.Add(SiemMetrics.TlsFailures, 1, Name);
                string reason = validator?.LastRefusal ?? e.Message;
                _log.LogError("Syslog sink {Sink}: TLS with {Host}:{Port} failed: {Reason}; not delivering, retrying in {Wait:0.0} s.",
                    Name, _options.Host, _options.EffectivePort, reason, wait.TotalSeconds);
                throw new AuthenticationException($"syslog sink {Name}: TLS with {_options.Host}:{_options.EffectivePort} failed: {reason}", e);
            }

            _log.LogWarning("Syslog sink {Sink}: cannot connect to {Transport}://{Host}:{Port} ({Error}); retrying in {Wait:0.0} s.",
                Name, _transport, _options.Host, _options.EffectivePort, e.Message, wait.TotalSeconds);
            throw new IOException($"syslog sink {Name}: cannot connect to {_options.Host}:{_options.EffectivePort}: {e.Message}", e);
        }
    }

    private X509Certificate2Collection LoadCa()
    {
        var ca = new X509Certificate2Collection();
        if (string.IsNullOrWhiteSpace(_options.CaFile))
        {
            throw new AuthenticationException("no CaFile is configured, so no server certificate can be trusted");
        }

        ca.ImportFromPemFile(_options.CaFile);
        if (ca.Count == 0) throw new AuthenticationException($"CaFile {_options.CaFile} holds no certificate");
        return ca;
    }

    private X509Certificate2? LoadClientCertificate()
    {
        if (string.IsNullOrWhiteSpace(_options.ClientCertificateFile) || string.IsNullOrWhiteSpace(_options.ClientKeyFile)) return null;
        using var pem = X509Certificate2.CreateFromPemFile(_options.ClientCertificateFile, _options.ClientKeyFile);
        // A PEM key is ephemeral; a PKCS#12 round trip gives a certificate whose key SslStream can always use.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private async Task<IPAddress> ResolveAsync(CancellationToken ct)
    {
        if (IPAddress.TryParse(_options.Host, out var literal)) return literal;
        var addresses = await Dns.GetHostAddressesAsync(_options.Host, ct).ConfigureAwait(false);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    // A syslog receiver never sends: a readable socket means it closed (or reset) the connection.
    private bool PeerClosed()
    {
        try
        {
            return _socket is null || _socket.Poll(0, SelectMode.SelectRead) || _socket.Poll(0, SelectMode.SelectError);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private void ThrowIfBackingOff()
    {
        var remaining = _backoff.Remaining;
        if (remaining > TimeSpan.Zero)
        {
            throw new SinkRetryException(
                string.Create(CultureInfo.InvariantCulture, $"syslog sink {Name}: waiting {remaining.TotalSeconds:0.0} s before reconnecting to {_options.Host}:{_options.EffectivePort}"),
                remaining);
        }
    }

    private void DropConnection()
    {
        try
        {
            _stream?.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // Closing a broken connection may fail; it is being replaced either way.
        }

        _socket?.Dispose();
        if (_stream is not null && _transport != "udp") _replayPending = true;
        _stream = null;
        _socket = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            DropConnection();
        }
        finally
        {
            _gate.Release();
        }

        _gate.Dispose();
    }
}
