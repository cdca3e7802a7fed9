using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;
using FeedbackStream.Mining;
using Parquet;
using Parquet.Serialization;
using System.Text.Json.Serialization;

namespace FeedbackStream.Cli;

/// <summary>
/// <c>feedbackstream export-pairs</c>: DPO-ready preference pairs (prompt, chosen, rejected, plus provenance) as JSONL or
/// Parquet, read from ClickHouse page by page (keyset pagination on pair_id), so memory stays bounded by the page size.
/// </summary>
internal static class ExportPairsCommand
{
    public const int PageRows = 5000;

    public sealed record PairRecord(string Prompt, string Chosen, string Rejected, string PairId, string AppId, string Source, double Confidence, double Margin, string ChosenResponseId, string RejectedResponseId, IReadOnlyList<string> EvidenceEventIds, DateTime MinedAt, double? EnsembleMargin = null, double? EnsembleSpread = null);

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
        var json = new Option<bool>("--json") { Description = "Print what was written as one JSON object on the last line (needs --out)." };
        var command = new Command("export-pairs", "Export preference pairs as DPO-ready records (JSONL or Parquet) with bounded memory.")
        {
            format, output, minConfidence, minEnsembleMargin, since, source, top, diversity, json,
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
                var pages = ReadAsync(target.Client, parse.GetValue(minConfidence), parse.GetValue(since), parse.GetValue(source), PageRows, cancellationToken, parse.GetValue(minEnsembleMargin));
                if (parse.GetValue(top) is { } k)
                {
                    pages = SelectAsync(pages, k, parse.GetValue(diversity), cancellationToken);
                }
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
                    Console.Error.WriteLine($"{written:N0} pairs written to {file.FullName}");
                    if (parse.GetValue(json))
                    {
                        JsonOutput.WriteLast(new { Pairs = written, File = file.FullName, Format = parse.GetValue(format) });
                    }
                }

                return 0;
            }, cancellationToken);
        });
        return command;
    }

    /// <summary>Pages of pairs in pair_id order; each page is one query, so nothing larger than a page is held.</summary>
    public static async IAsyncEnumerable<List<PairRecord>> ReadAsync(
        ClickHouse.Driver.ClickHouseClient client, double minConfidence, DateTime? since, string? source, int pageRows, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, double? minEnsembleMargin = null)
    {
        var after = "";
        while (true)
        {
            var parameters = new ClickHouseParameterCollection();
            parameters.AddParameter("after", after);
            parameters.AddParameter("min", minConfidence);
            parameters.AddParameter("since", (since ?? DateTime.UnixEpoch).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            parameters.AddParameter("source", source ?? "");
            var page = new List<PairRecord>(pageRows);
            using (var reader = await client.ExecuteReaderAsync(
                $$"""
                SELECT prompt_text, chosen_text, rejected_text, pair_id, app_id, source, confidence, margin, chosen_response_id, rejected_response_id, evidence_event_ids, mined_at
                FROM preference_pairs FINAL
                WHERE pair_id > {after:String} AND confidence >= {min:Float64} AND mined_at >= parseDateTimeBestEffort({since:String})
                  AND ({source:String} = '' OR source = {source:String})
                ORDER BY pair_id
                LIMIT {{pageRows}}
                """, parameters, null, cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add(new PairRecord(
                        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                        reader.GetDouble(6), reader.GetDouble(7), reader.GetString(8), reader.GetString(9), (string[])reader.GetValue(10), DateTime.SpecifyKind(reader.GetDateTime(11), DateTimeKind.Utc)));
                }
            }

            if (page.Count == 0)
            {
                yield break;
            }

            var last = page[^1].PairId;
            var full = page.Count == pageRows;
            page = await WithMarginsAsync(client, page, cancellationToken);
            if (minEnsembleMargin is { } least)
            {
                page = page.Where(p => p.EnsembleMargin >= least).ToList();
            }

            if (page.Count > 0)
            {
                yield return page;
            }

            after = last;
            if (!full)
            {
                yield break;
            }
        }
    }

    /// <summary>Adds the newest training run's ensemble margin (mean and spread) to each pair that has one.</summary>
    private static async Task<List<PairRecord>> WithMarginsAsync(ClickHouse.Driver.ClickHouseClient client, List<PairRecord> page, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("ids", page.Select(p => p.PairId).ToArray());
        var margins = new Dictionary<string, (double Mean, double Spread)>(StringComparer.Ordinal);
        using (var reader = await client.ExecuteReaderAsync(
            "SELECT pair_id, margin_mean, margin_spread FROM pair_margins FINAL WHERE pair_id IN {ids:Array(String)}", parameters, null, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                margins[reader.GetString(0)] = (reader.GetDouble(1), reader.GetDouble(2));
            }
        }

        return page.Select(p => margins.TryGetValue(p.PairId, out var m) ? p with { EnsembleMargin = m.Mean, EnsembleSpread = m.Spread } : p).ToList();
    }

    /// <summary>Reads every candidate, keeps the <paramref name="k"/> best by <see cref="PairSelector"/>, and yields them as pages.</summary>
    public static async IAsyncEnumerable<List<PairRecord>> SelectAsync(
        IAsyncEnumerable<List<PairRecord>> pages, int k, double diversity, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var candidates = new List<PairRecord>();
        await foreach (var page in pages.WithCancellation(cancellationToken))
        {
            candidates.AddRange(page);
        }

        var byId = candidates.ToDictionary(c => c.PairId, StringComparer.Ordinal);
        var selected = PairSelector.Select(
            candidates.Select(c => new PreferencePair(c.PairId, c.AppId, "", c.Prompt, c.ChosenResponseId, c.Chosen, c.RejectedResponseId, c.Rejected, c.Source, c.Confidence, c.Margin, c.EvidenceEventIds, [])).ToList(),
            k,
            diversity);
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
