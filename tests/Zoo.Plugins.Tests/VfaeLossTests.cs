using Zoo.Core.Data.Tabular;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Plugins.Decoders.Mlp;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Likelihoods.Gaussian;
using Zoo.Plugins.Priors.StandardNormal;
using Zoo.Plugins.Vfae.Vfae;

namespace Zoo.Plugins.Tests;

/// <summary>
/// The VFAE's objective recomputed by hand (plain double arithmetic over the networks' outputs and the same
/// standard-normal draws) on a tiny batch with labelled and unlabelled rows.
/// </summary>
[Collection("Serial")]
public class VfaeLossTests
{
    private const int D1 = 3, D2 = 2, K = 2, N = 4;
    private const double Alpha = 7, Beta = 3, MinVariance = 1e-3;

    // Rows [binary x (2) | continuous x (1) | one-hot s (2) | one-hot y (2) | labelled]: two labelled, two not.
    private static readonly float[,] Rows =
    {
        { 1, 0, 0.7f, 1, 0, 0, 1, 1 },
        { 0, 1, -1.2f, 0, 1, 1, 0, 1 },
        { 1, 1, 0.1f, 0, 1, 0, 1, 0 },
        { 0, 0, 2.0f, 1, 0, 1, 0, 0 },
    };

    private static double[][] Matrix(Tensor t)
    {
        var v = t.data<float>();
        long cols = t.size(1);
        return Enumerable.Range(0, (int)t.size(0)).Select(r => Enumerable.Range(0, (int)cols).Select(c => (double)v[r * cols + c]).ToArray()).ToArray();
    }

    private static Tensor Tensor(double[][] m) =>
        tensor(m.SelectMany(r => r.Select(x => (float)x)).ToArray(), [m.Length, m[0].Length]);

    private static double[] Cat(params double[][] parts) => parts.SelectMany(p => p).ToArray();

    private static (double[] Mean, double[] LogVar) Gaussian(IEncoder encoder, double[] input)
    {
        using var x = Tensor([input]);
        var q = encoder.Encode(x);
        using (q.Mean) using (q.LogVar) return (Matrix(q.Mean)[0], Matrix(q.LogVar)[0]);
    }

    private static double[] Forward(nn.Module<Tensor, Tensor> net, double[] input)
    {
        using var x = Tensor([input]);
        using var y = net.forward(x);
        return Matrix(y)[0];
    }

    private static double KlGaussians(double[] mq, double[] lq, double[] mp, double[] lp) =>
        0.5 * Enumerable.Range(0, mq.Length).Sum(j => lp[j] - lq[j] + (Math.Exp(lq[j]) + (mq[j] - mp[j]) * (mq[j] - mp[j])) / Math.Exp(lp[j]) - 1);

    private static double LogSigmoid(double o) => o >= 0 ? -Math.Log(1 + Math.Exp(-o)) : o - Math.Log(1 + Math.Exp(o));

    [Fact]
    public void The_loss_on_a_tiny_batch_matches_a_hand_computation_labelled_and_unlabelled()
    {
        var parts = Build(5, rffFeatures: 0);
        using var model = parts.Model;
        var (q1, q2, p1, classifier, xDecoder) = (parts.Q1, parts.Q2, parts.P1, parts.Classifier, parts.XNetwork);

        using var rows = tensor(Rows);
        using var draws = new Generator(11);
        double loss;
        float[] elbo;
        using (NewDisposeScope())  // the loss's intermediates too, so none is left to a finalizer
        {
            var terms = model.Loss(rows, draws);
            loss = terms.Loss.item<float>();
            elbo = terms.Elbo.data<float>().ToArray();
        }

        // The same draws in the order the loss takes them: z1, then z2 per row, then z2 per (class, row).
        using var replay = new Generator(11);
        double[][] eps1, eps2, eps3;
        using (var e = randn([N, D1], replay)) eps1 = Matrix(e);
        using (var e = randn([N, D2], replay)) eps2 = Matrix(e);
        using (var e = randn([K * N, D2], replay)) eps3 = Matrix(e);

        var r = Matrix(rows);
        var bounds = new double[N];
        var means = new double[N][];
        double classification = 0;
        for (int i = 0; i < N; i++)
        {
            double[] x = r[i][..3], s = r[i][3..5], y = r[i][5..7];
            bool labelled = r[i][7] > 0.5;
            var (m1, l1) = Gaussian(q1, Cat(x, s));
            means[i] = m1;
            var z1 = Enumerable.Range(0, D1).Select(j => m1[j] + Math.Exp(0.5 * l1[j]) * eps1[i][j]).ToArray();

            // log p(x | z1, s): Bernoulli on the two binary features, Gaussian (floored log-variance) on the third.
            var o = Forward(xDecoder, Cat(z1, s));
            double rec = x[0] * LogSigmoid(o[0]) + (1 - x[0]) * LogSigmoid(-o[0]) + x[1] * LogSigmoid(o[1]) + (1 - x[1]) * LogSigmoid(-o[1]);
            double m = Math.Log(MinVariance), logVar = m + Math.Log(1 + Math.Exp(o[3] - m));
            rec += -0.5 * (Math.Log(2 * Math.PI) + logVar + (x[2] - o[2]) * (x[2] - o[2]) / Math.Exp(logVar));

            // KL(q(z1|x,s) ‖ p(z1|z2,y)) + KL(q(z2|z1,y) ‖ N(0, I)) − log p(y), p(y) uniform over K classes.
            double Cost(double[] yk, double[] eps)
            {
                var (m2, l2) = Gaussian(q2, Cat(z1, yk));
                var z2 = Enumerable.Range(0, D2).Select(j => m2[j] + Math.Exp(0.5 * l2[j]) * eps[j]).ToArray();
                var (mp, lp) = Gaussian(p1, Cat(z2, yk));
                double kl2 = 0.5 * Enumerable.Range(0, D2).Sum(j => m2[j] * m2[j] + Math.Exp(l2[j]) - l2[j] - 1);
                return KlGaussians(m1, l1, mp, lp) + kl2 + Math.Log(K);
            }

            var logits = Forward(classifier, z1);
            double lse = Math.Log(logits.Sum(Math.Exp));
            var logQy = logits.Select(v => v - lse).ToArray();
            if (labelled)
            {
                bounds[i] = rec - Cost(y, eps2[i]);
                classification += logQy[Array.IndexOf(y, 1.0)];
            }
            else
            {
                double expectedCost = 0, entropy = 0;
                for (int k = 0; k < K; k++)
                {
                    var yk = new double[K];
                    yk[k] = 1;
                    expectedCost += Math.Exp(logQy[k]) * Cost(yk, eps3[k * N + i]);
                    entropy -= Math.Exp(logQy[k]) * logQy[k];
                }
                bounds[i] = rec - expectedCost + entropy;
            }
        }

        // Exact MMD² between the s groups' posterior means, Gaussian kernel with σ = 1.5.
        double Kernel(double[] a, double[] b) => Math.Exp(-a.Zip(b, (u, v) => (u - v) * (u - v)).Sum() / (2 * 1.5 * 1.5));
        double MeanKernel(int[] a, int[] b) => a.Sum(i => b.Sum(j => Kernel(means[i], means[j]))) / (a.Length * b.Length);
        int[] g0 = [0, 3], g1 = [1, 2];
        double mmd = MeanKernel(g0, g0) + MeanKernel(g1, g1) - 2 * MeanKernel(g0, g1);

        for (int i = 0; i < N; i++) ((double)elbo[i]).ShouldBe(bounds[i], 1e-4 * (1 + Math.Abs(bounds[i])), $"row {i}");
        double expected = -bounds.Average() - Alpha * classification / N + Beta * mmd;
        loss.ShouldBe(expected, 1e-4 * (1 + Math.Abs(expected)));
        mmd.ShouldBeGreaterThan(1e-4); // the penalty takes part
    }

    private sealed record Parts(VfaeModel Model, GaussianMlpEncoder Q1, GaussianMlpEncoder Q2, GaussianMlpEncoder P1, nn.Module<Tensor, Tensor> Classifier,
        MlpDecoder XDecoder, nn.Module<Tensor, Tensor> XNetwork, TabularLayout Layout);

    private static Parts Build(ulong seed, MmdEstimator mmd = MmdEstimator.Exact, int rffFeatures = 16)
    {
        using var init = new Generator(seed);
        var layout = new TabularLayout(2, 1, 2, K, ["s0", "s1"], ["n", "y"]);
        var activation = Activation.Parse("tanh");
        var q1 = new GaussianMlpEncoder(3 + 2, [4], activation, D1, init);
        var q2 = new GaussianMlpEncoder(D1 + K, [4], activation, D2, init);
        var p1 = new GaussianMlpEncoder(D2 + K, [4], activation, D1, init);
        var classifier = nn.MLP([D1, 4, K], activation, generator: init);
        var xNetwork = nn.MLP([D1 + 2, 4, 2 + 2], activation, generator: init);  // the mlp decoder plugin's network
        var xDecoder = new MlpDecoder(xNetwork);
        var model = new VfaeModel(layout, new VfaeOptions(true, Alpha, Beta, mmd, 1.5, rffFeatures), D1, D2,
            q1, q2, p1, classifier, xDecoder, new BernoulliLikelihood(), new GaussianLikelihood(MinVariance), new StandardNormalPrior());
        return new Parts(model, q1, q2, p1, classifier, xDecoder, xNetwork, layout);
    }

    /// <summary>
    /// The VFAE loss as it was before unlabelled rows alone went through the per-class passes: every row through
    /// q(z2|z1,y) and p(z1|z2,y) with its own y and, when any row is unlabelled, once per class, then chosen per row.
    /// </summary>
    private static (Tensor Loss, Tensor Elbo) PreviousLoss(Parts m, Tensor rows, Generator generator)
    {
        var layout = m.Layout;
        int latent = D1;
        var x = rows.narrow(1, 0, layout.Features);
        var s = rows.narrow(1, layout.Features, layout.SensitiveWidth);
        var y = rows.narrow(1, layout.Features + layout.SensitiveWidth, layout.Classes);
        var labelled = rows.narrow(1, layout.Width - 1, 1).squeeze(1);
        var q1 = m.Q1.Encode(rows.narrow(1, 0, layout.Features + layout.SensitiveWidth));
        var z1 = q1.Sample(generator);
        var output = m.XDecoder.Decode(cat([z1, s], 1));
        var rec = new BernoulliLikelihood().LogProb(output.narrow(1, 0, 2), x.narrow(1, 0, 2))
                  + new GaussianLikelihood(MinVariance).LogProb(output.narrow(1, 2, 2), x.narrow(1, 2, 1));
        Tensor LatentCost(DiagonalGaussian q, Tensor z, Tensor yy)
        {
            var q2 = m.Q2.Encode(cat([z, yy], 1));
            var z2 = q2.Sample(generator);
            var p1 = m.P1.Encode(cat([z2, yy], 1));
            return q.KlTo(p1) + q2.KlToStandardNormal() + Math.Log(layout.Classes);
        }
        long n = rows.size(0);
        var logQy = nn.functional.log_softmax(m.Classifier.forward(z1), 1);
        var bound = rec - LatentCost(q1, z1, y);
        if (labelled.sum().item<float>() < n)
        {
            int k = layout.Classes;
            var z1k = z1.unsqueeze(0).expand(k, n, latent).reshape(k * n, latent);
            var q1k = new DiagonalGaussian(q1.Mean.unsqueeze(0).expand(k, n, latent).reshape(k * n, latent),
                                           q1.LogVar.unsqueeze(0).expand(k, n, latent).reshape(k * n, latent));
            var yk = nn.functional.one_hot(arange(k).unsqueeze(1).expand(k, n).reshape(k * n), k).to(float32);
            var costs = LatentCost(q1k, z1k, yk).reshape(k, n).t();
            var qy = logQy.exp();
            var unlabelled = rec - (qy * costs).sum(1) - (qy * logQy).sum(1);
            bound = where(labelled.gt(0.5), bound, unlabelled);
        }
        var classification = ((logQy * y).sum(1) * labelled).sum() / n;
        var mmd = Mmd.Penalty(q1.Mean, s.argmax(1).data<long>(), 2, MmdEstimator.Exact, 1.5, 16, generator);
        return (-bound.mean() - classification * Alpha + mmd * Beta, bound);
    }

    /// <summary>Seven rows, random features, the given labelled flags, s and y alternating.</summary>
    private static Tensor MixedRows(bool[] labelled, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        int n = labelled.Length;
        var binary = rand([n, 2], g).gt(0.5).to(float32);
        var continuous = randn([n, 1], g);
        var s = nn.functional.one_hot(tensor(Enumerable.Range(0, n).Select(i => (long)(i * 5 % 3 % 2)).ToArray()), 2).to(float32);
        var y = nn.functional.one_hot(tensor(Enumerable.Range(0, n).Select(i => (long)(i % 2)).ToArray()), 2).to(float32);
        var flags = tensor(labelled.Select(f => f ? 1f : 0f).ToArray(), [n, 1]);
        return cat([binary, continuous, s, y, flags], 1).MoveToOuterDisposeScope();
    }

    public static TheoryData<string> LabelPatterns => ["1010011", "0000000", "1111111", "0111111", "1000000"];

    [Theory]
    [MemberData(nameof(LabelPatterns))]
    public void The_loss_and_its_gradients_equal_the_previous_implementation_where_every_row_took_every_pass(string pattern)
    {
        var labelled = pattern.Select(c => c == '1').ToArray();
        var m = Build(23);
        using var model = m.Model;
        using var rows = MixedRows(labelled, 3);
        float[] Grads() => model.parameters().SelectMany(p => p.grad!.data<float>()).ToArray();

        float previousLoss, currentLoss, factsLoss;
        float[] previousElbo, currentElbo, factsElbo, previousGrads, currentGrads, factsGrads;
        using (NewDisposeScope())
        {
            using var g = new Generator(17);
            var (loss, elbo) = PreviousLoss(m, rows, g);
            model.zero_grad();
            loss.backward();
            (previousLoss, previousElbo, previousGrads) = (loss.item<float>(), elbo.data<float>().ToArray(), Grads());
        }
        using (NewDisposeScope())
        {
            using var g = new Generator(17);
            var terms = model.Loss(rows, g);  // facts read from the rows
            model.zero_grad();
            terms.Loss.backward();
            (currentLoss, currentElbo, currentGrads) = (terms.Loss.item<float>(), terms.Elbo.data<float>().ToArray(), Grads());
        }
        using (NewDisposeScope())
        {
            using var g = new Generator(17);
            using var sGroups = rows.narrow(1, 3, 2).argmax(1);
            var terms = model.Loss(rows, new RowFacts(labelled, sGroups.data<long>()), g);  // as the trainer passes them
            model.zero_grad();
            terms.Loss.backward();
            (factsLoss, factsElbo, factsGrads) = (terms.Loss.item<float>(), terms.Elbo.data<float>().ToArray(), Grads());
        }
        currentLoss.ShouldBe(previousLoss, 1e-5 * (1 + Math.Abs(previousLoss)));
        factsLoss.ShouldBe(currentLoss);
        for (int i = 0; i < previousElbo.Length; i++) currentElbo[i].ShouldBe(previousElbo[i], 1e-5 * (1 + Math.Abs(previousElbo[i])), $"row {i}");
        factsElbo.ShouldBe(currentElbo);
        currentGrads.Length.ShouldBe(previousGrads.Length);
        for (int i = 0; i < previousGrads.Length; i++) currentGrads[i].ShouldBe(previousGrads[i], 1e-4 * (1 + Math.Abs(previousGrads[i])), $"gradient {i}");
        factsGrads.ShouldBe(currentGrads);
    }

    /// <summary>
    /// How the VFAE feeds y to q(z2|z1,y) and p(z1|z2,y): an MLP encoder's EncodeWithClasses (its first layer without
    /// the built rows, each row of a taken once) equals Encode over the rows [a[rows[r]] | one-hot(classes[r])], as does
    /// the interface's default, which builds them, for an encoder without its own.
    /// </summary>
    [Fact]
    public void Encoding_with_classes_equals_encoding_the_built_rows()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        using var encoder = new GaussianMlpEncoder(6 + 3, [8], global::Zoo.Torch.Activation.Softplus, 4, g);
        var a = randn([5, 6], g);
        var rows = tensor(new long[] { 4, 0, 0, 2, 1, 3, 4 });
        var classes = tensor(new long[] { 2, 0, 1, 1, 2, 0, 0 });
        var built = encoder.Encode(IEncoder.ClassRows(a, rows, classes, 3));
        foreach (var (what, q) in new[]
                 {
                     ("the MLP's own", encoder.EncodeWithClasses(a, rows, classes, 3)),
                     ("the default", ((IEncoder)new Composing(encoder)).EncodeWithClasses(a, rows, classes, 3)),
                 })
        {
            q.Mean.allclose(built.Mean, rtol: 1e-5, atol: 1e-6).ShouldBeTrue(what);
            q.LogVar.allclose(built.LogVar, rtol: 1e-5, atol: 1e-6).ShouldBeTrue(what);
        }
        var own = encoder.EncodeWithClasses(a.narrow(0, 0, 3), null, tensor(new long[] { 1, 1, 0 }), 3);
        var ownBuilt = encoder.Encode(IEncoder.ClassRows(a.narrow(0, 0, 3), null, tensor(new long[] { 1, 1, 0 }), 3));
        own.Mean.allclose(ownBuilt.Mean, rtol: 1e-5, atol: 1e-6).ShouldBeTrue("rows of a as they are");
    }

    /// <summary>An encoder with only Encode: EncodeWithClasses is the interface's default.</summary>
    private sealed class Composing(IEncoder inner) : IEncoder
    {
        public nn.Module Module => inner.Module;
        public DiagonalGaussian Encode(Tensor x) => inner.Encode(x);
    }
}
