using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// A ClickHouse HTTP endpoint in front of a real one (127.0.0.1 only) that forwards every request, except that it answers
/// the chosen requests with 503 instead: a query or write the server never saw, at a known point of a run.
/// </summary>
internal sealed class FailingClickHouseProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private int _failed;

    private FailingClickHouseProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
    }

    /// <summary>Requests answered with 503 so far.</summary>
    public int Failed => Volatile.Read(ref _failed);

    public Uri Address { get; private set; } = null!;

    /// <summary>
    /// Forwards to <paramref name="target"/>; a request whose SQL (the decoded query string and the body, so the
    /// client must send bodies uncompressed: <c>Compression=false</c>) <paramref name="fail"/> accepts is refused with 503
    /// and never reaches the server (<paramref name="fail"/> may be called from several threads).
    /// </summary>
    public static async Task<FailingClickHouseProxy> StartAsync(Uri target, Func<string, bool> fail, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromSeconds(60) };
        var proxy = new FailingClickHouseProxy(app, upstream);
        app.Run(context => proxy.ForwardAsync(context, fail));
        await app.StartAsync(cancellationToken);
        proxy.Address = new Uri(app.Urls.First());
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task ForwardAsync(HttpContext context, Func<string, bool> fail)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var text = System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
        if (fail(WebUtility.UrlDecode(context.Request.QueryString.Value ?? "") + "\n" + text))
        {
            Interlocked.Increment(ref _failed);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("refused by the test proxy", context.RequestAborted);
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        }

        foreach (var header in context.Request.Headers)
        {
            if (header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(header.Key, [.. header.Value]))
            {
                request.Content?.Headers.TryAddWithoutValidation(header.Key, [.. header.Value]);
            }
        }

        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (!header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
