using System.Net;

namespace FlowActors.Testing;

/// <summary>
/// An HTTP server on a free loopback port (<see cref="HttpListener"/>) that hands each request to a handler on
/// its own task, so a stalled answer does not hold up the others. Stopped on dispose.
/// </summary>
public abstract class HttpTestListener : IAsyncDisposable, IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts listening.</summary>
    protected HttpTestListener()
    {
        for (int attempt = 0; ; attempt++)
        {
            Port = FreePorts.Tcp();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Another process took the port between choosing and binding: choose again.
                _listener.Prefixes.Clear();
            }
        }

        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The port.</summary>
    public int Port { get; private set; }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:12345</c>.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Cancelled when the server stops (for stalls).</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <summary>Answers one request.</summary>
    protected abstract Task HandleAsync(HttpListenerContext context, byte[] body);

    /// <summary>Writes a response.</summary>
    protected static async Task RespondAsync(HttpListenerContext context, int status, string? json, TimeSpan? retryAfter = null)
    {
        context.Response.StatusCode = status;
        if (retryAfter is { } wait) context.Response.Headers["Retry-After"] = ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (json is not null)
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(json);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
        }

        context.Response.Close();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    using var buffer = new MemoryStream();
                    await context.Request.InputStream.CopyToAsync(buffer);
                    await HandleAsync(context, buffer.ToArray());
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
                {
                    // The client gave up (a stall test) or the server is stopping.
                }
            });
        }
    }

    /// <summary>Stops the server (for <c>using</c> in synchronous tests).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        try
        {
            // Close alone (it stops too). On Linux the managed listener looks the port up again to remove its
            // prefixes, and after a Stop that had already released it, that lookup binds the port anew: when another
            // test has taken the port meanwhile it throws "Address already in use" (seen once in CI) although this
            // listener is closed either way.
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // Closed all the same: nothing of this listener is left bound.
        }

        await _loop;
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
