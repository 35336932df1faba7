using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Plugins.Decoders.Mlp;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Priors.StandardNormal;
using Zoo.Plugins.Vae.WaeMmd;

namespace Zoo.Plugins.Tests;

/// <summary>
/// The WAE-MMD (Tolstikhin et al. 2018): the unbiased MMD and the model's loss recomputed by hand (plain double
/// arithmetic over the networks' outputs and the same draws), and the model trained on a slice of MNIST.
/// </summary>
[Collection("Serial")]
public class WaeMmdTests
{
    private static readonly double[] AuthorsScales = [0.1, 0.2, 0.5, 1, 2, 5, 10];

    private static double Kernel(MmdKernel kernel, double[] x, double[] y, double c)
    {
        double r = 0;
        for (int k = 0; k < x.Length; k++) r += (x[k] - y[k]) * (x[k] - y[k]);
        return AuthorsScales.Sum(s => kernel == MmdKernel.Imq ? s * c / (s * c + r) : Math.Exp(-r / (s * c)));
    }

    /// <summary>Algorithm 2's estimate with explicit loops: each sample's pairs i ≠ j, and every pair across.</summary>
    private static double HandMmd(MmdKernel kernel, double[][] a, double[][] b, double c)
    {
        double Within(double[][] x)
        {
            double sum = 0;
            for (int i = 0; i < x.Length; i++)
                for (int j = 0; j < x.Length; j++)
                    if (i != j) sum += Kernel(kernel, x[i], x[j], c);
            return sum / (x.Length * (x.Length - 1.0));
        }
        double across = 0;
        foreach (var u in a)
            foreach (var v in b) across += Kernel(kernel, u, v, c);
        return Within(a) + Within(b) - 2 * across / (a.Length * b.Length);
    }

    private static double HandSpread(double[][] x)
    {
        double total = 0;
        for (int k = 0; k < x[0].Length; k++)
        {
            double mean = x.Average(row => row[k]);
            total += x.Sum(row => (row[k] - mean) * (row[k] - mean)) / (x.Length - 1);
        }
        return 2 * total;
    }

    private static double[][] Rows(Tensor t)
    {
        var flat = t.to(float64).data<double>();
        long n = t.size(0), d = t.size(1);
        return Enumerable.Range(0, (int)n).Select(i => flat.Skip(i * (int)d).Take((int)d).ToArray()).ToArray();
    }

    [Fact]
    public void The_kernel_scales_are_the_authors()
    {
        Mmd.Scales.ShouldBe(AuthorsScales);
    }

    [Theory]
    [InlineData(MmdKernel.Imq)]
    [InlineData(MmdKernel.Rbf)]
    public void Unbiased_mmd_matches_algorithm_2_by_hand(MmdKernel kernel)
    {
        using var scope = NewDisposeScope();
        // Samples of different sizes, so the two within-sample denominators differ.
        double[][] a = [[0.3, -1.2], [1.5, 0.4], [-0.7, 0.9], [0.1, 0.1]];
        double[][] b = [[-0.2, 0.5], [2.0, -0.3], [0.6, 1.1]];
        double c = 4.0; // 2·d·σ² for d = 2, σ = 1
        var mmd = Mmd.Unbiased(tensor(To2D(a)), tensor(To2D(b)), kernel, scalar_tensor(c, float64)).item<double>();
        mmd.ShouldBe(HandMmd(kernel, a, b, c), 1e-12);
    }

    [Fact]
    public void Unbiased_mmd_of_two_samples_of_one_distribution_averages_zero_and_grows_with_a_shift()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        double same = 0;
        for (int i = 0; i < 200; i++) same += Mmd.Unbiased(randn([20, 3], g), randn([20, 3], g), MmdKernel.Imq, scalar_tensor(6)).item<float>();
        var shifted = Mmd.Unbiased(randn([20, 3], g) + 1.0, randn([20, 3], g), MmdKernel.Imq, scalar_tensor(6)).item<float>();
        // Unbiased: no offset. The V-statistic (each row paired with itself too) would sit near (2·7 − 2·E k)/n ≈ 0.35 here.
        Math.Abs(same / 200).ShouldBeLessThan(0.05);
        shifted.ShouldBeGreaterThan(0.1f);
    }

    [Fact]
    public void The_kernel_scale_is_the_expected_squared_distance_between_prior_draws()
    {
        using var scope = NewDisposeScope();
        double[][] x = [[0.3, -1.2, 2.0], [1.5, 0.4, -0.1], [-0.7, 0.9, 0.0], [0.1, 0.1, 0.3]];
        Mmd.ExpectedSquaredDistance(tensor(To2D(x))).item<double>().ShouldBe(HandSpread(x), 1e-12);
        using var g = new Generator(2);
        Mmd.ExpectedSquaredDistance(randn([20000, 8], g)).item<float>().ShouldBe(16f, 0.2f); // 2·d·σ² for N(0, I)
    }

    private static double[,] To2D(double[][] rows)
    {
        var m = new double[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[0].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    private const int D = 6, Latent = 2, N = 5;
    private const double Lambda = 7;

    private static WassersteinAutoencoder Model(bool deterministic, MmdKernel kernel) => Model(deterministic, kernel, out _);

    private static WassersteinAutoencoder Model(bool deterministic, MmdKernel kernel, out MlpDecoder decoder)
    {
        using var g = new Generator(4);
        decoder = new MlpDecoder(nn.MLP([Latent, 5, D], Activation.Tanh, generator: g));
        var parts = new ComposedParts(new GaussianMlpEncoder(D, [5], Activation.Tanh, Latent, g), decoder, new BernoulliLikelihood(), new StandardNormalPrior());
        var options = new WaeOptions(Lambda, kernel);
        return deterministic ? new WassersteinAutoencoder("wae", parts, Latent, options) : new StochasticWassersteinAutoencoder("wae", parts, Latent, options);
    }

    [Theory]
    [InlineData(true, MmdKernel.Imq)]
    [InlineData(false, MmdKernel.Imq)]
    [InlineData(true, MmdKernel.Rbf)]
    public void The_loss_is_the_reconstruction_cost_plus_lambda_times_the_mmd_to_prior_draws(bool deterministic, MmdKernel kernel)
    {
        using var scope = NewDisposeScope();
        using var model = Model(deterministic, kernel, out var decoder);
        using var xg = new Generator(8);
        var x = bernoulli(full([N, D], 0.4), xg);
        using var g = new Generator(5);
        var terms = model.Loss(x, g);

        // By hand: the same draws in the same order (a code's ε when stochastic, then the prior's n rows).
        using var hg = new Generator(5);
        var q = model.Encode(x);
        var z = deterministic ? q.Mean : q.Mean + (q.LogVar * 0.5).exp() * randn([N, Latent], hg);
        var prior = Rows(randn([N, Latent], hg));
        var logits = Rows(decoder.Decode(z));
        var xs = Rows(x);
        var rec = new double[N];
        for (int i = 0; i < N; i++)
            for (int k = 0; k < D; k++)
            {
                double l = logits[i][k];
                rec[i] += xs[i][k] * l - Math.Log(1 + Math.Exp(l)); // log Bernoulli(x | sigmoid(l))
            }
        double penalty = Lambda * HandMmd(kernel, Rows(z), prior, HandSpread(prior));

        var got = Rows(stack([terms.Reconstruction, terms.Kl, terms.Elbo], 1));
        for (int i = 0; i < N; i++)
        {
            got[i][0].ShouldBe(rec[i], 1e-4);
            got[i][1].ShouldBe(penalty, 1e-4); // the batch's penalty, spread per example
            got[i][2].ShouldBe(rec[i] - penalty, 1e-4);
        }
        ((double)terms.Loss.item<float>()).ShouldBe(-rec.Average() + penalty, 1e-4);
        Math.Abs(penalty).ShouldBeGreaterThan(0.01); // the penalty is present in the figures checked (unbiased, it may be negative)
        model.Bound.ShouldBe("wae_mmd");
        model.Penalty.ShouldBe("MMD"); // epoch lines say "rec …, MMD …", not KL
    }

    [Fact]
    public void Only_the_stochastic_encoder_makes_the_model_importance_sampled()
    {
        using var deterministic = Model(true, MmdKernel.Imq);
        using var stochastic = Model(false, MmdKernel.Imq);
        (deterministic is IImportanceSampled).ShouldBeFalse();
        (stochastic is IImportanceSampled).ShouldBeTrue();
    }

    [Fact]
    public void A_batch_of_one_row_pays_no_penalty()
    {
        using var scope = NewDisposeScope();
        using var model = Model(true, MmdKernel.Imq);
        using var g = new Generator(1);
        var terms = model.Loss(full([1, D], 1.0), g);
        terms.Kl.item<float>().ShouldBe(0f);
        terms.Loss.item<float>().ShouldBe(-terms.Reconstruction.item<float>(), 1e-5);
    }

    [Fact]
    public void The_wae_mmd_keeps_the_plugin_contract_with_either_encoder()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var plugin = catalog.Model("wae-mmd");
        PluginContract.Problem(plugin, catalog).ShouldBeNull();
        plugin.Description.ShouldContain("Tolstikhin");
        // The contract binds the defaults; the stochastic encoder is checked through the same calls.
        var config = catalog.SmallRun("wae-mmd", "deterministic=false").ModelConfig;
        using var g = new Generator(0);
        using var model = plugin.Create(config, new DataShape(784, 28, 28, 10), g);
        model.ShouldBeOfType<StochasticWassersteinAutoencoder>();
    }

    [Fact]
    public void The_memory_estimate_measures_the_wae_mmd_on_the_meta_device()
    {
        // The penalty reads no values back (C stays a tensor), so the run is measured before it starts, not left unchecked.
        using var sp = Zoo.Services();
        var run = sp.Catalog().SmallRun("wae-mmd");
        using var data = run.LoadData();
        var estimate = MemoryEstimate.ForTraining(run.Model.Name, g => run.CreateModel(data.Shape, g), run, data).ShouldNotBeNull();
        estimate.Parameters.ShouldBeGreaterThan(0);
        estimate.Activations.ShouldBeGreaterThan(0);
    }

    /// <summary>The unbiased MMD between the trained model's codes of the test split and as many prior draws, at the prior's C.</summary>
    private static double TestCodeMmd(string dir, PluginCatalog catalog)
    {
        using var run = TrainedRun.Open(dir, catalog);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var codes = run.Model.Encode(run.Data.Test).Mean;
        using var g = new Generator(3);
        var prior = randn(codes.shape, g);
        return Mmd.Unbiased(codes, prior, MmdKernel.Imq, Mmd.ExpectedSquaredDistance(prior)).item<float>();
    }

    [Fact]
    public void A_wae_mmd_trains_on_an_mnist_slice_and_its_penalty_pulls_the_codes_to_the_prior()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var (penalised, free) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            var metrics = catalog.SmallRun("wae-mmd").Train(penalised, false, []).Metrics;
            metrics.Count.ShouldBe(3);
            metrics.ShouldAllBe(m => m.Bound == "wae_mmd" && m.Penalty == "MMD" && double.IsFinite(m.TestElbo) && m.TestKl > -0.1);
            metrics[2].TestElbo.ShouldBeGreaterThan(metrics[0].TestElbo + 5);
            metrics[2].TestReconstruction.ShouldBeGreaterThan(metrics[0].TestReconstruction);

            // Without the penalty (λ = 0) the codes go where reconstruction puts them; with it they match the prior.
            catalog.SmallRun("wae-mmd", "lambda=0").Train(free, false, []);
            var (withPenalty, without) = (TestCodeMmd(penalised, catalog), TestCodeMmd(free, catalog));
            withPenalty.ShouldBeLessThan(without / 3, $"MMD of test codes to N(0, I): λ = 10 {withPenalty:F4}, λ = 0 {without:F4}");
        }
        finally
        {
            Directory.Delete(penalised, true);
            Directory.Delete(free, true);
        }
    }
}
