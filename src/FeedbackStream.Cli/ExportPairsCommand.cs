using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using FeedbackStream.Embeddings;
using FeedbackStream.Embeddings.MiniLm;
using FeedbackStream.Hosting;
using FeedbackStream.Mining;
using FeedbackStream.Storage.Embeddings;
using FeedbackStream.Storage.Pairs;
using Parquet;
using Parquet.Serialization;

namespace FeedbackStream.Cli;

/// <summary>
/// <c>feedbackstream export-pairs</c>: DPO-ready preference pairs (prompt, chosen, rejected, plus provenance) as JSONL or
/// Parquet, read from ClickHouse page by page (keyset pagination on pair_id), so memory stays bounded by the page size.
/// </summary>
internal static class ExportPairsCommand
{
    public const int PageRows = 5000;


    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "jsonl or parquet.", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "parquet");
        var output = new Option<FileInfo?>("--out") { Description = "File to write (default: standard output for jsonl; required for parquet)." };
        var minConfidence = new Option<double>("--min-confidence") { Description = "Only pairs at least this confident.", DefaultValueFactory = _ => 0 };
        var minEnsembleMargin = new Option<double?>("--min-ensemble-margin") { Description = "Only pairs the newest P[Love] run's ensemble scored with at least this mean margin (P[Love] chosen - rejected); e.g. 0 drops pairs the scorers disagree with." };
        var since = new Option<DateTime?>("--since") { Description = "Only pairs mined at or after this UTC time." };
        var source = new Option<string?>("--source") { Description = "Only pairs from this source (regeneration, same_prompt_siblings, followup_sat_vs_dsat, edit)." };
        var top = new Option<int?>("--top") { Description = "Keep only the K most useful pairs, ranked by confidence, margin and diversity (FiFA-style). Holds the filtered candidates in memory." };
        var diversity = new Option<double>("--diversity") { Description = "With --top: weight of diversity against quality, 0..1.", DefaultValueFactory = _ => 0.5 };
        var space = new Option<string>("--diversity-space")
        {
            Description = "With --top: where diversity is measured. hashed: a hashed bag of words (fast, no model); minilm: all-MiniLM-L6-v2 sentence vectors of prompt, chosen and rejected (about 40 ms of CPU per new text; vectors are kept in text_embeddings, so each text is embedded once).",
            DefaultValueFactory = _ => "hashed",
        };
        space.AcceptOnlyFromAmong("hashed", "minilm");
        var app = new Option<string?>("--app") { Description = "Only this app's pairs (default: every app in the database)." };
        var json = new Option<bool>("--json") { Description = "Print what was written as one JSON object on the last line (needs --out)." };
        var command = new Command("export-pairs", "Export preference pairs as DPO-ready records (JSONL or Parquet) with bounded memory.")
        {
            format, output, app, minConfidence, minEnsembleMargin, since, source, top, diversity, space, json,
        };
        var settings = DataSettings.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetValue(output);
            var asParquet = parse.GetValue(format) == "parquet";
            if (asParquet && file is null)
            {
                await Console.Error.WriteLineAsync("--out is required for --format parquet.");
                return 2;
            }

            return await settings.RunAsync(parse, async (target, _) =>
            {
                var filter = new PairExportFilter(parse.GetValue(minConfidence), parse.GetValue(since), parse.GetValue(source), parse.GetValue(minEnsembleMargin), parse.GetValue(app));
                var pages = PairExport.ReadAsync(target.Client, filter, PageRows, cancellationToken);
                if (parse.GetValue(top) is not { } k)
                {
                    return await WriteAsync(pages);
                }

                using var encoder = parse.GetValue(space) == "minilm" ? new MiniLmTextEncoder(new TextEncoderOptions()) : null;
                var cache = encoder is null ? null : new TextEmbeddingCache(new TextEmbeddingRepository(target.Client), encoder);
                var code = await WriteAsync(SelectAsync(pages, k, parse.GetValue(diversity), cache, cancellationToken));
                if (cache is not null)
                {
                    await Console.Error.WriteLineAsync($"sentence vectors: {cache.Counts.Stored:N0} texts read from text_embeddings, {cache.Counts.Embedded:N0} embedded with {encoder!.ModelName}");
                }

                return code;
            }, cancellationToken);

            async Task<int> WriteAsync(IAsyncEnumerable<List<PairRecord>> pages)
            {
                long written;
                if (asParquet)
                {
                    await using var stream = new FileStream(file!.FullName, FileMode.Create, FileAccess.ReadWrite);
                    written = await WriteParquetAsync(pages, stream, cancellationToken);
                }
                else
                {
                    await using var stream = file is null ? Console.OpenStandardOutput() : file.Create();
                    written = await WriteJsonlAsync(pages, stream, cancellationToken);
                }

                if (file is not null)
                {
                    await Console.Error.WriteLineAsync($"{written:N0} pairs written to {file.FullName}");
                    if (parse.GetValue(json))
                    {
                        JsonOutput.WriteLast(new { Pairs = written, File = file.FullName, Format = parse.GetValue(format) });
                    }
                }

                return 0;
            }
        });
        return command;
    }

    /// <summary>
    /// Reads every candidate, keeps the <paramref name="k"/> best by <see cref="PairSelector"/>, and yields them as pages.
    /// With <paramref name="sentences"/>, diversity is measured between sentence vectors (prompt + chosen + rejected,
    /// each text embedded once through <c>text_embeddings</c>); without, on the hashed bag of words.
    /// </summary>
    public static async IAsyncEnumerable<List<PairRecord>> SelectAsync(
        IAsyncEnumerable<List<PairRecord>> pages, int k, double diversity, TextEmbeddingCache? sentences, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var candidates = new List<PairRecord>();
        await foreach (var page in pages.WithCancellation(cancellationToken))
        {
            candidates.AddRange(page);
        }

        var byId = candidates.ToDictionary(c => c.PairId, StringComparer.Ordinal);
        Func<PreferencePair, float[]>? vectorOf = null;
        if (sentences is not null)
        {
            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var group in candidates.GroupBy(c => c.AppId, StringComparer.Ordinal))
            {
                var pairs = group.ToList();
                var texts = await sentences.VectorsAsync(group.Key, pairs.SelectMany(c => new[] { c.Prompt, c.Chosen, c.Rejected }).ToList(), cancellationToken);
                for (var i = 0; i < pairs.Count; i++)
                {
                    vectors[pairs[i].PairId] = PairSelector.Combine(texts[3 * i], texts[(3 * i) + 1], texts[(3 * i) + 2]);
                }
            }

            vectorOf = p => vectors[p.PairId];
        }

        var selected = PairSelector.Select(
            candidates.Select(c => new PreferencePair(c.PairId, c.AppId, "", c.Prompt, c.ChosenResponseId, c.Chosen, c.RejectedResponseId, c.Rejected, c.Source, c.Confidence, c.Margin, c.EvidenceEventIds, [])).ToList(),
            k,
            diversity,
            vectorOf);
        foreach (var chunk in selected.Chunk(PageRows))
        {
            yield return chunk.Select(p => byId[p.PairId]).ToList();
        }
    }

    public static async Task<long> WriteJsonlAsync(IAsyncEnumerable<List<PairRecord>> pages, Stream stream, CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var page in pages.WithCancellation(cancellationToken))
        {
            foreach (var record in page)
            {
                await JsonSerializer.SerializeAsync(stream, record, JsonOutput.Options, cancellationToken);
                stream.WriteByte((byte)'\n');
                count++;
            }

            await stream.FlushAsync(cancellationToken);
        }

        return count;
    }

    /// <summary>A flat Parquet row; column names follow the JSONL keys.</summary>
    public sealed class ParquetPairRow
    {
        [JsonPropertyName("prompt")]
        public string Prompt { get; set; } = "";

        [JsonPropertyName("chosen")]
        public string Chosen { get; set; } = "";

        [JsonPropertyName("rejected")]
        public string Rejected { get; set; } = "";

        [JsonPropertyName("pair_id")]
        public string PairId { get; set; } = "";

        [JsonPropertyName("app_id")]
        public string AppId { get; set; } = "";

        [JsonPropertyName("source")]
        public string Source { get; set; } = "";

        [JsonPropertyName("confidence")]
        public double Confidence { get; set; }

        [JsonPropertyName("margin")]
        public double Margin { get; set; }

        [JsonPropertyName("chosen_response_id")]
        public string ChosenResponseId { get; set; } = "";

        [JsonPropertyName("rejected_response_id")]
        public string RejectedResponseId { get; set; } = "";

        [JsonPropertyName("evidence_event_ids")]
        public string EvidenceEventIds { get; set; } = "";

        [JsonPropertyName("mined_at")]
        public DateTime MinedAt { get; set; }

        [JsonPropertyName("ensemble_margin")]
        public double? EnsembleMargin { get; set; }

        [JsonPropertyName("ensemble_spread")]
        public double? EnsembleSpread { get; set; }
    }

    /// <summary>Writes one row group per page, appending to the file, so memory stays bounded by the page.</summary>
    public static async Task<long> WriteParquetAsync(IAsyncEnumerable<List<PairRecord>> pages, Stream stream, CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var page in pages.WithCancellation(cancellationToken))
        {
            var rows = page.Select(p => new ParquetPairRow
            {
                Prompt = p.Prompt, Chosen = p.Chosen, Rejected = p.Rejected, PairId = p.PairId, AppId = p.AppId, Source = p.Source,
                Confidence = p.Confidence, Margin = p.Margin, ChosenResponseId = p.ChosenResponseId, RejectedResponseId = p.RejectedResponseId,
                EvidenceEventIds = string.Join(',', p.EvidenceEventIds), MinedAt = p.MinedAt, EnsembleMargin = p.EnsembleMargin, EnsembleSpread = p.EnsembleSpread,
            }).ToList();
            await ParquetSerializer.SerializeAsync(rows, stream, new ParquetOptions { Append = count > 0 }, cancellationToken: cancellationToken);
            count += rows.Count;
        }

        return count;
    }
}
