using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// The embedded engine behind a Kestrel listener: a ClickHouse-compatible HTTP endpoint so curl, the driver over
/// real HTTP and other tools can query local data. Binds to a loopback address only.
/// </summary>
public sealed class ClickHouseHttpListener : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ClickHouseHttpListener(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The base address actually bound, e.g. http://127.0.0.1:8123/.</summary>
    public Uri Address { get; }

    /// <summary>Starts listening on <paramref name="address"/>:<paramref name="port"/> (0 picks a free port).</summary>
    public static async Task<ClickHouseHttpListener> StartAsync(ClickHouseHttpCore core, int port, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(core);
        address ??= IPAddress.Loopback;
        if (!IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"The embedded ClickHouse endpoint serves local data without authentication and binds to loopback only, not {address}.", nameof(address));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(address, port);
            options.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(context => ServeAsync(core, context));
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ClickHouseHttpListener(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    private static async Task ServeAsync(ClickHouseHttpCore core, HttpContext context)
    {
        var request = context.Request;
        var query = request.Query.SelectMany(pair => pair.Value.Select(value => new KeyValuePair<string, string>(pair.Key, value ?? ""))).ToList();
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        using var answer = await core.HandleAsync(
            new ClickHouseHttpRequest(request.Method, request.Path.Value ?? "/", query, request.Headers.ContentEncoding.LastOrDefault(), hasBody ? request.Body : null),
            context.RequestAborted);
        context.Response.StatusCode = answer.StatusCode;
        context.Response.ContentType = answer.ContentType;
        foreach (var (name, value) in answer.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (answer.Body.CanSeek)
        {
            context.Response.ContentLength = answer.Body.Length;
        }

        await answer.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
