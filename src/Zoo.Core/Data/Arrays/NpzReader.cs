using System.IO.Compression;
using Zoo.Torch;

namespace Zoo.Core.Data.Arrays;

/// <summary>
/// Reads NumPy .npz archives (np.savez, stored; np.savez_compressed, deflated): a zip of .npy members, each named by
/// the keyword it was saved under. Members are read one at a time, straight from the archive.
/// </summary>
public sealed class NpzReader : IDisposable
{
    private readonly ZipArchive zip;
    private readonly Dictionary<string, ZipArchiveEntry> members = new(StringComparer.Ordinal);

    private NpzReader(string path, ZipArchive zip)
    {
        Path = path;
        this.zip = zip;
        foreach (var e in zip.Entries)
            if (e.FullName.Length > 0 && !e.FullName.EndsWith('/'))
                members[e.FullName.EndsWith(".npy", StringComparison.Ordinal) ? e.FullName[..^4] : e.FullName] = e;
        Names = [.. members.Keys];
    }

    public string Path { get; }

    /// <summary>The arrays' names, in archive order, without the ".npy" suffix (np.savez(f, x=..., labels=...) gives x, labels).</summary>
    public IReadOnlyList<string> Names { get; }

    public static NpzReader Open(string path)
    {
        InputFile.Require(path, "NumPy .npz");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try { return new NpzReader(path, new ZipArchive(file, ZipArchiveMode.Read)); }
        catch (InvalidDataException e)
        {
            file.Dispose();
            throw new ArrayFormatException(path, $"not a valid .npz (zip) archive: {e.Message}");
        }
    }

    /// <summary>Opens <paramref name="path"/>, reads the array <paramref name="name"/>, and closes it.</summary>
    public static NumericArray Read(string path, string name)
    {
        using var npz = Open(path);
        return npz.Read(name);
    }

    public bool Contains(string name) => members.ContainsKey(name);

    public NumericArray Read(string name)
    {
        if (!members.TryGetValue(name, out var entry))
        {
            var held = Names.Count == 0 ? "it holds no arrays" : "it holds " + string.Join(", ", Names.Select(n => Excerpt.Quote(n)));
            throw new ArrayFormatException(Path, $"no array {Excerpt.Quote(name)} in the archive; {held}");
        }
        var source = $"{Path}[{name}]";
        try
        {
            using var stream = entry.Open();
            return NpyReader.Read(stream, source, entry.Length);
        }
        catch (InvalidDataException e)
        {
            // The zip layer's own complaint (a bad deflate stream, a CRC mismatch): ours are ArrayFormatExceptions.
            throw new ArrayFormatException(source, $"damaged archive member: {e.Message}");
        }
    }

    public void Dispose() => zip.Dispose();
}
