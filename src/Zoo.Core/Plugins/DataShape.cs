namespace Zoo.Core.Plugins;

/// <summary>
/// The size of one input and how many classes its labels have (for plots). For a table, <see cref="Table"/> says how
/// its packed rows are laid out, so a model sizes its networks without reading the file again.
/// </summary>
public sealed record DataShape(int Dimensions, int Height, int Width, int Classes)
{
    public Data.Tabular.TabularLayout? Table { get; init; }

    /// <summary>Channels per pixel (1 for grey images): an input is Channels × Height × Width values, channel by channel.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Whether an input is a picture (Channels × Height × Width = Dimensions), which a convolutional network can read.</summary>
    public bool IsImage => Table is null && Height > 1 && Width > 1 && Channels * Height * Width == Dimensions;

    /// <summary>
    /// The picture an input is: the input itself for image sets; for image rows (the VFAE on MNIST) the picture in
    /// their first columns. A table's rows are no pictures, which is the error.
    /// </summary>
    public DataShape Pictured() => Table switch
    {
        null => this,
        { Picture: { } p } => new DataShape(p.Height * p.Width, p.Height, p.Width, Classes),
        _ => throw new ArgumentException("this run's data is a table: its rows are not pictures"),
    };
}
