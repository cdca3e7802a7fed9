using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Storage;
using Microsoft.Extensions.Configuration;

namespace FeedbackStream.Hosting;

/// <summary>
/// The process's ClickHouse, from the validated <see cref="ClickHouseOptions"/>: the embedded engine on its data folder,
/// or a server checked with <c>SELECT 1</c> at start. It owns the one <see cref="Client"/> every component of the
/// process shares (disposed with it). Nothing falls back: a mode that cannot be served fails with its key named.
/// </summary>
internal sealed class ClickHouseTarget : IDisposable
{
    private readonly EmbeddedClickHouseServer? _embedded;

    private ClickHouseTarget(ClickHouseOptions options, EmbeddedClickHouseServer? embedded, ClickHouseClient client)
    {
        Options = options;
        _embedded = embedded;
        Client = client;
    }

    public ClickHouseOptions Options { get; }

    /// <summary>The embedded engine, when this target is one.</summary>
    public EmbeddedClickHouseServer? Embedded => _embedded;

    /// <summary>The process's client, on <see cref="ClickHouseOptions.Database"/>.</summary>
    public ClickHouseClient Client { get; }

    public string Description => _embedded is not null ? $"embedded engine, data in {_embedded.DataPath}" : "ClickHouse server";

    /// <summary>The <c>ClickHouse</c> section of <paramref name="configuration"/>, validated; every problem is reported with its key.</summary>
    public static ClickHouseOptions ReadOptions(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ClickHouseOptions.SectionName);
        var mode = section["Mode"];
        if (mode is { Length: > 0 } && !Enum.TryParse<ClickHouseMode>(mode, ignoreCase: true, out _))
        {
            throw new HostConfigurationException($"ClickHouse:Mode must be Embedded or Server, not '{mode}'.");
        }

        var options = new ClickHouseOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new HostConfigurationException($"ClickHouse: {e.Message}");
        }

        var errors = options.Validate();
        return errors.Count == 0 ? options : throw new HostConfigurationException(string.Join(Environment.NewLine, errors));
    }

    /// <summary>Opens the configured ClickHouse; a server must answer <c>SELECT 1</c> within <see cref="ClickHouseOptions.ConnectTimeout"/>.</summary>
    public static async Task<ClickHouseTarget> OpenAsync(ClickHouseOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mode == ClickHouseMode.Embedded)
        {
            var embedded = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = options.DataPath });
            return new ClickHouseTarget(options, embedded, embedded.CreateClient(options.Database));
        }

        var client = ServerClient(options, options.Database);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await ClickHouseProbe.PingAsync(client, timeout.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            client.Dispose();
            var why = e is OperationCanceledException ? $"no answer within ClickHouse:ConnectTimeout ({options.ConnectTimeout})" : e.Message;
            throw new HostConfigurationException($"ClickHouse:ConnectionString: the server (ClickHouse:Mode is Server) did not answer SELECT 1: {why}");
        }

        return new ClickHouseTarget(options, null, client);
    }

    /// <summary>Reads, validates and opens the ClickHouse of <paramref name="configuration"/>.</summary>
    public static async Task<ClickHouseTarget> OpenAsync(IConfiguration configuration, CancellationToken cancellationToken) =>
        await OpenAsync(ReadOptions(configuration), cancellationToken);

    /// <summary>
    /// Applies the migrations when this process is the one that does (<see cref="ClickHouseOptions.ShouldMigrateOnStart"/>);
    /// otherwise refuses to run on a database that lacks any of them, naming them and how to apply them.
    /// </summary>
    public async Task PrepareSchemaAsync(CancellationToken cancellationToken)
    {
        var migrator = new Migrator(Client, Options.Database);
        if (Options.ShouldMigrateOnStart)
        {
            await migrator.MigrateAsync(cancellationToken);
            return;
        }

        var pending = await migrator.PendingAsync(cancellationToken);
        if (pending.Count > 0)
        {
            throw new HostConfigurationException(
                $"ClickHouse:Database '{Options.Database}' lacks migrations [{string.Join(", ", pending)}]: run `feedbackstream migrate` against it " +
                "(with the same ClickHouse settings), or set ClickHouse:MigrateOnStart=true on one role.");
        }
    }

    /// <summary>A client of its own on <paramref name="database"/> (the caller disposes it).</summary>
    public ClickHouseClient CreateClient(string? database = null)
    {
        database ??= Options.Database;
        if (_embedded is not null)
        {
            return _embedded.CreateClient(database);
        }

        return ServerClient(Options, database);
    }

    /// <summary>A client of the server named by <c>ClickHouse:ConnectionString</c>, on <paramref name="database"/>.</summary>
    private static ClickHouseClient ServerClient(ClickHouseOptions options, string database) =>
        new(new ClickHouse.Driver.ADO.ClickHouseClientSettings(options.ConnectionString!) { Database = database });

    public void Dispose()
    {
        Client.Dispose();
        _embedded?.Dispose();
    }
}
