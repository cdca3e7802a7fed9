using FeedbackStream.Auth;
using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Models;

/// <summary>P[Love] settings, bound from the <c>Models</c> section.</summary>
public sealed class ModelsOptions
{
    public const string SectionName = "Models";

    public string ModelName { get; set; } = ModelStore.DefaultModelName;

    /// <summary>Run the retraining job consumer, its schedule and triggers in this process.</summary>
    public bool TrainingEnabled { get; set; } = true;

    /// <summary>Auto (the default): Linear below <see cref="SmallDataRows"/> training rows, LightGbm from there on; or one learner always.</summary>
    public LoveLearner Learner { get; set; } = LoveLearner.Auto;

    /// <summary>With the Auto learner: below this many training rows the linear learner is used (trees over n-grams fit noise on a few thousand labels).</summary>
    public int SmallDataRows { get; set; } = 5_000;

    public TrainingDenoising Denoising { get; set; } = TrainingDenoising.None;

    public int Iterations { get; set; } = 200;

    /// <summary>Vocabulary caps of the response's and the context's word 1–2-grams (0 leaves text out).</summary>
    public int ResponseNgrams { get; set; } = 4_000;

    public int ContextNgrams { get; set; } = 500;

    /// <summary>Upper bound on the label rows one run reads (the training part is sampled above it): bounds memory.</summary>
    public int MaximumRows { get; set; } = 1_000_000;

    public int MaximumPairs { get; set; } = 200_000;

    /// <summary>Below this many labels a run fails with a clear reason instead of training on too little.</summary>
    public int MinimumLabels { get; set; } = 200;

    public double CalibrationFrom { get; set; } = 0.7;

    public double TestFrom { get; set; } = 0.8;

    /// <summary>Train the comparison learners for the report (FastTree, SDCA, denoised LightGBM) on a sample.</summary>
    public bool CompareLearners { get; set; } = true;

    public double AucTolerance { get; set; } = 0.005;

    public double MaximumEce { get; set; } = 0.02;

    public double MinimumAuc { get; set; } = 0.55;

    /// <summary>Cron expression (five fields, or six with seconds first; UTC) of the recurring retrain; "off" (or empty) turns the schedule off.</summary>
    public string Schedule { get; set; } = "0 3 * * *";

    public bool ScheduleEnabled => !string.IsNullOrWhiteSpace(Schedule) && !Schedule.Trim().Equals("off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Retrain when at least this many labels were computed since the last model's data was pinned; 0 turns it off.</summary>
    public int NewLabelsTrigger { get; set; } = 50_000;

    /// <summary>How often the new-labels trigger counts.</summary>
    public TimeSpan TriggerPollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Retries of a failed run (after the first attempt).</summary>
    public int Retries { get; set; } = 2;

    /// <summary>Wait before retrying a failed run.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the process running a job records that it is alive (and checks for a cancellation).</summary>
    public TimeSpan JobHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A running job whose process sent no heartbeat for this long is recorded failed (run status 'lost').</summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the scorer checks the registry for a new champion (besides the in-process ModelPromoted event).</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest batch one POST /v1/score may carry.</summary>
    public int MaximumScoreBatch { get; set; } = 1000;

    /// <summary>Keys allowed to trigger, inspect and cancel retraining (SHA-256 only, as for Gateway:ApiKeys).</summary>
    public List<ApiKeyOptions> AdminKeys { get; } = [];

    /// <summary>The <c>Models</c> section of <paramref name="configuration"/>, validated.</summary>
    public static ModelsOptions Read(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var options = new ModelsOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(SectionName), options);
        options.Validate();
        return options;
    }

    /// <summary>Checks the job timings; the message names the key.</summary>
    public void Validate()
    {
        var failures = new List<string>();
        if (JobHeartbeatInterval <= TimeSpan.Zero)
        {
            failures.Add($"Models:JobHeartbeatInterval must be positive, not {JobHeartbeatInterval}.");
        }

        if (JobLease < 2 * JobHeartbeatInterval)
        {
            failures.Add($"Models:JobLease ({JobLease}) must be at least twice Models:JobHeartbeatInterval ({JobHeartbeatInterval}), or a slow heartbeat reads as a dead trainer.");
        }

        if (RetryDelay < TimeSpan.Zero || Retries < 0)
        {
            failures.Add("Models:Retries and Models:RetryDelay must not be negative.");
        }

        if (ScheduleEnabled && Schedule.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is not (5 or 6))
        {
            failures.Add($"Models:Schedule '{Schedule}' must be a cron expression of five fields (or six, seconds first), or 'off'.");
        }

        if (SmallDataRows < 0)
        {
            failures.Add($"Models:SmallDataRows must not be negative, not {SmallDataRows}.");
        }

        if (failures.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(SectionName, typeof(ModelsOptions), failures);
        }
    }

    public TrainingRunOptions ToRunOptions() => new()
    {
        Model = new LoveModelOptions { Learner = Learner, SmallDataRows = SmallDataRows, Denoising = Denoising, Iterations = Iterations, ResponseNgrams = ResponseNgrams, ContextNgrams = ContextNgrams },
        CalibrationFrom = CalibrationFrom,
        TestFrom = TestFrom,
        Compare = CompareLearners,
    };

    public GateOptions ToGateOptions() => new() { AucTolerance = AucTolerance, MaximumEce = MaximumEce, MinimumAuc = MinimumAuc };
}
