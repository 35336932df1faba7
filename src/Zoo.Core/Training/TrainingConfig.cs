using Zoo.Core.Data;

namespace Zoo.Core.Training;

/// <summary>The keys a model's config gives the trainer: data, optimisation and run length.</summary>
public interface ITrainingConfig
{
    /// <summary>"mnist" or "fashion-mnist".</summary>
    string Dataset { get; }
    Binarization Binarization { get; }
    /// <summary>Use only the first N training / test examples (0 = all): for quick runs and tests.</summary>
    int TrainLimit { get; }
    int TestLimit { get; }
    int Epochs { get; }
    int BatchSize { get; }
    double LearningRate { get; }
    /// <summary>Clip the gradients' global norm to this value (0 = no clipping).</summary>
    double ClipGradNorm { get; }
    int Seed { get; }
    /// <summary>Warn when fewer latent units than this are active after an epoch (posterior collapse); 0 = never.</summary>
    int MinActiveUnits => 1;
}

/// <summary>
/// The keys of a model trained on packed rows with a label and a sensitive variable (the VFAE):
/// <see cref="ITrainingConfig.Dataset"/> is credit-g or a path to an .arff or .csv file, whose columns these name, or
/// an image set (mnist, fashion-mnist) whose last <see cref="SensitivePixels"/> pixels are s.
/// </summary>
public interface ITabularConfig : ITrainingConfig
{
    string Target { get; }
    string Sensitive { get; }
    double SensitiveThreshold { get; }
    double TestFraction { get; }
    int Labels { get; }
    /// <summary>Images: how many of the last pixels are s.</summary>
    int SensitivePixels => 0;
    /// <summary>Semi-supervised runs: the share of an epoch's rows that are labelled (repeats; 0 = none).</summary>
    double LabelledShare => 0;

    Data.Tabular.TabularOptions TabularOptions => new(Target, Sensitive, SensitiveThreshold, TestFraction, Seed, Labels);
}

/// <summary>
/// One epoch's figures, in nats per example (ELBO = reconstruction − KL). TrainSeconds times the optimisation
/// steps alone; Seconds the whole epoch (with test evaluation and checkpoint). LiveTensors counts native tensors.
/// ActiveUnits counts the latent dimensions active on the test split (Burda et al.'s criterion; −1 where unknown,
/// in checkpoints written before it was measured).
/// </summary>
public sealed record EpochMetrics(
    int Epoch, double TrainElbo, double TrainReconstruction, double TrainKl, double TrainLoss,
    double TestElbo, double TestReconstruction, double TestKl, double TrainSeconds, double Seconds, long LiveTensors,
    int ActiveUnits = -1)
{
    public const string CsvHeader = "epoch,train_elbo,train_reconstruction,train_kl,train_loss,test_elbo,test_reconstruction,test_kl,train_seconds,seconds,live_tensors,active_units";

    public string ToCsv() => string.Join(",", new[]
    {
        Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        F(TrainElbo), F(TrainReconstruction), F(TrainKl), F(TrainLoss), F(TestElbo), F(TestReconstruction), F(TestKl),
        TrainSeconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
        Seconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
        LiveTensors.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ActiveUnits.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

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
}
