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
/// real HTTP and other tools can query local data. Binds to a loopback address only, and secures the interface as a
/// server does (<see cref="ClickHouseHttpAccess"/>): a password, GET read-only, no file/url/remote access unless
/// enabled, cross-origin browser requests refused, and a cap on the decoded body.
/// </summary>
public sealed class ClickHouseHttpListener : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ClickHouseHttpListener(WebApplication app, Uri address, ClickHouseHttpAccess access)
    {
        _app = app;
        Address = address;
        Access = access;
    }

    /// <summary>The base address actually bound, e.g. http://127.0.0.1:8123/.</summary>
    public Uri Address { get; }

    /// <summary>The user, password and limits this listener enforces.</summary>
    public ClickHouseHttpAccess Access { get; }

    /// <summary>A ClickHouse.Driver connection string for this endpoint, with its credentials.</summary>
    public string ConnectionString(string? database = null) =>
        $"Host={Address.Host};Port={Address.Port};Protocol=http;Username={Access.User};Password={Access.Password}" +
        (string.IsNullOrEmpty(database) ? "" : $";Database={database}");

    /// <summary>Starts listening on <paramref name="address"/>:<paramref name="port"/> (0 picks a free port) with a generated password.</summary>
    public static Task<ClickHouseHttpListener> StartAsync(ClickHouseHttpCore core, int port, IPAddress? address = null, CancellationToken cancellationToken = default) =>
        StartAsync(core, port, ClickHouseHttpAccess.WithGeneratedPassword(), address, cancellationToken);

    /// <summary>Starts listening on <paramref name="address"/>:<paramref name="port"/> (0 picks a free port) under <paramref name="access"/>.</summary>
    public static async Task<ClickHouseHttpListener> StartAsync(ClickHouseHttpCore core, int port, ClickHouseHttpAccess access, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(core);
        ArgumentNullException.ThrowIfNull(access);
        access.Validate();
        if (access.Password is null)
        {
            throw new ArgumentException("A listener needs a password (ClickHouseHttpAccess.Password); only the in-process handler runs without one.", nameof(access));
        }

        address ??= IPAddress.Loopback;
        if (!IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"The embedded ClickHouse endpoint serves local data and binds to loopback only, not {address}.", nameof(address));
        }

        var builder = SlimWebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(address, port);
            // The decoded body is capped by the core (a compressed body can expand far beyond what is sent).
            options.Limits.MaxRequestBodySize = access.MaxBodyBytes == long.MaxValue ? null : access.MaxBodyBytes;
        });
        var app = builder.Build();
        app.Run(context => ServeAsync(core, access, context));
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ClickHouseHttpListener(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"), access);
    }

    private static readonly string[] ForwardedHeaders = ["Authorization", "X-ClickHouse-User", "X-ClickHouse-Key", "Origin", "Host", "Sec-Fetch-Site"];

    private static async Task ServeAsync(ClickHouseHttpCore core, ClickHouseHttpAccess access, HttpContext context)
    {
        var request = context.Request;
        var query = request.Query.SelectMany(pair => pair.Value.Select(value => new KeyValuePair<string, string>(pair.Key, value ?? ""))).ToList();
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        if (request.ContentLength > access.MaxBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.Headers["X-ClickHouse-Exception-Code"] = ErrorCodes.TooManyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsync(
                $"Code: {ErrorCodes.TooManyBytes}. DB::Exception: The request body ({request.ContentLength} bytes) is larger than the limit of {access.MaxBodyBytes} bytes (MaxBodyBytes).\n",
                context.RequestAborted);
            return;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in ForwardedHeaders)
        {
            if (request.Headers.TryGetValue(name, out var value) && value.Count > 0)
            {
                headers[name] = value.ToString();
            }
        }

        using var answer = await core.HandleAsync(
            new ClickHouseHttpRequest(request.Method, request.Path.Value ?? "/", query, request.Headers.ContentEncoding.LastOrDefault(), hasBody ? request.Body : null)
            {
                Headers = headers,
            },
            access,
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
