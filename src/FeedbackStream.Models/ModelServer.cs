using FeedbackStream.Training;
using FeedbackStream.Training.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Models;

/// <summary>The champion this process scores with, and when it was loaded.</summary>
public sealed record ServingModel(string Version, LoveModel Model, DateTime LoadedAt = default);

/// <summary>The last champion change this process heard of on the bus: sent by the promoting process, received here, loaded.</summary>
public sealed record PromotionNotice(string Version, string Action, DateTime? SentAt, DateTime ReceivedAt, DateTime? LoadedAt);

/// <summary>What a scoring process serves (<c>GET /v1/admin/serving</c>).</summary>
public sealed record ServingStatus(string? Version, DateTime? LoadedAt, PromotionNotice? LastPromotion, string Process);

/// <summary>
/// Holds the champion model for scoring and swaps it when the registry names another one (on a <c>ModelPromoted</c>
/// event in this process, and by polling for promotions made elsewhere). Scoring goes through the model's pool of
/// prediction engines; a swap never blocks requests in flight (they finish on the model they started with).
/// </summary>
public sealed class ModelServer(ModelStore store, ILogger<ModelServer> log)
{
    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile ServingModel? _current;
    private volatile PromotionNotice? _notice;

    public ServingModel? Current => _current;

    public ServingStatus Status => new(_current?.Version, _current?.LoadedAt, _notice, ControlPlane.ProcessName);

    /// <summary>Reloads on a promotion or rollback heard on the bus, and remembers when it arrived and when it was served.</summary>
    public async Task OnPromotedAsync(ModelPromoted promoted, DateTime? sentAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(promoted);
        var received = DateTime.UtcNow;
        _notice = new PromotionNotice(promoted.Version, promoted.Action, sentAt, received, null);
        await RefreshAsync(cancellationToken);
        _notice = new PromotionNotice(promoted.Version, promoted.Action, sentAt, received, _current?.Version == promoted.Version ? _current.LoadedAt : null);
    }

    /// <summary>Loads the registry's champion if it differs from the one served; true when it changed.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken);
        try
        {
            var champion = await store.ChampionAsync(cancellationToken);
            if (champion is null || champion == _current?.Version)
            {
                return false;
            }

            var bytes = await store.LoadArtifactAsync(champion, cancellationToken)
                ?? throw new InvalidDataException($"The champion {champion} has no artifact in model_artifacts.");
            var model = LoveModel.FromBytes(bytes);
            var previous = _current?.Version;
            _current = new ServingModel(champion, model, DateTime.UtcNow);
            Log.Serving(log, champion, previous ?? "none");
            return true;
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Serves <paramref name="model"/> as <paramref name="version"/> without the registry (benchmarks, tests).</summary>
    public void Serve(string version, LoveModel model) => _current = new ServingModel(version, model);

    /// <summary>P[Love] of each example with the served version, or null when no model was promoted yet.</summary>
    public (string Version, double[] Scores)? Score(IReadOnlyList<LoveExample> examples)
    {
        var serving = _current;
        return serving is null ? null : (serving.Version, serving.Model.ScoreWithEngine(examples));
    }
}

/// <summary>Loads the champion at start and polls the registry for promotions made by other processes.</summary>
public sealed class ModelReloader(ModelServer server, ModelsOptions options, ILogger<ModelReloader> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await server.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.LoadFailed(log, e, e.Message);
            }

            try
            {
                await Task.Delay(options.ReloadInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
