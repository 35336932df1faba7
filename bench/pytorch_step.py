"""PyTorch peer of the C# libtorch benchmark (`zoo bench torch`).

Measures on CPU the float32 GEMM throughput of `a @ w.t()` and the time of one
Adam step (forward / backward / optimizer) of a 784-500-500-20-500-500-784 MLP
autoencoder, batch 100; output lines match the C# benchmark's.

Must run with Debian's own interpreter, which has python3-torch installed:

    /usr/bin/python3 bench/pytorch_step.py [--threads N] [--steps N] [--json PATH]

(the `python3` first on PATH may be a pyenv build without torch).
"""
import argparse
import ctypes
import json
import os
import re
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = [784, 500, 500, 20, 500, 500, 784]
BATCH = 100


def blas_info():
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    info = m.group(1) if m else "?"
    try:  # Debian's build says "generic": name the BLAS library actually mapped
        with open("/proc/self/maps") as f:
            libs = {ln.split()[-1] for ln in f if "blas" in os.path.basename(ln.split()[-1])}
        if libs:
            info += " (" + ", ".join(sorted(os.path.realpath(p) for p in libs)) + ")"
    except OSError:
        pass
    try:  # the kernel OpenBLAS chose (OPENBLAS_CORETYPE or its own CPU detection), as zoo reports its own
        blas = ctypes.CDLL("libblas.so.3")
        blas.openblas_get_corename.restype = ctypes.c_char_p
        info += ", OpenBLAS kernel " + blas.openblas_get_corename().decode()
    except (OSError, AttributeError):
        pass
    return info


def gemm_gflops(m, k, n, warmup=20, reps=200):
    a, w = torch.randn(m, k), torch.randn(n, k)
    for _ in range(warmup):
        a @ w.t()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ w.t()
        times.append(time.perf_counter() - t0)
    return 2 * m * k * n / statistics.median(times) / 1e9


def make_model():
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(SIZES, SIZES[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(SIZES) - 2:
            layers.append(nn.Softplus())
    return nn.Sequential(*layers)


def train_steps(model, opt, x, n):
    """Runs n steps; returns per-step (forward, backward, optimizer) seconds."""
    phases = []
    for _ in range(n):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        phases.append((t1 - t0, t2 - t1, t3 - t2))
    return phases


def conv_step(n, warmup=10):
    """Median seconds of one step of the conv autoencoder `zoo bench torch` times (the conv plugins' default geometry)."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 16),
        nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Flatten())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(BATCH, 784) > 0.5).float()
    times = []
    for i in range(n + warmup):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(model(x), x, reduction="none").sum(1).mean()
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's default)")
    ap.add_argument("--steps", type=int, default=300, help="timed training steps (default 300)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as a JSON object")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"pytorch settings: torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"BLAS {blas_info()}, "
          + ", ".join(f"{k}={os.environ.get(k, '(unset)')}"
                      for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")))

    torch.manual_seed(0)
    g784, g500 = gemm_gflops(BATCH, 784, 500), gemm_gflops(BATCH, 500, 500)
    print(f"pytorch GEMM {BATCH}x784x500: {g784:.1f} GFLOP/s (median of 200)")
    print(f"pytorch GEMM {BATCH}x500x500: {g500:.1f} GFLOP/s (median of 200)")

    torch.manual_seed(0)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(BATCH, 784) > 0.5).float()
    train_steps(model, opt, x, 20)
    phases = train_steps(model, opt, x, args.steps)
    step = statistics.median(sum(p) for p in phases)
    fwd, bwd, adam = (statistics.mean(p[i] for p in phases) for i in range(3))
    print(f"pytorch MLP AE step: median {step * 1e3:.2f} ms [forward {fwd * 1e3:.2f} | "
          f"backward {bwd * 1e3:.2f} | adam {adam * 1e3:.2f}] (means)")

    layer_flops = [2 * BATCH * i * o for i, o in zip(SIZES, SIZES[1:])]
    work = 3 * sum(layer_flops) - layer_flops[0]  # first layer needs no input gradient
    step_gflops = work / step / 1e9
    pct = 100 * step_gflops / ((g784 + g500) / 2)
    epoch = 600 * step
    print(f"pytorch GEMM work {work / 1e9:.3f} GFLOP/step -> {step_gflops:.1f} GFLOP/s = "
          f"{pct:.0f}% of GEMM throughput; epoch (600 steps) \u2248 {epoch:.1f} s")

    conv = conv_step(max(1, args.steps // 5))
    print(f"pytorch conv AE step: median {conv * 1e3:.2f} ms; an epoch of MNIST (600 steps) \u2248 {600 * conv:.1f} s")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch_version": torch.__version__, "threads": torch.get_num_threads(),
                       "gemm_gflops_784": g784, "gemm_gflops_500": g500,
                       "step_ms": step * 1e3, "forward_ms": fwd * 1e3, "backward_ms": bwd * 1e3,
                       "optimizer_ms": adam * 1e3, "step_gflops": step_gflops, "epoch_s": epoch,
                       "conv_step_ms": conv * 1e3},
                      f, indent=2)


if __name__ == "__main__":
    main()
