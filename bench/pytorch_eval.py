"""PyTorch peer of `zoo eval --k K`: the importance-weighted estimate of log p(x) for a trained Zoo run, timed the same way.

Reads the run's config.json and checkpoint/model.safetensors (the format is parsed here: 8-byte header length, JSON
header, raw little-endian tensors), rebuilds the network (gaussian-mlp encoder with a [mu | log var] head, mlp decoder
to Bernoulli logits, standard normal prior), binarises MNIST's test images as zoo's evaluation does (stochastic: one
libtorch bernoulli draw with the generator seeded 0x5EED7E57, which is Debian's same libtorch under both; threshold:
> 0.5), and estimates log (1/k) sum_i p(x, z_i) / q(z_i | x) with the k samples of a few examples decoded as one matrix
of at most 12,500 rows, PyTorch's natural way. Times the sampling loop alone, like zoo's "time ... for the importance
sampling", and prints samples/s and the NLL.

    /usr/bin/python3 bench/pytorch_eval.py --run RUN [--k 5000] [--limit N] [--threads 1] [--json PATH]
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from pytorch_step import blas_info
from pytorch_vae import MNIST

ROW_BUDGET = 12_500
ACTIVATIONS = {"tanh": nn.Tanh, "softplus": nn.Softplus, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def fail(message):
    print(f"pytorch_eval: {message}", file=sys.stderr)
    sys.exit(2)


def safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            fail(f"{path}: tensor '{name}' is {meta['dtype']}, expected F32")
        begin, end = meta["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype="<f4").copy().reshape(meta["shape"]))
    return out


def mlp(prefix, weights, activation, last_activated):
    """Linear layers prefix.0, prefix.1, ... with the activation after each (and after the last when asked)."""
    layers, i = [], 0
    while f"{prefix}.{i}.weight" in weights:
        w = weights[f"{prefix}.{i}.weight"]
        lin = nn.Linear(w.shape[1], w.shape[0])
        lin.weight.data, lin.bias.data = w, weights[f"{prefix}.{i}.bias"]
        layers.append(lin)
        i += 1
        if f"{prefix}.{i}.weight" in weights or last_activated:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def test_images(binarize, limit):
    with open(os.path.join(MNIST, "t10k-images-idx3-ubyte"), "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    x = torch.from_numpy(np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float32) / 255.0)
    if binarize == "stochastic":
        x = torch.bernoulli(x, generator=torch.Generator().manual_seed(0x5EED_7E57))
    elif binarize == "threshold":
        x = (x > 0.5).float()
    else:
        fail(f"binarisation '{binarize}' is not one this peer evaluates (stochastic, threshold)")
    return x[:limit] if limit else x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--k", type=int, default=5000)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.run, "config.json")))
    model = cfg["model"]
    parts = (model.get("likelihood", {}).get("name"), model.get("prior", {}).get("name"),
             model.get("encoder", {}).get("name"), model.get("decoder", {}).get("name"))
    if parts != ("bernoulli", "standard-normal", "gaussian-mlp", "mlp"):
        fail(f"{a.run}: parts {parts}; this peer evaluates bernoulli, standard-normal, gaussian-mlp, mlp")
    weights = safetensors(os.path.join(a.run, "checkpoint", "model.safetensors"))
    body = mlp("encoder.body", weights, model["encoder"]["activation"], last_activated=True)
    head = nn.Linear(*reversed(weights["encoder.head.weight"].shape))
    head.weight.data, head.bias.data = weights["encoder.head.weight"], weights["encoder.head.bias"]
    decoder = mlp("decoder", weights, model["decoder"]["activation"], last_activated=False)
    d = model["latent"]
    x = test_images(cfg["dataset"].get("binarize", "threshold"), a.limit)
    n, k = x.shape[0], a.k
    batch = max(1, min(ROW_BUDGET // min(k, ROW_BUDGET), n))
    torch.manual_seed(a.seed)
    log2pi = math.log(2 * math.pi)
    result = torch.empty(n, dtype=torch.float64)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, n, batch):
            xb = x[start:start + batch]
            b = xb.shape[0]
            stats = head(body(xb))
            mu, logvar = stats[:, :d], stats[:, d:]
            per_chunk = max(1, ROW_BUDGET // b)
            partial = []
            for done in range(0, k, per_chunk):
                kc = min(per_chunk, k - done)
                eps = torch.randn(kc, b, d)
                z = mu + torch.exp(0.5 * logvar) * eps
                log_q = -0.5 * (eps.pow(2) + logvar + log2pi).sum(-1)                       # [kc, b]
                logits = decoder(z.reshape(kc * b, d))
                xs = xb.unsqueeze(0).expand(kc, b, xb.shape[1]).reshape(kc * b, -1)
                log_px = -F.binary_cross_entropy_with_logits(logits, xs, reduction="none").sum(-1)
                log_pz = -0.5 * (z.pow(2) + log2pi).sum(-1).reshape(kc * b)
                partial.append(((log_px + log_pz).reshape(kc, b) - log_q).logsumexp(0))
            result[start:start + b] = (torch.stack(partial).logsumexp(0) - math.log(k)).double()
    seconds = time.perf_counter() - t0
    nll = -result.mean().item()
    se = result.std().item() / math.sqrt(n) if n > 1 else 0.0
    rate = n * k / seconds
    print(f"pytorch {torch.__version__}, {a.threads} thread(s), {blas_info()}")
    print(f"test NLL {nll:.2f} nats (standard error {se:.2f}), k = {k}, {n} images")
    print(f"time {seconds:.1f} s for the importance sampling ({rate:,.0f} samples/s)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"impl": "pytorch", "threads": a.threads, "blas": blas_info(), "nll": nll, "seconds": seconds,
                       "samples_per_second": rate}, f)


if __name__ == "__main__":
    main()
