using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;

namespace Zoo.Core.Data;

/// <summary>How a data set's [0, 1] inputs reach the model: auto binarises (threshold) for a likelihood over binary data.</summary>
public enum BinarizeOption { Auto, Threshold, Stochastic, None }

/// <summary>
/// The keys every data source of examples shares, declared once: binarisation and the limits of the two splits. A
/// data plugin's config derives from it and adds its own (a file's path, a labels array).
/// </summary>
[ZooConfig]
public abstract partial record ExamplesConfig
{
    [Description("how [0,1] inputs become binary: auto (the model's choice: threshold for a Bernoulli VAE, stochastic for the VFAE, none for continuous likelihoods), threshold (> 0.5), stochastic (redrawn every epoch) or none")]
    public BinarizeOption Binarize { get; init; } = BinarizeOption.Auto;

    [Description("use only the first N training examples (0 = all)")]
    [Range(0, 100_000_000)]
    public int TrainLimit { get; init; }

    [Description("use only the first N test examples (0 = all)")]
    [Range(0, 100_000_000)]
    public int TestLimit { get; init; }

    /// <summary>The binarisation to apply, given what auto means for the model.</summary>
    public Binarization BinarizationFor(Binarization auto) => Binarize switch
    {
        BinarizeOption.Auto => auto,
        BinarizeOption.Threshold => Zoo.Core.Data.Binarization.Threshold,
        BinarizeOption.Stochastic => Zoo.Core.Data.Binarization.Stochastic,
        _ => Zoo.Core.Data.Binarization.None,
    };

    /// <summary>Both splits limited and made into training data, with the binarisation <paramref name="request"/> calls for.</summary>
    public Training.TrainingData Examples(ImageDataset train, ImageDataset test, Plugins.DataRequest request, int classes)
    {
        train = Training.TrainingData.Limit(train, TrainLimit);
        test = Training.TrainingData.Limit(test, TestLimit);
        foreach (var split in new[] { train, test })
        {
            if (ImageDataset.Empty(split.Count, split.Name) is { } empty) Fail(empty);
            using var max = split.Labels.max();
            var largest = max.item<long>();
            if (largest >= classes) Fail($"{split.Name}: label {largest} is not one of the data set's {classes} classes (0 to {classes - 1})");
        }
        return Training.TrainingData.FromImages(train, test, BinarizationFor(request.Auto), classes);

        void Fail(string problem)
        {
            train.Dispose();
            test.Dispose();
            throw new InvalidDataException(problem);
        }
    }
}
