using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using FeedbackStream.Embeddings;
using FeedbackStream.Embeddings.MiniLm;
using FeedbackStream.Hosting;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench encoder</c>: cost of the sentence encoder (all-MiniLM-L6-v2 on ONNX Runtime, no cache) on
/// generated sentences of 4 to 60 words: sentences per second per core, and p50/p99 latency per batch and per sentence.
/// Bounded by a sentence count and a time limit, whichever comes first.
/// </summary>
internal static class EncoderBenchmark
{
    public sealed record Output(
        string Model,
        int Sentences,
        int BatchSize,
        int MaxTokens,
        int Workers,
        double MeanTokens,
        double Seconds,
        double SentencesPerSecond,
        double SentencesPerSecondPerCore,
        double CpuSeconds,
        double SentencesPerCpuSecond,
        double BatchP50Ms,
        double BatchP99Ms,
        double SentenceP50Ms,
        double SentenceP99Ms,
        double LoadSeconds,
        bool StoppedByTimeLimit);

    private static readonly string[] Words =
    [
        "the", "answer", "is", "wrong", "thanks", "that", "helped", "please", "explain", "again", "why", "does", "my", "code",
        "fail", "when", "I", "run", "it", "on", "a", "server", "with", "two", "cores", "you", "said", "before", "this", "recipe",
        "needs", "more", "salt", "can", "write", "shorter", "summary", "of", "article", "about", "climate", "policy", "in",
        "Europe", "great", "exactly", "what", "needed", "not", "sure", "understand", "example", "shows", "how", "function",
        "returns", "null", "instead", "list", "numbers",
    ];

    public static Command Create()
    {
        var sentences = new Option<int>("--sentences") { Description = "Sentences encoded (upper bound).", DefaultValueFactory = _ => 2_000 };
        var batch = new Option<int>("--batch") { Description = "Sentences per model call.", DefaultValueFactory = _ => 32 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Word pieces per sentence before truncation.", DefaultValueFactory = _ => new TextEncoderOptions().MaxTokens };
        var workers = new Option<int>("--workers") { Description = "Concurrent callers, each single-threaded inside ONNX Runtime (one core each).", DefaultValueFactory = _ => 1 };
        var limit = new Option<TimeSpan>("--time-limit") { Description = "Stop encoding after this long.", DefaultValueFactory = _ => TimeSpan.FromSeconds(60) };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var command = new Command("encoder", "Sentence-encoder cost: sentences/s per core, p50/p99 latency per batch and per sentence.") { sentences, batch, maxTokens, workers, limit, json };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new TextEncoderOptions { BatchSize = parse.GetValue(batch), MaxTokens = parse.GetValue(maxTokens), CacheCapacity = 0, IntraOpThreads = 1 };
            try
            {
                options.Validate();
            }
            catch (System.ComponentModel.DataAnnotations.ValidationException e)
            {
                Console.Error.WriteLine($"Invalid option: {e.Message}");
                return Task.FromResult(2);
            }

            if (parse.GetValue(sentences) < 1 || parse.GetValue(workers) is < 1 or > 64)
            {
                Console.Error.WriteLine("--sentences must be at least 1 and --workers between 1 and 64.");
                return Task.FromResult(2);
            }

            var output = Run(options, parse.GetValue(sentences), parse.GetValue(workers), parse.GetValue(limit), cancellationToken);
            var table = new Table().AddColumns("figure", "value");
            table.AddRow("model", $"{output.Model} (batch {output.BatchSize}, {output.Workers} worker(s) x 1 thread, mean {output.MeanTokens} word pieces)");
            table.AddRow("sentences", $"{output.Sentences} in {output.Seconds} s{(output.StoppedByTimeLimit ? " (stopped by the time limit)" : string.Empty)}");
            table.AddRow("sentences/s", $"{output.SentencesPerSecond:N1} ({output.SentencesPerSecondPerCore:N1} per core; {output.SentencesPerCpuSecond:N1} per CPU-second used, {output.CpuSeconds} CPU-s: the wall-clock rate falls when other processes share the cores)");
            table.AddRow("latency per batch", $"p50 {output.BatchP50Ms} ms, p99 {output.BatchP99Ms} ms");
            table.AddRow("latency per sentence (batch / its size)", $"p50 {output.SentenceP50Ms} ms, p99 {output.SentenceP99Ms} ms");
            table.AddRow("model load", $"{output.LoadSeconds} s");
            AnsiConsole.Write(table);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(output);
            }

            return Task.FromResult(0);
        });
        return command;
    }

    public static Output Run(TextEncoderOptions options, int count, int workers, TimeSpan limit, CancellationToken cancellationToken)
    {
        var random = new Random(11);
        var texts = Enumerable.Range(0, count)
            .Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(4, 61)).Select(_ => Words[random.Next(Words.Length)])) + (random.Next(3) == 0 ? "?" : "."))
            .ToList();
        var load = Stopwatch.StartNew();
        using var encoder = new MiniLmTextEncoder(options);
        encoder.Encode(["warm up"], cancellationToken);
        var loadSeconds = load.Elapsed.TotalSeconds;
        var meanTokens = texts.Average(t => encoder.Tokenize(t).Length);

        var batches = texts.Chunk(options.BatchSize).ToList();
        var batchMs = new ConcurrentBag<double>();
        var sentenceMs = new ConcurrentBag<double>();
        var done = 0;
        var next = -1;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var stopped = false;
        var threads = Enumerable.Range(0, workers).Select(_ => new Thread(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count && !cancellationToken.IsCancellationRequested)
            {
                if (clock.Elapsed > limit)
                {
                    stopped = true;
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                encoder.Encode(batches[i], cancellationToken);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                batchMs.Add(ms);
                sentenceMs.Add(ms / batches[i].Length);
                Interlocked.Add(ref done, batches[i].Length);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        cancellationToken.ThrowIfCancellationRequested();
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var rate = done / seconds;
        return new Output(
            encoder.ModelName,
            done,
            options.BatchSize,
            options.MaxTokens,
            workers,
            Stats.Round(meanTokens, 1),
            Stats.Round(seconds, 2),
            Stats.Round(rate, 1),
            Stats.Round(rate / Math.Min(workers, Environment.ProcessorCount), 1),
            Stats.Round(cpuSeconds, 2),
            Stats.Round(done / Math.Max(cpuSeconds, 1e-9), 1),
            Stats.Round(Stats.Percentile(batchMs.ToList(), 50), 2),
            Stats.Round(Stats.Percentile(batchMs.ToList(), 99), 2),
            Stats.Round(Stats.Percentile(sentenceMs.ToList(), 50), 3),
            Stats.Round(Stats.Percentile(sentenceMs.ToList(), 99), 3),
            Stats.Round(loadSeconds, 2),
            stopped);
    }
}
