using Zoo.Core.Imaging;
using Zoo.Hosting.Jobs;

namespace Zoo.Web.Api;

/// <summary>
/// The files of a run that the API serves, and only from inside that run's folder in the home: the id must be a job id
/// (no separators, no ".."), the relative path must stay inside the folder once resolved, no part of it may be a link
/// (a link could point anywhere), and only results are served (pictures, CSV, JSON, text), never a checkpoint.
/// </summary>
public static class RunFiles
{
    public static readonly IReadOnlyDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png", [".csv"] = "text/csv; charset=utf-8", [".json"] = "application/json; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8", [".md"] = "text/markdown; charset=utf-8",
    };

    /// <summary>The full path of <paramref name="relative"/> in job <paramref name="id"/>'s run folder, or null with why not.</summary>
    public static string? Resolve(JobStore store, string id, string relative, out string? refusal)
    {
        refusal = null;
        if (!JobStore.IsValidId(id)) { refusal = $"'{id}' is not a job id"; return null; }
        var root = Path.GetFullPath(store.RunDir(id));
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            refusal = $"'{relative}' is outside the run folder";
            return null;
        }
        if (!ContentTypes.ContainsKey(Path.GetExtension(full)) || relative.Split('/', '\\').Any(p => p.StartsWith("checkpoint", StringComparison.Ordinal)))
        {
            refusal = $"'{relative}' is not a result file (served: {string.Join(", ", ContentTypes.Keys)}; checkpoints are not)";
            return null;
        }
        for (var p = full; p.Length > root.Length; p = Path.GetDirectoryName(p)!)
            if (new FileInfo(p) is { Exists: true, LinkTarget: not null } || new DirectoryInfo(p) is { Exists: true, LinkTarget: not null })
            {
                refusal = $"'{relative}' goes through a link";
                return null;
            }
        return full;
    }

    /// <summary>A run's pictures: the final ones in the folder, and each epoch's in epochs/N/ (see <see cref="RunPictures.WriteEpoch"/>).</summary>
    public static PicturesView Pictures(JobStore store, string id)
    {
        var dir = store.RunDir(id);
        var final = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.png").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
        var epochsDir = Path.Combine(dir, RunPictures.EpochsFolder);
        var epochs = Directory.Exists(epochsDir)
            ? Directory.GetDirectories(epochsDir)
                .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d), out var n), Epoch: n))
                .Where(e => e.Ok)
                .OrderBy(e => e.Epoch)
                .Select(e => new EpochPictures(e.Epoch, Directory.GetFiles(e.Dir, "*.png")
                    .Select(f => $"{RunPictures.EpochsFolder}/{e.Epoch}/{Path.GetFileName(f)}").Order(StringComparer.Ordinal).ToList()))
                .Where(e => e.Files.Count > 0)
                .ToList()
            : [];
        return new PicturesView(final, epochs);
    }
}

public sealed record EpochPictures(int Epoch, IReadOnlyList<string> Files);

/// <summary>Paths relative to the run folder, to fetch from /api/jobs/ID/files/PATH.</summary>
public sealed record PicturesView(IReadOnlyList<string> Final, IReadOnlyList<EpochPictures> Epochs);
