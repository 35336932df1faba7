using System.ComponentModel;
using Zoo.Core.Configuration;
using Zoo.Core.Data.Arrays;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Data.Mat;

/// <summary>Which way a MATLAB matrix holds its examples: one per row (N×D) or one per column (D×N, as Frey faces' ff).</summary>
public enum MatExamples { Rows, Columns }

[ZooConfig]
public sealed partial record MatConfig : ArrayFileConfig
{
    [Description("the variable holding the examples (empty = the file's only variable)")]
    public string Variable { get; init; } = "";

    [Description("rows: one example per row (N×D, or N×H×W); columns: one per column (D×N, as MATLAB data sets such as Frey faces' ff are stored)")]
    public MatExamples Orientation { get; init; } = MatExamples.Rows;

    [Description("the variable of integer labels (N values), used when given")]
    public string LabelsVariable { get; init; } = "";
}

/// <summary>A user's MATLAB matrices: `dataset=frey_rawface.mat dataset.orientation=columns dataset.height=28` picks it.</summary>
[ZooPlugin("mat", Description = "a user's MATLAB 5 .mat file (v5/v6/v7, compressed or not): a real numeric matrix of examples, uint8 pixels or floats; labels optional")]
public sealed partial class MatData : DataPlugin<MatConfig>
{
    public override IReadOnlyList<string> FileExtensions => [".mat"];

    protected override TrainingData Load(MatConfig config, DataRequest request)
    {
        var path = config.Path;
        var name = config.Variable;
        if (name.Length == 0)
        {
            var names = MatReader.Names(path);
            name = names.Count == 1 ? names[0]
                : throw new ArrayFormatException(path, $"holds {(names.Count == 0 ? "no variables" : string.Join(", ", names))}; choose one with dataset.variable=NAME");
        }
        var x = MatReader.Read(path, name);
        if (config.Orientation == MatExamples.Columns) x = Transposed(x, $"{path}[{name}]");
        long[]? labels = config.LabelsVariable.Length == 0 ? null : MatReader.Read(path, config.LabelsVariable).AsLabels($"{path}[{config.LabelsVariable}]");
        return config.Examples(path, x, labels, null, null, request);
    }

    /// <summary>D×N to N×D.</summary>
    private static NumericArray Transposed(NumericArray a, string source)
    {
        if (a.Shape is not [var d, var n])
            throw new ArrayFormatException(source, $"orientation=columns needs a 2-D matrix (D×N), found {NumericArray.FormatShape(a.Shape)}");
        var t = new float[a.Values.Length];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < n; j++) t[(long)j * d + i] = a.Values[(long)i * n + j];
        return a with { Shape = [n, d], Values = t };
    }
}
