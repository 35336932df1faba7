"""The summaries of scripts/bench.sh: Zoo's median against each PyTorch configuration and against the best of them.

Each part of bench.sh leaves its runs' results in one folder; this reads them back:
    python3 bench/summary.py vae  OUT AS_SET   # zoo-N.json, pytorch-KERNEL[-fd].json, each with a .rss (GNU time, KiB)
    python3 bench/summary.py vfae OUT AS_SET   # vfae-zoo-N.json, vfae-pytorch-KERNEL.json
    python3 bench/summary.py eval OUT          # eval-zoo-N.txt (zoo eval's lines), eval-pytorch-KERNEL-THREADS.json
    python3 bench/summary.py rounds OUT PART   # round-PART-N-zoo.json, round-PART-N-pytorch.json (PART: vae or vfae)
    python3 bench/summary.py baseline OUT      # baseline-N-zoo.txt, baseline-N-before.txt (zoo eval's lines)
AS_SET names the kernel the environment set (OPENBLAS_CORETYPE=...); KERNEL is "as-set" or "unset".
The vae and vfae parts also write PART-best (the fastest peer's KERNEL and its flags) for bench.sh's rounds: Zoo and
that peer back to back, whose ratios, each between two runs minutes apart at most, are the figure this host's drift
(a quarter and more over tens of seconds) disturbs least.
"""
import glob
import json
import os
import re
import statistics
import sys


def files(out, pattern):
    return sorted(glob.glob(os.path.join(out, pattern)))


def load(path):
    with open(path) as f:
        return json.load(f)


def kernel_name(kernel, as_set):
    return as_set if kernel.startswith("as-set") else "OPENBLAS_CORETYPE unset"


def report(peers, zoo, unit, fmt, lower_is_better):
    """Prints each peer and Zoo's median over its runs; returns the best peer's name and Zoo's ratio to it, in words."""
    for name, value in peers.items():
        print(f"  PyTorch {name}: {fmt(value)} {unit}")
    pick = min if lower_is_better else max
    best_name, best = pick(peers.items(), key=lambda kv: kv[1])
    z = statistics.median(zoo)
    print(f"  Zoo: {fmt(z)} {unit} (runs: {', '.join(fmt(v) for v in zoo)})")
    return best_name, f"{z / best:.2f}x the time" if lower_is_better else f"{z / best:.2f}x the throughput"


def mib(path):
    """The peak resident set, in MiB, that GNU time kept beside a run's .json."""
    return int(open(path[:-len(".json")] + ".rss").read().split()[-1]) / 1024


def write_best(out, part, config):
    with open(os.path.join(out, f"{part}-best"), "w") as f:
        f.write(config + "\n")


def vae(out, as_set):
    zoo_files = files(out, "zoo-*.json")
    peers, rss, configs = {}, {}, {}
    for p in files(out, "pytorch-*.json"):
        r = load(p)
        kernel = os.path.basename(p)[len("pytorch-"):-len(".json")]
        ran = re.search(r"OpenBLAS kernel \w+", r.get("blas", ""))
        name = (f"1 thread, {kernel_name(kernel, as_set)}{f' ({ran.group(0)})' if ran else ''}, "
                f"{'flush denormal' if r['flush_denormal'] else 'denormals kept'}")
        peers[name], rss[name] = r["median_epoch_seconds"], mib(p)
        configs[name] = f"{kernel.removesuffix('-fd')} {'--flush-denormal' if r['flush_denormal'] else ''}".strip()
    for name in peers:  # each peer's line carries its peak memory too
        print(f"  PyTorch {name}: {peers[name]:.2f} s, {rss[name]:.0f} MiB")
    best_name = min(peers, key=peers.get)
    zoo = [load(p)["median_epoch_seconds"] for p in zoo_files]
    z, z_rss = statistics.median(zoo), max(mib(p) for p in zoo_files)
    print(f"  Zoo: {z:.2f} s (runs: {', '.join(f'{s:.2f}' for s in zoo)}), {z_rss:.0f} MiB")
    print(f"  Zoo / PyTorch at its best ({best_name}): {z / peers[best_name]:.2f}x the time, "
          f"{z_rss / rss[best_name]:.2f}x the peak memory")
    write_best(out, "vae", configs[best_name])


def vfae(out, as_set):
    zoo = [load(p)["median_epoch_seconds"] for p in files(out, "vfae-zoo-*.json")]
    kernels = {os.path.basename(p)[len("vfae-pytorch-"):-len(".json")]: load(p)["median_epoch_seconds"]
               for p in files(out, "vfae-pytorch-*.json")}
    peers = {f"1 thread, {kernel_name(k, as_set)}": v for k, v in kernels.items()}
    best_name, ratio = report(peers, zoo, "s", lambda v: f"{v:.2f}", lower_is_better=True)
    print(f"  Zoo / PyTorch at its best ({best_name}): {ratio}")
    write_best(out, "vfae", min(kernels, key=kernels.get))


def rounds(out, part):
    """Zoo and the fastest peer back to back, round by round: each round's ratio, their median, and peak memory."""
    ratios, zoo_rss, peer_rss = [], [], []
    for z in files(out, f"round-{part}-*-zoo.json"):
        p = z[:-len("zoo.json")] + "pytorch.json"
        zs, ps = load(z)["median_epoch_seconds"], load(p)["median_epoch_seconds"]
        ratios.append(zs / ps)
        zoo_rss.append(mib(z))
        peer_rss.append(mib(p))
        print(f"  round {len(ratios)}: Zoo {zs:.2f} s, PyTorch {ps:.2f} s: {zs / ps:.2f}x the time")
    print(f"  Zoo / PyTorch at its best, median of {len(ratios)} rounds: {statistics.median(ratios):.2f}x the time "
          f"(rounds {min(ratios):.2f}-{max(ratios):.2f}); peak memory {max(zoo_rss):.0f} against {max(peer_rss):.0f} MiB, "
          f"{max(zoo_rss) / max(peer_rss):.2f}x")


def samples_per_second(path):
    return float(re.search(r"\(([0-9,]+) samples/s\)", open(path).read()).group(1).replace(",", ""))


def evaluation(out):
    zoo = [samples_per_second(p) for p in files(out, "eval-zoo-*.txt")]
    peers = {os.path.basename(p)[len("eval-pytorch-"):-len(".json")]: load(p)["samples_per_second"]
             for p in files(out, "eval-pytorch-*.json")}
    best_name, ratio = report(peers, zoo, "samples/s", lambda v: f"{v:,.0f}", lower_is_better=False)
    print(f"  Zoo / PyTorch at its best ({best_name}): {ratio}")


def baseline(out):
    """Today's zoo eval against issue 16's baseline binary, round by round: the throughput ratio and its median."""
    ratios = []
    for z in files(out, "baseline-*-zoo.txt"):
        today, before = samples_per_second(z), samples_per_second(z[:-len("zoo.txt")] + "before.txt")
        ratios.append(today / before)
        print(f"  round {len(ratios)}: today {today:,.0f} samples/s, issue 16's baseline {before:,.0f}: {today / before:.2f}x")
    print(f"  today / issue 16's baseline, median of {len(ratios)} rounds: {statistics.median(ratios):.2f}x the throughput "
          f"(rounds {min(ratios):.2f}-{max(ratios):.2f}; target 2x)")


if __name__ == "__main__":
    part, out = sys.argv[1], sys.argv[2]
    if part == "vae":
        vae(out, sys.argv[3])
    elif part == "vfae":
        vfae(out, sys.argv[3])
    elif part == "eval":
        evaluation(out)
    elif part == "rounds":
        rounds(out, sys.argv[3])
    elif part == "baseline":
        baseline(out)
    else:
        sys.exit(f"bench/summary.py: unknown part '{part}' (expected vae, vfae, eval, rounds or baseline)")
