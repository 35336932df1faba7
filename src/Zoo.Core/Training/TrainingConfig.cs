using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;

namespace Zoo.Core.Training;

/// <summary>
/// The trainer's keys, declared once for every model: run length, minibatches, Adam, clipping, seed, and the
/// collapse warning's threshold. A run's config (<see cref="Runs.RunConfig"/>) adds the model and the data.
/// </summary>
[ZooConfig]
public abstract partial record TrainingConfig
{
    [Description("training epochs")]
    [Range(1, 100000)]
    public int Epochs { get; init; } = 10;

    [Description("minibatch size")]
    [Range(1, 1_000_000)]
    public int BatchSize { get; init; } = 100;

    [Description("Adam learning rate (at the first epoch, under a schedule)")]
    [Range(1e-7, 1.0)]
    public double LearningRate { get; init; } = 1e-3;

    [Description("learning-rate schedule over epochs: constant, step (× lr-gamma every lr-step-epochs), cosine (to lr-min at the last epoch), iwae (Burda et al. 2016: 3^i epochs at 10^(−i/7)·learning-rate, i = 0…7, 3,280 epochs)")]
    [AllowedValues("constant", "step", "cosine", "iwae")]
    public string LrSchedule { get; init; } = "constant";

    [Description("step schedule: epochs between two decays")]
    [Range(1, 100000)]
    public int LrStepEpochs { get; init; } = 30;

    [Description("step schedule: the factor of each decay")]
    [Range(1e-6, 1.0)]
    public double LrGamma { get; init; } = 0.1;

    [Description("cosine schedule: the learning rate it ends at")]
    [Range(0.0, 1.0)]
    public double LrMin { get; init; }

    /// <summary>
    /// The learning rate of epoch <paramref name="epoch"/> (1-based) under <see cref="LrSchedule"/>: a function of the
    /// epoch alone, so a resumed run continues on the same schedule.
    /// </summary>
    public double LearningRateAt(int epoch) => LrSchedule switch
    {
        "step" => LearningRate * Math.Pow(LrGamma, (epoch - 1) / LrStepEpochs),
        // PyTorch's CosineAnnealingLR stepped once per epoch with T_max = epochs.
        "cosine" => LrMin + (LearningRate - LrMin) * (1 + Math.Cos(Math.PI * (epoch - 1) / Epochs)) / 2,
        "iwae" => LearningRate * Math.Pow(10, -IwaeStage(epoch) / 7.0),
        _ => LearningRate,
    };

    /// <summary>The IWAE paper's stage of an epoch: stage i lasts 3^i epochs (1, 3, 9, …, 2187; 3,280 in all), the last one held after.</summary>
    public static int IwaeStage(int epoch)
    {
        int stage = 0;
        for (long end = 1, length = 1; epoch > end && stage < 7; stage++) { length *= 3; end += length; }
        return stage;
    }

    [Description("early stopping: stop after this many epochs without a better validation bound (0 = off; needs a validation split, dataset.validation)")]
    [Range(0, 100000)]
    public int EarlyStopping { get; init; }

    [Description("clip the gradients' global norm to this value (0 = off)")]
    [Range(0.0, 1e6)]
    public double ClipGradNorm { get; init; }

    [Description("random seed (initialisation, shuffling, sampling, seeded splits)")]
    [Range(0, int.MaxValue)]
    public int Seed { get; init; }

    [Description("warn when fewer latent units than this are active on the test split after an epoch (0 = never)")]
    [Range(0, 4096)]
    public int MinActiveUnits { get; init; } = 1;
}

/// <summary>
/// One epoch's figures, in nats per example (ELBO = reconstruction − KL). TrainSeconds times the optimisation
/// steps alone; Seconds the whole epoch (with test evaluation and checkpoint). LiveTensors counts native tensors.
/// ActiveUnits counts the latent dimensions active on the test split (Burda et al.'s criterion; −1 where unknown,
/// in checkpoints written before it was measured). TrainElbo and TestElbo are the model's bound (<see cref="Bound"/>:
/// the ELBO, or the IWAE's k-sample bound), which the column names of metrics.csv carry. ValidElbo is the bound on
/// the validation split (null when the run holds none out): what early stopping and the best checkpoint select on.
/// </summary>
public sealed record EpochMetrics(
    int Epoch, double TrainElbo, double TrainReconstruction, double TrainKl, double TrainLoss,
    double TestElbo, double TestReconstruction, double TestKl, double TrainSeconds, double Seconds, long LiveTensors,
    int ActiveUnits = -1, string Bound = EpochMetrics.ElboBound, double? ValidElbo = null, string Penalty = EpochMetrics.KlPenalty)
{
    public const string ElboBound = "elbo";

    /// <summary>The name of the TrainKl / TestKl term in epoch lines (<see cref="Plugins.IVaeModel.Penalty"/>); metrics.csv keeps train_kl / test_kl.</summary>
    public const string KlPenalty = "KL";

    /// <summary>How epoch lines name <paramref name="bound"/>: ELBO, IWAE-K5.</summary>
    public static string BoundLabel(string bound) => bound.ToUpperInvariant().Replace('_', '-');

    /// <summary>This epoch's bound as epoch lines name it.</summary>
    public string BoundName => BoundLabel(Bound);

    /// <summary>Figures callbacks add (a classifier's test accuracy, …): column name → value, in metrics.csv after the fixed columns.</summary>
    public IReadOnlyDictionary<string, double>? Extra { get; init; }

    /// <summary>
    /// metrics.csv's fixed columns for a model whose bound is <paramref name="bound"/> (train_elbo, or train_iwae_k5, …),
    /// with valid_BOUND where the run has a <paramref name="validation"/> split.
    /// </summary>
    public static string CsvHeader(string bound = ElboBound, bool validation = false) =>
        $"epoch,train_{bound},train_reconstruction,train_kl,train_loss,{(validation ? $"valid_{bound}," : "")}test_{bound},test_reconstruction,test_kl,train_seconds,seconds,live_tensors,active_units";

    /// <summary>This epoch's row under <see cref="CsvHeader"/> (with the <paramref name="validation"/> column or without).</summary>
    public string ToCsv(bool validation = false) => string.Join(",", (string[])
    [
        Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        F(TrainElbo), F(TrainReconstruction), F(TrainKl), F(TrainLoss), .. validation ? [ValidElbo is { } v ? F(v) : ""] : Array.Empty<string>(),
        F(TestElbo), F(TestReconstruction), F(TestKl),
        TrainSeconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
        Seconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
        LiveTensors.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ActiveUnits.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ]);

    // Round-trip precision: resumed runs are compared number for number.
    private static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Training went numerically wrong (a NaN or infinite loss); the message names the epoch and batch.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);

/// <summary>What a trainer reports as it goes (a progress bar in a terminal, log lines otherwise).</summary>
public interface ITrainingObserver
{
    void EpochStarted(int epoch, int epochs, int batches);
    void BatchDone(int epoch, int batch, double loss);
    void EpochDone(EpochMetrics metrics);

    /// <summary>Something the user should act on, e.g. posterior collapse; training goes on.</summary>
    void Warning(string message) { }

    /// <summary>Something the trainer decided that the user should hear of (early stopping).</summary>
    void Note(string message) { }
}
