using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Data.Tabular;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Data.Tables;

/// <summary>
/// The keys of a table with a label and a sensitive column (the VFAE's data): which columns they are and how the rows
/// split. The split is a shuffle seeded with the run's seed; nominal columns become one-hot, numeric ones are
/// standardised on the training rows.
/// </summary>
[ZooConfig]
public abstract partial record TableColumnsConfig
{
    [Description("label column y (nominal)")]
    [Required]
    public string Target { get; init; } = "class";

    [Description("sensitive column s: nominal, or numeric binarised as value > sensitive-threshold")]
    [Required]
    public string Sensitive { get; init; } = "age";

    [Description("a numeric sensitive column's threshold (German credit: age > 25)")]
    public double SensitiveThreshold { get; init; } = 25;

    [Description("fraction of rows held out as the test split (shuffle seeded with the run's seed)")]
    [Range(0.05, 0.95)]
    public double TestFraction { get; init; } = 0.3;

    /// <summary>The table's rows, packed [features | s | y | labelled] and split.</summary>
    public TrainingData Rows(string name, string path, DataRequest request) =>
        TrainingData.FromRows(name, TabularData.Load(path, new TabularOptions(Target, Sensitive, SensitiveThreshold, TestFraction, request.Seed, Labels: 0)),
            Binarization.None);
}

[ZooConfig]
public sealed partial record TableConfig : TableColumnsConfig
{
    [Description("path to an .arff or .csv file with a header row")]
    [Required]
    public string Path { get; init; } = "";
}

/// <summary>A user's table: `dataset=data.arff` picks it, or `dataset=table dataset.path=data.csv` for a CSV table.</summary>
[ZooPlugin("table", Description = "a table from an ARFF or CSV file with a nominal label and a sensitive column (rows packed for the VFAE)")]
public sealed partial class TableData : DataPlugin<TableConfig>
{
    public override IReadOnlyList<string> FileExtensions => [".arff"];

    protected override TrainingData Load(TableConfig config, DataRequest request) =>
        config.Rows(System.IO.Path.GetFileNameWithoutExtension(config.Path), config.Path, request);
}
