using System.ComponentModel;
using Zoo.Core.Configuration;
using Zoo.Core.Data.Arrays;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Data.Csv;

[ZooConfig]
public sealed partial record CsvConfig : ArrayFileConfig
{
    [Description("the column of integer labels, by header name or 0-based index (empty = no labels)")]
    public string LabelColumn { get; init; } = "";
}

/// <summary>A user's CSV of numbers: `dataset=points.csv` picks it.</summary>
[ZooPlugin("csv", Description = "a user's CSV of numbers, one example per row (optional header row and label column)")]
public sealed partial class CsvData : DataPlugin<CsvConfig>
{
    public override IReadOnlyList<string> FileExtensions => [".csv"];

    protected override TrainingData Load(CsvConfig config, DataRequest request)
    {
        var csv = config.LabelColumn.Length == 0 ? CsvArrayReader.Read(config.Path)
            : int.TryParse(config.LabelColumn, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var index)
                ? CsvArrayReader.Read(config.Path, index)
                : CsvArrayReader.Read(config.Path, config.LabelColumn);
        return config.Examples(config.Path, csv.Features, csv.Labels, null, null, request);
    }
}
