using System.Globalization;

namespace Zoo.Torch.Distributed;

/// <summary>
/// Where this process stands in a data-parallel run, read from the environment its launcher set: torchrun's
/// contract (<c>MASTER_ADDR</c>, <c>MASTER_PORT</c>, <c>RANK</c>, <c>WORLD_SIZE</c>, <c>LOCAL_RANK</c>; also what
/// Kubeflow's PyTorchJob and <c>zoo launch</c> set) or, when that is absent, Slurm's (<c>SLURM_PROCID</c>,
/// <c>SLURM_NTASKS</c>, <c>SLURM_LOCALID</c>, the first host of <c>SLURM_JOB_NODELIST</c>). <c>ZOO_DIST_TIMEOUT</c>
/// (seconds) bounds every rendezvous and collective.
/// </summary>
public sealed record LaunchSettings(string MasterAddr, int MasterPort, int Rank, int WorldSize, int LocalRank, TimeSpan Timeout, string Launcher)
{
    /// <summary>
    /// torchrun's agent already serves a TCPStore at MASTER_ADDR:MASTER_PORT (it says so with
    /// <c>TORCHELASTIC_USE_AGENT_STORE=True</c>): every rank joins it as a client.
    /// </summary>
    public bool AgentStore { get; init; }

    /// <summary>Where this attempt's keys live in the store: a restarted torchrun attempt must not read the last one's.</summary>
    public string KeyPrefix { get; init; } = "zoo/";

    /// <summary>torch.distributed's default rendezvous port, used when a Slurm job sets no MASTER_PORT.</summary>
    public const int DefaultPort = 29500;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(300);

    public const string TimeoutVariable = "ZOO_DIST_TIMEOUT";

    /// <summary>
    /// The run's settings, or null for a single process (no launcher variables, or a world of one). Bad settings
    /// (RANK ≥ WORLD_SIZE, a missing MASTER_ADDR, a port out of range) throw an <see cref="ArgumentException"/> naming the variable.
    /// </summary>
    public static LaunchSettings? FromEnvironment(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        string? Get(string name) => env(name) is { Length: > 0 } v ? v.Trim() : null;
        int Int(string name, string value, int min, int max) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
                : throw new ArgumentException($"{name} = '{value}' must be a whole number in [{min}, {max}]");

        string launcher;
        int rank, world, localRank;
        string? addr = Get("MASTER_ADDR");
        string? portText = Get("MASTER_PORT");
        if (Get("WORLD_SIZE") is { } worldText)
        {
            launcher = "torchrun";
            world = Int("WORLD_SIZE", worldText, 1, 65535);
            rank = Get("RANK") is { } r ? Int("RANK", r, 0, int.MaxValue)
                : throw new ArgumentException($"WORLD_SIZE = {world} is set but RANK is not (set both, as torchrun does)");
            localRank = Get("LOCAL_RANK") is { } l ? Int("LOCAL_RANK", l, 0, int.MaxValue) : rank;
        }
        else if (Get("SLURM_NTASKS") is { } tasks && Get("SLURM_PROCID") is { } procId)
        {
            launcher = "Slurm";
            world = Int("SLURM_NTASKS", tasks, 1, 65535);
            rank = Int("SLURM_PROCID", procId, 0, int.MaxValue);
            localRank = Get("SLURM_LOCALID") is { } l ? Int("SLURM_LOCALID", l, 0, int.MaxValue) : 0;
            addr ??= Get("SLURM_JOB_NODELIST") is { } nodes ? FirstSlurmHost(nodes) : null;
            portText ??= DefaultPort.ToString(CultureInfo.InvariantCulture);
        }
        else if (Get("RANK") is { } loneRank)
            throw new ArgumentException($"RANK = {loneRank} is set but WORLD_SIZE is not (set both, as torchrun does)");
        else return null;

        var rankName = launcher == "Slurm" ? "SLURM_PROCID" : "RANK";
        var worldName = launcher == "Slurm" ? "SLURM_NTASKS" : "WORLD_SIZE";
        if (rank >= world)
            throw new ArgumentException($"{rankName} = {rank} must be less than {worldName} = {world} (ranks count from 0)");
        if (world == 1) return null;
        if (addr is null)
            throw new ArgumentException($"{worldName} = {world} but MASTER_ADDR is not set: give the address of rank 0's machine");
        if (portText is null)
            throw new ArgumentException($"{worldName} = {world} but MASTER_PORT is not set: give a free TCP port on rank 0's machine");
        var port = Int("MASTER_PORT", portText, 1, 65535);
        var timeout = DefaultTimeout;
        if (Get(TimeoutVariable) is { } t)
            timeout = double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 86400
                ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"{TimeoutVariable} = '{t}' must be a number of seconds in (0, 86400]");
        return new LaunchSettings(addr, port, rank, world, localRank, timeout, launcher)
        {
            AgentStore = string.Equals(Get("TORCHELASTIC_USE_AGENT_STORE"), "true", StringComparison.OrdinalIgnoreCase),
            KeyPrefix = $"zoo/{Get("TORCHELASTIC_RUN_ID") ?? "run"}/{Get("TORCHELASTIC_RESTART_COUNT") ?? "0"}/",
        };
    }

    /// <summary>A TCP port free on loopback now (the OS's pick), as torchrun --standalone takes one.</summary>
    public static int FreeLoopbackPort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// The first host of a Slurm node list in its compressed form: <c>node[03-05,9],gpu1</c> → <c>node03</c>,
    /// <c>a1,a2</c> → <c>a1</c>.
    /// </summary>
    public static string FirstSlurmHost(string nodeList)
    {
        var open = nodeList.IndexOf('[');
        var comma = nodeList.IndexOf(',');
        if (open < 0 || (comma >= 0 && comma < open)) return comma < 0 ? nodeList : nodeList[..comma];
        var close = nodeList.IndexOf(']', open);
        if (close < 0) throw new ArgumentException($"SLURM_JOB_NODELIST = '{nodeList}': unclosed '['");
        var first = nodeList[(open + 1)..close].Split(',')[0].Split('-')[0];
        return nodeList[..open] + first;
    }
}
