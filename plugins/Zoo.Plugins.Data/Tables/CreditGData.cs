using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;

namespace Zoo.Plugins.Data.Tables;

[ZooConfig]
public sealed partial record CreditGConfig : TableColumnsConfig;

/// <summary>
/// German credit: credit-g.arff from Debian's weka package, which scripts/setup.sh extracts into data/weka without
/// weka's Java dependencies (ZOO_CREDIT_G overrides; an installed weka package is found too).
/// </summary>
[ZooPlugin("credit-g", Description = "German credit (1000 applicants, 20 attributes; Debian weka's credit-g.arff): label class, sensitive age > 25")]
public sealed partial class CreditGData : DataPlugin<CreditGConfig>
{
    public static string FilePath()
    {
        // A path set on purpose is the one meant: if it is wrong, say so rather than train on the installed copy.
        if (Environment.GetEnvironmentVariable("ZOO_CREDIT_G") is { Length: > 0 } set)
            return InputFile.Require(set, "credit-g ARFF", via: "ZOO_CREDIT_G",
                missing: $"{set} (ZOO_CREDIT_G): no such file; unset ZOO_CREDIT_G to use the installed credit-g.arff");
        string[] candidates = [Path.Combine(DataSources.DataRoot(), "weka", "credit-g.arff"), "/usr/share/doc/weka/examples/credit-g.arff"];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"credit-g data not found at {candidates[0]}: install it with scripts/setup.sh (apt-get download weka)", candidates[0]);
    }

    protected override TrainingData Load(CreditGConfig config, DataRequest request) => config.Rows("credit-g", FilePath(), request);
}
