using System.Globalization;
using System.Net;
using System.Text;
using FeedbackStream.Training.Evaluation;

namespace FeedbackStream.Training.Report;

/// <summary>
/// Renders a <see cref="TrainingReport"/> as one self-contained HTML page with inline SVG plots (reliability diagram,
/// score histogram by label, love rate and mean score by model version) and tables. No script, no external asset.
/// </summary>
public static class HtmlReport
{
    private const int Width = 420;
    private const int Height = 260;
    private const int Pad = 40;

    public static string Render(TrainingReport report, string title, string? version = null, string? decision = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        var m = report.Metrics;
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>P[Love] ").Append(E(title)).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}")
            .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}")
            .Append(".plots{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-size:.9em;color:#555}</style></head><body>");
        html.Append("<h1>P[Love] training run: ").Append(E(title)).Append("</h1>");
        if (version is not null)
        {
            html.Append("<p>Version <code>").Append(E(version)).Append("</code>. ");
        }

        if (decision is not null)
        {
            html.Append("Gate: <strong>").Append(E(decision)).Append("</strong>.");
        }

        html.Append("</p><h2>Headline (later time slice)</h2>");
        Table(html, ["metric", "value"],
        [
            ["learner", report.Learner], ["training-time denoising", report.Denoising],
            ["AUC", F(m.Auc)], ["log loss", F(m.LogLoss)], ["expected calibration error", F(m.Ece)],
            ["Pearson(score, response length)", F(m.PearsonLength)], ["base rate", F(m.BaseRate)], ["mean prediction", F(m.MeanPrediction)],
            ["pairwise accuracy of P[Love] on held-out pairs", F(m.PairwiseAccuracy)], ["pairwise accuracy of the pairwise model", F(report.PairwiseModelAccuracy)],
            ["held-out pairs", report.HeldOutPairs.ToString(CultureInfo.InvariantCulture)],
            ["offline-online agreement (Pearson over versions)", report.OfflineOnlineCorrelation is { } r ? F(r) : "fewer than 3 versions"],
            ["train seconds", F(report.TrainSeconds)], ["evaluate seconds", F(report.EvaluateSeconds)],
        ]);
        if (report.Champion is { } c)
        {
            html.Append("<h2>Against the champion (same test slice)</h2>");
            Table(html, ["metric", "challenger", "champion " + E(report.ChampionVersion ?? string.Empty)],
            [
                ["AUC", F(m.Auc), F(c.Auc)], ["log loss", F(m.LogLoss), F(c.LogLoss)], ["ECE", F(m.Ece), F(c.Ece)],
                ["Pearson(score, length)", F(m.PearsonLength), F(c.PearsonLength)], ["pairwise accuracy", F(m.PairwiseAccuracy), F(c.PairwiseAccuracy)],
            ]);
        }

        var w = report.Window;
        html.Append("<h2>Data window</h2>");
        Table(html, ["item", "value"],
        [
            ["served from", w.From.ToString("u", CultureInfo.InvariantCulture)], ["served to", w.To.ToString("u", CultureInfo.InvariantCulture)],
            ["calibration slice from", w.CalibrationFrom.ToString("u", CultureInfo.InvariantCulture)], ["test slice from", w.TestFrom.ToString("u", CultureInfo.InvariantCulture)],
            ["rows train / calibration / test", $"{w.TrainRows:N0} / {w.CalibrationRows:N0} / {w.TestRows:N0}"], ["loved", $"{w.Positives:N0}"],
            ["pairs", $"{w.Pairs:N0}"], ["data hash", w.DataHash],
        ]);

        html.Append("<div class=\"plots\">");
        Reliability(html, report);
        Histogram(html, report.Histogram);
        Versions(html, report.Versions);
        html.Append("</div>");

        if (report.Comparisons.Count > 0)
        {
            html.Append("<h2>Learners and training-time denoising (same sampled training rows, same test slice)</h2>");
            Table(html, ["learner", "denoising", "training rows", "AUC", "log loss", "ECE", "seconds"],
                report.Comparisons.Select(x => new[] { x.Learner, x.Denoising, $"{x.TrainRows:N0}", F(x.Auc), F(x.LogLoss), F(x.Ece), F(x.Seconds) }).ToList());
        }

        html.Append("<h2>Love rate by model version (test slice)</h2>");
        Table(html, ["version", "responses", "observed love rate", "mean P[Love]"],
            report.Versions.Select(v => new[] { v.ModelVersion, $"{v.Responses:N0}", F(v.ObservedLoveRate), F(v.MeanScore) }).ToList());

        if (report.Tripwire.Count > 0)
        {
            var versions = report.Tripwire[0].RateByVersion.Keys.ToList();
            html.Append("<h2>Phrase tripwire: share of responses containing the phrases most associated with Love</h2>");
            Table(html, ["phrase", "log-odds", .. versions],
                report.Tripwire.Select(t => new[] { t.Phrase, F(t.LogOdds) }.Concat(versions.Select(v => F(t.RateByVersion.GetValueOrDefault(v)))).ToArray()).ToList());
        }

        html.Append("</body></html>");
        return html.ToString();
    }

    private static void Reliability(StringBuilder html, TrainingReport report)
    {
        var bins = report.Reliability.Where(b => b.Count > 0).ToList();
        var top = Math.Max(0.05, Math.Ceiling(bins.Select(b => Math.Max(b.MeanPredicted, b.ObservedRate)).DefaultIfEmpty(0).Max() * 10) / 10);
        const string Caption = "Reliability diagram: observed love rate against mean predicted P[Love] per bin (diagonal = perfect)";
        Open(html, Caption);
        Axes(html, top, top, "predicted", "observed");
        html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(0, top)}\" y1=\"{Y(0, top)}\" x2=\"{X(top, top)}\" y2=\"{Y(top, top)}\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>");
        html.Append("<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"")
            .AppendJoin(' ', bins.Select(b => $"{X(b.MeanPredicted, top):F1},{Y(b.ObservedRate, top):F1}")).Append("\"/>");
        foreach (var b in bins)
        {
            html.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(b.MeanPredicted, top):F1}\" cy=\"{Y(b.ObservedRate, top):F1}\" r=\"3\" fill=\"#c0392b\"><title>{b.Count:N0} responses</title></circle>");
        }

        Close(html, Caption);
    }

    private static void Histogram(StringBuilder html, ScoreHistogram histogram)
    {
        var top = histogram.Edges[^1];
        var loved = histogram.Loved.Sum();
        var other = histogram.NotLoved.Sum();
        var share = (IReadOnlyList<int> counts, int total) => counts.Select(c => total == 0 ? 0 : c / (double)total).ToList();
        var lovedShare = share(histogram.Loved, loved);
        var otherShare = share(histogram.NotLoved, other);
        var yTop = Math.Max(0.01, lovedShare.Concat(otherShare).Max());
        const string Caption = "Score histogram by label (share of each label's responses per bin): loved red, not loved grey";
        Open(html, Caption);
        Axes(html, top, yTop, "P[Love]", "share");
        var barWidth = (Width - (2 * Pad)) / (double)lovedShare.Count / 2;
        for (var i = 0; i < lovedShare.Count; i++)
        {
            var x = X(histogram.Edges[i], top);
            Bar(html, x, barWidth, otherShare[i], yTop, "#999");
            Bar(html, x + barWidth, barWidth, lovedShare[i], yTop, "#c0392b");
        }

        Close(html, Caption);
    }

    private static void Versions(StringBuilder html, IReadOnlyList<VersionAgreement> versions)
    {
        var yTop = Math.Max(0.01, versions.Select(v => Math.Max(v.ObservedLoveRate, v.MeanScore)).DefaultIfEmpty(0).Max() * 1.1);
        const string Caption = "Love rate by model version (test slice): observed (red) and mean P[Love] (grey)";
        Open(html, Caption);
        Axes(html, 1, yTop, "model version", "love rate");
        var slot = (Width - (2 * Pad)) / (double)Math.Max(1, versions.Count);
        for (var i = 0; i < versions.Count; i++)
        {
            var x = Pad + (i * slot) + (slot * 0.15);
            Bar(html, x, slot * 0.35, versions[i].ObservedLoveRate, yTop, "#c0392b");
            Bar(html, x + (slot * 0.35), slot * 0.35, versions[i].MeanScore, yTop, "#999");
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{Height - Pad + 14}\" font-size=\"10\">{E(versions[i].ModelVersion)}</text>");
        }

        Close(html, Caption);
    }

    private static void Open(StringBuilder html, string caption) =>
        html.Append("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(Width).Append("\" height=\"").Append(Height + 10)
            .Append("\" role=\"img\"><title>").Append(E(caption)).Append("</title>");

    private static void Close(StringBuilder html, string caption) => html.Append("</svg><figcaption>").Append(E(caption)).Append("</figcaption></figure>");

    private static void Axes(StringBuilder html, double xTop, double yTop, string xLabel, string yLabel)
    {
        html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Pad}\" y1=\"{Height - Pad}\" x2=\"{Width - Pad}\" y2=\"{Height - Pad}\" stroke=\"#333\"/>");
        html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Pad}\" y1=\"{Pad / 2}\" x2=\"{Pad}\" y2=\"{Height - Pad}\" stroke=\"#333\"/>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height - 4}\" font-size=\"11\" text-anchor=\"middle\">{E(xLabel)}</text>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{Pad / 2 - 4}\" font-size=\"11\">{E(yLabel)} (top {yTop:0.###})</text>");
        if (xLabel != "model version")
        {
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Pad}\" y=\"{Height - Pad + 14}\" font-size=\"10\" text-anchor=\"end\">{xTop:0.###}</text>");
        }
    }

    private static void Bar(StringBuilder html, double x, double width, double value, double yTop, string colour) =>
        html.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:F1}\" y=\"{Y(value, yTop):F1}\" width=\"{Math.Max(0.5, width - 1):F1}\" height=\"{Height - Pad - Y(value, yTop):F1}\" fill=\"{colour}\"><title>{value:0.####}</title></rect>");

    private static double X(double value, double top) => Pad + (Math.Clamp(value / top, 0, 1) * (Width - (2 * Pad)));

    private static double Y(double value, double top) => Height - Pad - (Math.Clamp(value / top, 0, 1) * (Height - (1.5 * Pad)));

    private static void Table(StringBuilder html, IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        html.Append("<table><tr>");
        foreach (var h in header)
        {
            html.Append("<th>").Append(E(h)).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td>").Append(E(cell)).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    private static string F(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
