namespace FeedbackStream.Storage.Pairs;

/// <summary>A preference pair as exported: DPO-ready texts, provenance, and the newest training run's ensemble margin when it scored the pair.</summary>
public sealed record PairRecord(
    string Prompt, string Chosen, string Rejected, string PairId, string AppId, string Source, double Confidence, double Margin,
    string ChosenResponseId, string RejectedResponseId, IReadOnlyList<string> EvidenceEventIds, DateTime MinedAt, double? EnsembleMargin = null, double? EnsembleSpread = null);

/// <summary>Which pairs an export reads; <paramref name="AppId"/> keeps one app's pairs (null: every app's).</summary>
public sealed record PairExportFilter(double MinConfidence = 0, DateTime? Since = null, string? Source = null, double? MinEnsembleMargin = null, string? AppId = null);

/// <summary>
/// Reads <c>preference_pairs</c> for export, page by page in pair_id order (keyset pagination: each page is one query
/// and nothing larger than a page is held), with the newest run's ensemble margins joined from <c>pair_margins</c>.
/// </summary>
public static class PairExport
{
    public static async IAsyncEnumerable<List<PairRecord>> ReadAsync(
        ClickHouse.Driver.ClickHouseClient client, PairExportFilter filter, int pageRows, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageRows, 1);
        var after = "";
        while (true)
        {
            var rows = await client.RowsAsync<PairRow>(
                """
                SELECT prompt_text, chosen_text, rejected_text, pair_id, app_id, source, confidence, margin, chosen_response_id, rejected_response_id, evidence_event_ids, mined_at
                FROM preference_pairs FINAL
                WHERE pair_id > {after:String} AND confidence >= {min:Float64} AND mined_at >= parseDateTimeBestEffort({since:String})
                  AND ({source:String} = '' OR source = {source:String})
                  AND ({app:String} = '' OR app_id = {app:String})
                ORDER BY pair_id
                LIMIT {rows:UInt32}
                """,
                new
                {
                    after,
                    min = filter.MinConfidence,
                    since = (filter.Since ?? DateTime.UnixEpoch).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                    source = filter.Source ?? "",
                    app = filter.AppId ?? "",
                    rows = (uint)pageRows,
                },
                cancellationToken);
            if (rows.Count == 0)
            {
                yield break;
            }

            var page = await WithMarginsAsync(client, [.. rows.Select(r => r.ToRecord())], cancellationToken);
            if (filter.MinEnsembleMargin is { } least)
            {
                page = [.. page.Where(p => p.EnsembleMargin >= least)];
            }

            if (page.Count > 0)
            {
                yield return page;
            }

            after = rows[^1].PairId;
            if (rows.Count < pageRows)
            {
                yield break;
            }
        }
    }

    /// <summary>Adds the newest training run's ensemble margin (mean and spread) to each pair that has one.</summary>
    private static async Task<List<PairRecord>> WithMarginsAsync(ClickHouse.Driver.ClickHouseClient client, List<PairRecord> page, CancellationToken cancellationToken)
    {
        var margins = (await client.RowsAsync<MarginRow>(
                "SELECT pair_id, margin_mean, margin_spread FROM pair_margins FINAL WHERE pair_id IN {ids:Array(String)}",
                new { ids = page.Select(p => p.PairId).ToArray() },
                cancellationToken))
            .ToDictionary(m => m.PairId, StringComparer.Ordinal);
        return [.. page.Select(p => margins.TryGetValue(p.PairId, out var m) ? p with { EnsembleMargin = m.MarginMean, EnsembleSpread = m.MarginSpread } : p)];
    }

    private sealed class PairRow
    {
        public string PromptText { get; set; } = "";

        public string ChosenText { get; set; } = "";

        public string RejectedText { get; set; } = "";

        public string PairId { get; set; } = "";

        public string AppId { get; set; } = "";

        public string Source { get; set; } = "";

        public double Confidence { get; set; }

        public double Margin { get; set; }

        public string ChosenResponseId { get; set; } = "";

        public string RejectedResponseId { get; set; } = "";

        public string[] EvidenceEventIds { get; set; } = [];

        public DateTime MinedAt { get; set; }

        public PairRecord ToRecord() => new(
            PromptText, ChosenText, RejectedText, PairId, AppId, Source, Confidence, Margin, ChosenResponseId, RejectedResponseId, EvidenceEventIds,
            DateTime.SpecifyKind(MinedAt, DateTimeKind.Utc));
    }

    private sealed class MarginRow
    {
        public string PairId { get; set; } = "";

        public double MarginMean { get; set; }

        public double MarginSpread { get; set; }
    }
}
