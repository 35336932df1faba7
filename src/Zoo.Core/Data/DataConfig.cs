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
[ConfigRule(nameof(CheckValidation))]
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

    [Description("validation rows, taken from the end of the training split before train-limit, for model selection (early-stopping, the best checkpoint): auto (the data set's standard split: the last 10,000 of MNIST's and Fashion-MNIST's 60,000; none for others) or a count (0 = none)")]
    public string Validation { get; init; } = Auto;

    public const string Auto = "auto";

    /// <summary>The validation rows to hold out, given the data set's <paramref name="standard"/> count and whether <paramref name="request"/> wants it.</summary>
    public int ValidationCount(int standard, Plugins.DataRequest request) =>
        Validation == Auto ? (request.StandardValidation ? standard : 0) : int.Parse(Validation, System.Globalization.CultureInfo.InvariantCulture);

    protected string? CheckValidation() =>
        Validation == Auto || (int.TryParse(Validation, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 0)
            ? null : $"validation: expected auto or a count of rows (0 or more), found '{Validation}'";

    /// <summary>The binarisation to apply, given what auto means for the model.</summary>
    public Binarization BinarizationFor(Binarization auto) => Binarize switch
    {
        BinarizeOption.Auto => auto,
        BinarizeOption.Threshold => Zoo.Core.Data.Binarization.Threshold,
        BinarizeOption.Stochastic => Zoo.Core.Data.Binarization.Stochastic,
        _ => Zoo.Core.Data.Binarization.None,
    };

    /// <summary>
    /// Both splits limited and made into training data, with the binarisation <paramref name="request"/> calls for, and
    /// the validation rows held out of the end of the training split (<paramref name="standardValidation"/>: how many
    /// validation=auto means for this data set).
    /// </summary>
    public Training.TrainingData Examples(ImageDataset train, ImageDataset test, Plugins.DataRequest request, int classes, int standardValidation = 0)
    {
        int validation = ValidationCount(standardValidation, request);
        ImageDataset? valid = null;
        if (validation > 0)
        {
            if (validation >= train.Count)
                Fail($"{train.Name}: validation = {validation} leaves no training rows (the split has {train.Count}); give a smaller count");
            valid = train.Slice(train.Name.Replace("-train", "-validation"), train.Count - validation, validation);
            // One copy of the rows that train: the first train-limit of the rest, when a limit is set.
            int rows = train.Count - validation;
            var rest = train.Slice(train.Name, 0, TrainLimit > 0 ? Math.Min(TrainLimit, rows) : rows);
            train.Dispose();
            train = rest;
        }
        train = Training.TrainingData.Limit(train, TrainLimit);
        test = Training.TrainingData.Limit(test, TestLimit);
        foreach (var split in new[] { train, test })
        {
            if (ImageDataset.Empty(split.Count, split.Name) is { } empty) Fail(empty);
            using var max = split.Labels.max();
            var largest = max.item<long>();
            if (largest >= classes) Fail($"{split.Name}: label {largest} is not one of the data set's {classes} classes (0 to {classes - 1})");
        }
        return Training.TrainingData.FromImages(train, test, BinarizationFor(request.Auto), classes, valid);

        void Fail(string problem)
        {
            train.Dispose();
            test.Dispose();
            valid?.Dispose();
            throw new InvalidDataException(problem);
        }
    }
}
