using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>
/// A run's checkpoint folder: model.safetensors, optimizer.safetensors and state.json (model name, config, epoch,
/// generator state, metrics so far). Written into a fresh sibling folder that then replaces the old one by
/// renames, so a reader (or a crash at any point) sees either the previous complete checkpoint or the new one.
/// A data-parallel run also records its world size (it resumes only with as many ranks) and each rank's noise
/// generator (<paramref name="RankGenerators"/>, in rank order); <paramref name="GeneratorState"/> is then the stream
/// every rank shares (initialisation and shuffles).
/// </summary>
public sealed record CheckpointState(string Model, string ConfigJson, int Epoch, byte[] GeneratorState, IReadOnlyList<EpochMetrics> Metrics,
    PartialEpoch? Partial = null, int WorldSize = 1, IReadOnlyList<byte[]>? RankGenerators = null)
{
    public const string Folder = "checkpoint";

    public static string ModelPath(string dir) => Path.Combine(dir, "model.safetensors");
    public static string OptimizerPath(string dir) => Path.Combine(dir, "optimizer.safetensors");
    public static string StatePath(string dir) => Path.Combine(dir, "state.json");

    /// <summary>
    /// Writes the checkpoint of <paramref name="runDir"/> atomically (see the type's summary) into <paramref name="folder"/>
    /// (the last epoch's, or the best one's: <see cref="Selection.BestFolder"/>, without optimizer).
    /// </summary>
    public void Save(string runDir, nn.Module model, Zoo.Torch.Modules.Adam? optimizer, string folder = Folder)
    {
        var final = Path.Combine(runDir, folder);
        var tmp = StaleTemps.TempPath(final);
        var old = Path.Combine(runDir, $"{folder}.old");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        try { Write(tmp, model, optimizer); }
        catch
        {
            // A full disk leaves the previous checkpoint as it was and no half-written folder beside it.
            try { Directory.Delete(tmp, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(final)) Directory.Move(final, old);
        Directory.Move(tmp, final);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    private void Write(string tmp, nn.Module model, Zoo.Torch.Modules.Adam? optimizer)
    {
        Directory.CreateDirectory(tmp);
        model.save(ModelPath(tmp), new Dictionary<string, string> { ["model"] = Model, ["epoch"] = Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        optimizer?.save(OptimizerPath(tmp));
        File.WriteAllText(StatePath(tmp), ToJson());
    }

    /// <summary>state.json's text.</summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["model"] = Model,
            ["epoch"] = Epoch,
            ["config"] = JsonNode.Parse(ConfigJson),
            ["generator"] = Convert.ToBase64String(GeneratorState),
            ["metrics"] = new JsonArray(Metrics.Select(m => (JsonNode)JsonSerializer.SerializeToNode(m)!).ToArray()),
        };
        if (Partial is not null) json["partial"] = JsonSerializer.SerializeToNode(Partial);
        json["world_size"] = WorldSize;
        if (RankGenerators is not null) json["rank_generators"] = new JsonArray(RankGenerators.Select(g => (JsonNode)Convert.ToBase64String(g)).ToArray());
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The checkpoint folder of a run: checkpoint/, or checkpoint.old/ if a crash came between the two renames.</summary>
    public static string Locate(string runDir)
    {
        foreach (var name in new[] { Folder, $"{Folder}.old" })
        {
            var dir = Path.Combine(runDir, name);
            if (File.Exists(StatePath(dir))) return dir;
        }
        throw new FileNotFoundException($"no checkpoint in {runDir}: expected {Path.Combine(runDir, Folder, "state.json")} (train a model there first)");
    }

    /// <summary>Reads state.json of a checkpoint folder, with a one-line error naming the file and problem.</summary>
    public static CheckpointState Load(string checkpointDir)
    {
        var path = StatePath(checkpointDir);
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Parses state.json's text (<paramref name="source"/> names it in errors).</summary>
    public static CheckpointState FromJson(string text, string source)
    {
        try
        {
            var json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("expected a JSON object");
            string Str(string key) => json[key]?.GetValue<string>() ?? throw new InvalidDataException($"missing key '{key}'");
            var metrics = (json["metrics"] as JsonArray ?? throw new InvalidDataException("missing key 'metrics'"))
                .Select(m => m.Deserialize<EpochMetrics>() ?? throw new InvalidDataException("null metrics row")).ToList();
            return new CheckpointState(Str("model"), json["config"]?.ToJsonString() ?? throw new InvalidDataException("missing key 'config'"),
                json["epoch"]?.GetValue<int>() ?? throw new InvalidDataException("missing key 'epoch'"),
                Convert.FromBase64String(Str("generator")), metrics, json["partial"]?.Deserialize<PartialEpoch>(),
                json["world_size"]?.GetValue<int>() ?? 1, // checkpoints from before data-parallel training: one process
                (json["rank_generators"] as JsonArray)?.Select(g => Convert.FromBase64String(g?.GetValue<string>() ?? "")).ToList());
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: malformed checkpoint state ({e.Message})");
        }
    }
}

/// <summary>
/// An epoch stopped at a batch boundary (graceful shutdown): the epoch, the batches done, the generator state the
/// epoch started with (it redraws the same shuffle) and the running sums, so a resume finishes the epoch exactly
/// as an uninterrupted run would. The checkpoint's generator state is then the one after the last batch done.
/// <paramref name="Bound"/> is the sum of the model's bound (null in checkpoints from before it was kept: there it is the ELBO, reconstruction − KL).
/// </summary>
public sealed record PartialEpoch(int Epoch, int BatchesDone, byte[] EpochStartGenerator, double Loss, double Reconstruction, double Kl, double TrainSeconds,
    double? Bound = null);

/// <summary>Training stopped on request at a batch boundary after checkpointing; resuming continues from that batch.</summary>
public sealed class TrainingInterruptedException(string message, CancellationToken token) : OperationCanceledException(message, token);
