using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net;
using System.Text.Json;
using System.Text;
using ClickHouse.Driver;
using FeedbackStream.Auth;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Gateway;
using FeedbackStream.Hosting;
using FeedbackStream.Models;
using FeedbackStream.Simulator;
using FeedbackStream.Training;
using FeedbackStream.Training.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench score</c>: P[Love] scoring throughput of a model trained on simulated responses, through
/// POST /v1/score on Kestrel (127.0.0.1, concurrent clients), through the prediction-engine pool directly, and in batch.
/// </summary>
internal static class ScoreBenchmark
{
    public sealed record Output(int Items, int BatchSize, int Concurrency, double HttpItemsPerSecond, double HttpRequestP50Ms, double HttpRequestP99Ms, double EnginePoolItemsPerSecond, double BatchItemsPerSecond, double TrainSeconds);

    public static Command Create()
    {
        var items = new Option<int>("--items") { Description = "Items scored per path.", DefaultValueFactory = _ => 200_000 };
        var batch = new Option<int>("--batch") { Description = "Items per request (and per engine rental).", DefaultValueFactory = _ => 100 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent HTTP clients / scoring threads.", DefaultValueFactory = _ => 4 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var command = new Command("score", "P[Love] scoring throughput: HTTP /v1/score, engine pool, batch.") { items, batch, concurrency, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = await RunAsync(parse.GetValue(items), parse.GetValue(batch), parse.GetValue(concurrency), cancellationToken);
            var table = new Table().AddColumns("path", "items/s");
            table.AddRow($"POST /v1/score ({output.Concurrency} clients x {output.BatchSize} items)", $"{output.HttpItemsPerSecond:N0} (request p50 {output.HttpRequestP50Ms} ms, p99 {output.HttpRequestP99Ms} ms)");
            table.AddRow("prediction-engine pool (in process)", $"{output.EnginePoolItemsPerSecond:N0}");
            table.AddRow("batch transform (in process)", $"{output.BatchItemsPerSecond:N0}");
            AnsiConsole.Write(table);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(output);
            }

            return 0;
        });
        return command;
    }

    public static async Task<Output> RunAsync(int items, int batchSize, int concurrency, CancellationToken cancellationToken)
    {
        var data = LoveSimulator.Generate(new LoveSimulationOptions { Responses = Math.Max(60_000, items), Seed = 17 }, DateTimeOffset.UtcNow.AddDays(-30));
        var train = Stopwatch.StartNew();
        var model = LoveModel.Train(data.Examples.Take(40_000).ToList(), data.Examples.Skip(40_000).Take(10_000).ToList(), new LoveModelOptions(), cancellationToken: cancellationToken);
        var trainSeconds = train.Elapsed.TotalSeconds;
        var probe = data.Examples.Take(items).ToList();

        // In process, through the engine pool: concurrent workers each rent an engine per batch.
        var pool = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(() =>
        {
            int start;
            while ((start = Interlocked.Add(ref next, batchSize) - batchSize + 1) < probe.Count)
            {
                model.ScoreWithEngine(probe.GetRange(start, Math.Min(batchSize, probe.Count - start)));
            }
        }, cancellationToken)));
        var poolRate = probe.Count / pool.Elapsed.TotalSeconds;

        var batchClock = Stopwatch.StartNew();
        model.Score(probe);
        var batchRate = probe.Count / batchClock.Elapsed.TotalSeconds;

        var (httpRate, p50, p99) = await HttpAsync(model, probe, batchSize, concurrency, cancellationToken);
        return new Output(probe.Count, batchSize, concurrency, Math.Round(httpRate), p50, p99, Math.Round(poolRate), Math.Round(batchRate), Math.Round(trainSeconds, 2));
    }

    private static async Task<(double Rate, double P50, double P99)> HttpAsync(LoveModel model, List<LoveExample> probe, int batchSize, int concurrency, CancellationToken cancellationToken)
    {
        const string Key = "bench-score-key";
        var builder = SlimWebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var key = new ApiKeyOptions { Name = "bench", Sha256 = ApiKeyRing.Hash(Key) };
        key.Apps.Add("*");
        builder.Services.AddSingleton(new ApiKeyRing([key]));
        builder.Services.AddSingleton(new ModelsOptions());
        builder.Services.AddSingleton<AdminKeys>();
        builder.Services.AddSingleton(new ModelStore(null!));
        builder.Services.AddSingleton<ModelServer>();
        builder.Services.AddSingleton<ILogger<ModelServer>>(NullLogger<ModelServer>.Instance);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        await using var app = builder.Build();
        app.MapFeedbackModels();
        app.Services.GetRequiredService<ModelServer>().Serve("bench", model);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var bodies = Enumerable.Range(0, (probe.Count + batchSize - 1) / batchSize)
            .Select(b => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                items = probe.Skip(b * batchSize).Take(batchSize).Select(e => new { context = e.Context, response = e.Response, app_id = e.AppId, surface = e.Surface, model_version = e.ModelVersion, turn_index = e.TurnIndex, latency_ms = e.LatencyMs }),
            })))
            .ToList();
        var latencies = new ConcurrentBag<double>();
        var nextBody = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref nextBody)) < bodies.Count)
            {
                var started = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("v1/score", content, cancellationToken);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(cancellationToken);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }, cancellationToken)));
        var rate = probe.Count / clock.Elapsed.TotalSeconds;
        await app.StopAsync(cancellationToken);
        var sorted = latencies.ToList();
        return (rate, Stats.Round(Stats.Percentile(sorted, 50)), Stats.Round(Stats.Percentile(sorted, 99)));
    }
}
