using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Plugins.Likelihoods.Bernoulli;

namespace Zoo.Plugins.Tests;

/// <summary>
/// PluginContract, what `zoo plugins install` checks beyond the compiler: every built-in plugin keeps its family's
/// contract, and a plugin that gives the wrong shape, a non-scalar loss or throws is named with what it gave.
/// </summary>
[Collection("Serial")]
public class PluginContractTests
{
    private sealed class FakeLikelihood(string name, Func<Tensor, Tensor, Tensor> logProb) : ILikelihoodPlugin, ILikelihood
    {
        public PluginKind Kind => PluginKind.Likelihood;
        public string Name => name;
        public string Description => "a likelihood with a planted mistake";
        public IConfigSchema Config => NoConfig.Schema;
        public ILikelihood Create(object config) => this;
        public int OutputsPerDimension => 1;
        public Tensor LogProb(Tensor output, Tensor x) => logProb(output, x);
        public Tensor Mean(Tensor output) => output.sigmoid();
        public Tensor Sample(Tensor output, Generator g) => new BernoulliLikelihood().Sample(output, g);
    }

    [Fact]
    public void Every_built_in_plugin_keeps_its_contract()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        foreach (var plugin in catalog.All) PluginContract.Problem(plugin, catalog).ShouldBeNull(plugin.Name);
    }

    [Fact]
    public void A_log_density_not_summed_over_dimensions_is_named_with_its_shape()
    {
        using var sp = Zoo.Services();
        var plugin = new FakeLikelihood("unsummed", (o, x) => new BernoulliLikelihood().LogProb(o, x).unsqueeze(1).expand(8, 16).contiguous());
        PluginContract.Problem(plugin, sp.Catalog()).ShouldBe("likelihood unsummed: LogProb gave shape [8, 16] for 8 rows; expected [8]");
    }

    [Fact]
    public void A_plugin_that_throws_is_named_with_the_exception_and_its_frame()
    {
        using var sp = Zoo.Services();
        var plugin = new FakeLikelihood("throws", (o, x) => throw new NullReferenceException("Object reference not set to an instance of an object."));
        PluginContract.Problem(plugin, sp.Catalog()).ShouldStartWith(
            "likelihood throws: NullReferenceException: Object reference not set to an instance of an object. (at Zoo.Plugins.Tests.PluginContractTests");
    }

    [Fact]
    public void Non_finite_values_are_refused()
    {
        using var sp = Zoo.Services();
        var plugin = new FakeLikelihood("nan", (o, x) => o.sum(-1) * double.NaN);
        PluginContract.Problem(plugin, sp.Catalog()).ShouldBe("likelihood nan: LogProb gave non-finite values");
    }
}
