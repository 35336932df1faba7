namespace Zoo.Core.Evaluation;

/// <summary>Threshold and ranking figures for anomaly scores (higher score = more anomalous).</summary>
public static class Ranking
{
    /// <summary>
    /// The area under the ROC curve for telling <paramref name="positives"/> from <paramref name="negatives"/> by score:
    /// the probability that a random positive scores above a random negative, ties counting half (Mann–Whitney U).
    /// </summary>
    public static double Auroc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0) throw new ArgumentException("AUROC needs at least one positive and one negative score");
        var all = positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false)))
            .OrderBy(p => p.Score).ToArray();
        double rankSum = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].Score == all[i].Score) j++;
            double midRank = (i + 1 + j) / 2.0; // ranks i+1 … j share their mean
            for (int t = i; t < j; t++) if (all[t].Positive) rankSum += midRank;
            i = j;
        }
        double p = positives.Count, q = negatives.Count;
        return (rankSum - p * (p + 1) / 2) / (p * q);
    }

    /// <summary>The <paramref name="q"/>-quantile of <paramref name="values"/> by linear interpolation (numpy's default).</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) throw new ArgumentException("a quantile of no values");
        if (q is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(q), q, "quantile must be in [0, 1]");
        var sorted = values.OrderBy(v => v).ToArray();
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
