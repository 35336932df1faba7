using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Reporting.ClassifierAccuracy;

/// <summary>
/// For a model with its own classifier (<see cref="IClassifier"/>, the VFAE's q(y|z1)): its accuracy on the test
/// split after every epoch, as the figure test_accuracy (metrics.csv, curves.png). Every epoch is scored so the curve
/// shows whether more epochs would help; reports quote the last epoch, never the best one seen on test.
/// </summary>
public sealed class ClassifierAccuracyCallback : ITrainingCallback
{
    public const string Figure = "test_accuracy";

    public EpochMetrics Measure(TrainingContext run, EpochMetrics metrics)
    {
        if (run.Model is not IClassifier { ClassifierMissing: null } classifier) return metrics;
        var accuracy = Accuracy(classifier, run.Data.Test, run.Data.TestSet.Labels.data<long>());
        return metrics with { Extra = new Dictionary<string, double>(metrics.Extra ?? new Dictionary<string, double>()) { [Figure] = accuracy } };
    }

    /// <summary>The share of <paramref name="inputs"/> whose most probable class is the label.</summary>
    public static double Accuracy(IClassifier model, Tensor inputs, long[] labels)
    {
        using var _ = no_grad();
        int correct = 0;
        for (long start = 0; start < inputs.size(0); start += Trainer.EvalBatch)
        {
            using var scope = NewDisposeScope();
            var predicted = model.Classify(inputs.narrow(0, start, Math.Min(Trainer.EvalBatch, inputs.size(0) - start))).argmax(1).data<long>();
            for (int i = 0; i < predicted.Length; i++) correct += predicted[i] == labels[start + i] ? 1 : 0;
        }
        return (double)correct / labels.Length;
    }
}

[ZooPlugin("classifier-accuracy", Description = "a model's own classifier (e.g. the VFAE's q(y|z1)): test accuracy after every epoch")]
public sealed partial class ClassifierAccuracyPlugin : CallbackPlugin<NoConfig>
{
    protected override ITrainingCallback Create(NoConfig config) => new ClassifierAccuracyCallback();
}
