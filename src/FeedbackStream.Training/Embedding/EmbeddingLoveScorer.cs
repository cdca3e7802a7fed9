using FeedbackStream.Embeddings;

namespace FeedbackStream.Training.Embedding;

/// <summary>Settings of <see cref="EmbeddingLoveScorer"/>.</summary>
public sealed record EmbeddingLoveOptions
{
    /// <summary>L2 penalty on the weights (per row: the loss is averaged), strong because rows are few and features many.</summary>
    public double L2 { get; init; } = 0.05;

    /// <summary>Full-batch gradient steps (Adam); bounded training time.</summary>
    public int Iterations { get; init; } = 300;

    public double LearningRate { get; init; } = 0.05;

    /// <summary>Add the element-wise product of context and response vectors (how well the reply matches what was asked).</summary>
    public bool Interaction { get; init; } = true;

    /// <summary>Add log(1 + length in characters) as a feature (length is a known confounder; off keeps the score from leaning on it).</summary>
    public bool Length { get; init; } = true;
}

/// <summary>
/// P[Love] from sentence vectors: L2-regularised logistic regression on the response's vector, the context's vector,
/// their element-wise product and log length, standardised on the training rows and class-balanced. An approximation
/// of the paper's LLM-with-a-classification-head with a small frozen encoder (all-MiniLM-L6-v2) and a linear head.
/// Vectors come from a caller-supplied lookup so that a response is embedded once (see <see cref="EmbeddedResponse"/>).
/// </summary>
public sealed class EmbeddingLoveScorer
{
    private readonly double[] _weights;
    private readonly double _bias;
    private readonly double[] _mean;
    private readonly double[] _scale;
    private readonly EmbeddingLoveOptions _options;

    private EmbeddingLoveScorer(double[] weights, double bias, double[] mean, double[] scale, EmbeddingLoveOptions options) =>
        (_weights, _bias, _mean, _scale, _options) = (weights, bias, mean, scale, options);

    public static EmbeddingLoveScorer Fit(IReadOnlyList<EmbeddedResponse> rows, IReadOnlyList<bool> labels, EmbeddingLoveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Count != labels.Count || rows.Count == 0)
        {
            throw new ArgumentException($"Rows ({rows.Count}) and labels ({labels.Count}) must be equally many and not none.", nameof(labels));
        }

        options ??= new EmbeddingLoveOptions();
        var x = rows.Select(r => Features(r, options)).ToArray();
        var d = x[0].Length;
        var mean = new double[d];
        var scale = new double[d];
        foreach (var row in x)
        {
            for (var j = 0; j < d; j++)
            {
                mean[j] += row[j] / x.Length;
            }
        }

        foreach (var row in x)
        {
            for (var j = 0; j < d; j++)
            {
                scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / x.Length;
            }
        }

        for (var j = 0; j < d; j++)
        {
            scale[j] = Math.Sqrt(scale[j]) is var s && s > 1e-9 ? s : 1;
        }

        var z = x.Select(row => Standardize(row, mean, scale)).ToArray();
        var positives = labels.Count(l => l);
        var wPos = positives == 0 ? 0 : x.Length / (2.0 * positives);
        var wNeg = positives == x.Length ? 0 : x.Length / (2.0 * (x.Length - positives));

        var w = new double[d];
        double b = 0;
        var m = new double[d + 1];
        var v = new double[d + 1];
        var gradient = new double[d + 1];
        const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
        for (var t = 1; t <= options.Iterations; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Array.Clear(gradient);
            for (var i = 0; i < z.Length; i++)
            {
                var p = Sigmoid(Dot(w, z[i]) + b);
                var err = (p - (labels[i] ? 1 : 0)) * (labels[i] ? wPos : wNeg) / z.Length;
                for (var j = 0; j < d; j++)
                {
                    gradient[j] += err * z[i][j];
                }

                gradient[d] += err;
            }

            for (var j = 0; j <= d; j++)
            {
                var g = j < d ? gradient[j] + (options.L2 * w[j]) : gradient[d];
                m[j] = (Beta1 * m[j]) + ((1 - Beta1) * g);
                v[j] = (Beta2 * v[j]) + ((1 - Beta2) * g * g);
                var step = options.LearningRate * (m[j] / (1 - Math.Pow(Beta1, t))) / (Math.Sqrt(v[j] / (1 - Math.Pow(Beta2, t))) + Epsilon);
                if (j < d)
                {
                    w[j] -= step;
                }
                else
                {
                    b -= step;
                }
            }
        }

        return new EmbeddingLoveScorer(w, b, mean, scale, options);
    }

    /// <summary>The uncalibrated probability of Love for each row (a ranking score; calibrate before reading it as a rate).</summary>
    public double[] Score(IReadOnlyList<EmbeddedResponse> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Select(r => Sigmoid(Dot(_weights, Standardize(Features(r, _options), _mean, _scale)) + _bias)).ToArray();
    }

    private static double[] Features(EmbeddedResponse r, EmbeddingLoveOptions options)
    {
        var n = r.Response.Length;
        var features = new List<double>((n * 3) + 1);
        features.AddRange(r.Response.Select(x => (double)x));
        features.AddRange(r.Context.Select(x => (double)x));
        if (options.Interaction)
        {
            for (var j = 0; j < n; j++)
            {
                features.Add(r.Response[j] * (double)r.Context[j]);
            }
        }

        if (options.Length)
        {
            features.Add(Math.Log(1 + r.ResponseChars));
        }

        return [.. features];
    }

    private static double[] Standardize(double[] row, double[] mean, double[] scale)
    {
        var z = new double[row.Length];
        for (var j = 0; j < row.Length; j++)
        {
            z[j] = (row[j] - mean[j]) / scale[j];
        }

        return z;
    }

    private static double Dot(double[] w, double[] z)
    {
        double s = 0;
        for (var j = 0; j < w.Length; j++)
        {
            s += w[j] * z[j];
        }

        return s;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}

/// <summary>A response's and its context's sentence vectors (unit length), and the response's length in characters.</summary>
public sealed record EmbeddedResponse(float[] Context, float[] Response, int ResponseChars)
{
    /// <summary>Embeds the examples' contexts and responses in batches (each distinct text once when the encoder caches).</summary>
    public static IReadOnlyList<EmbeddedResponse> Of(IReadOnlyList<LoveExample> examples, ITextEncoder encoder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(encoder);
        var responses = encoder.Encode(examples.Select(e => e.Response).ToList(), cancellationToken);
        var contexts = encoder.Encode(examples.Select(e => e.Context).ToList(), cancellationToken);
        return examples.Select((e, i) => new EmbeddedResponse(contexts[i], responses[i], e.Response.Length)).ToList();
    }
}
