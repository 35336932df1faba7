using Zoo.Torch.Distributed;

namespace Zoo.Torch.Tests;

/// <summary>The launch environment: torchrun's variables, Slurm's mapped onto them, and a world of one trains alone.</summary>
public class LaunchSettingsTests
{
    private static LaunchSettings? Read(params (string Name, string Value)[] env) =>
        LaunchSettings.FromEnvironment(name => env.FirstOrDefault(e => e.Name == name).Value);

    [Fact]
    public void Torchrun_s_variables_name_the_rank_the_world_and_the_rendezvous()
    {
        var s = Read(("MASTER_ADDR", "10.0.0.5"), ("MASTER_PORT", "29400"), ("RANK", "3"), ("WORLD_SIZE", "4"), ("LOCAL_RANK", "1"))!;
        (s.MasterAddr, s.MasterPort, s.Rank, s.WorldSize, s.LocalRank, s.Launcher, s.AgentStore).ShouldBe(("10.0.0.5", 29400, 3, 4, 1, "torchrun", false));
        s.Timeout.ShouldBe(LaunchSettings.DefaultTimeout);

        // Under torchrun's elastic agent the store is the agent's, and each restart's keys are its own.
        var agent = Read(("MASTER_ADDR", "h"), ("MASTER_PORT", "1"), ("RANK", "0"), ("WORLD_SIZE", "2"),
            ("TORCHELASTIC_USE_AGENT_STORE", "True"), ("TORCHELASTIC_RUN_ID", "job7"), ("TORCHELASTIC_RESTART_COUNT", "2"), ("ZOO_DIST_TIMEOUT", "7.5"))!;
        (agent.AgentStore, agent.KeyPrefix, agent.Timeout).ShouldBe((true, "zoo/job7/2/", TimeSpan.FromSeconds(7.5)));
    }

    [Fact]
    public void Slurm_s_variables_map_onto_the_same_contract()
    {
        var s = Read(("SLURM_PROCID", "5"), ("SLURM_NTASKS", "8"), ("SLURM_LOCALID", "1"), ("SLURM_JOB_NODELIST", "cn[012-015]"))!;
        (s.MasterAddr, s.MasterPort, s.Rank, s.WorldSize, s.LocalRank, s.Launcher).ShouldBe(("cn012", LaunchSettings.DefaultPort, 5, 8, 1, "Slurm"));
        // torchrun's variables win, and a world of one is a single process.
        Read(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "8"), ("SLURM_JOB_NODELIST", "a"), ("WORLD_SIZE", "1"), ("RANK", "0")).ShouldBeNull();
        Read(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "1"), ("SLURM_JOB_NODELIST", "a")).ShouldBeNull();
        Read().ShouldBeNull();
    }

    [Theory]
    [InlineData("RANK=2 WORLD_SIZE=2 MASTER_ADDR=h MASTER_PORT=1", "RANK = 2 must be less than WORLD_SIZE = 2 (ranks count from 0)")]
    [InlineData("RANK=0 WORLD_SIZE=2 MASTER_ADDR=h MASTER_PORT=70000", "MASTER_PORT = '70000' must be a whole number in [1, 65535]")]
    [InlineData("RANK=0 WORLD_SIZE=2 MASTER_ADDR=h", "WORLD_SIZE = 2 but MASTER_PORT is not set")]
    [InlineData("RANK=1", "RANK = 1 is set but WORLD_SIZE is not")]
    [InlineData("WORLD_SIZE=two RANK=0", "WORLD_SIZE = 'two' must be a whole number")]
    [InlineData("RANK=0 WORLD_SIZE=2 MASTER_ADDR=h MASTER_PORT=1 ZOO_DIST_TIMEOUT=0", "ZOO_DIST_TIMEOUT = '0' must be a number of seconds")]
    public void Bad_settings_name_the_variable(string env, string message)
    {
        var pairs = env.Split(' ').Select(kv => kv.Split('=')).Select(kv => (kv[0], kv[1])).ToArray();
        Should.Throw<ArgumentException>(() => Read(pairs)).Message.ShouldContain(message);
    }
}
