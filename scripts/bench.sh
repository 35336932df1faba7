#!/usr/bin/env bash
# Benchmarks, each side by side with its PyTorch 1.13 peer (Debian's python3-torch) on the same machine, in one run:
#   1. one training step of the 784-500-500-20-500-500-784 MLP autoencoder, phase by phase (zoo bench torch);
#   2. seed 003's VAE trained for N epochs on MNIST: seconds per epoch and test ELBO (zoo bench vae);
#   3. the semi-supervised VFAE on MNIST: seconds per epoch, bound and accuracy (zoo bench vfae, bench/pytorch_vfae.py);
#   4. the IWAE estimate of log p(x) with k = 5000 on the IWAE paper's network, samples per second and NLL
#      (zoo eval, bench/pytorch_eval.py), on a run trained for one epoch here; PyTorch also with 2 threads.
# PyTorch runs in its best configuration: one intra-op thread (two spin-wait against OpenBLAS's threads), and each
# OpenBLAS kernel it could have (OPENBLAS_CORETYPE as the machine sets it, and unset: OpenBLAS's own detection);
# the ratio is taken against the fastest. Zoo picks its kernel itself (see the README, "BLAS kernel").
# Usage: bash scripts/bench.sh [steps=500] [epochs=5] [vfae-epochs=3] [eval-images=200]
set -euo pipefail
cd "$(dirname "$0")/.."
ZOO_APT_EXTRA="python3-torch time" bash scripts/setup.sh  # time: GNU time, for peak RSS
steps=${1:-500}
epochs=${2:-5}
vfae_epochs=${3:-3}
eval_images=${4:-200}
zoo="dotnet src/Zoo.Cli/bin/Release/net10.0/zoo.dll"
py=/usr/bin/python3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
torch_version=$($py -c 'import torch; print(torch.__version__)')
as_set="OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}"
# The kernels PyTorch is tried with: the environment as it comes, and without OPENBLAS_CORETYPE.
kernels=("as-set" "unset")
pytorch() { # pytorch KERNEL NAME SCRIPT ARGS...: runs a peer with that kernel (peak RSS in $out/NAME.rss)
  local kernel=$1; shift
  local name=$1; shift
  if [ "$kernel" = unset ]; then rss "$name" env -u OPENBLAS_CORETYPE $py "$@"; else rss "$name" $py "$@"; fi
}
rss() { # rss NAME COMMAND...: runs it, keeping its peak resident set (KiB) in $out/NAME.rss
  local name=$1; shift
  /usr/bin/time -f "%M" -o "$out/$name.rss" "$@"
}
label() { [ "$1" = unset ] && echo "OPENBLAS_CORETYPE unset" || echo "$as_set"; }

echo "== step: Zoo (C#, libtorch shim)"
$zoo bench torch --steps "$steps"
for k in "${kernels[@]}"; do
  echo "== step: PyTorch $torch_version (Python), 1 intra-op thread, $(label "$k")"
  pytorch "$k" "step-$k" bench/pytorch_step.py --steps "$steps" --threads 1
done

# Interleaved: Zoo, each PyTorch configuration, Zoo again (this shared machine drifts within a run).
echo "== VAE, $epochs epochs: Zoo (zoo bench vae; the trainer flushes denormals to zero)"
rss zoo-1 $zoo bench vae --epochs "$epochs" --json "$out/zoo-1.json"
for k in "${kernels[@]}"; do
  for fd in "" "--flush-denormal"; do
    echo "== VAE, $epochs epochs: PyTorch $torch_version, 1 intra-op thread, $(label "$k") ${fd:-(denormals kept)}"
    pytorch "$k" "pytorch-$k${fd:+-fd}" bench/pytorch_vae.py --epochs "$epochs" --threads 1 $fd --json "$out/pytorch-$k${fd:+-fd}.json"
  done
done
echo "== VAE, $epochs epochs: Zoo again"
rss zoo-2 $zoo bench vae --epochs "$epochs" --json "$out/zoo-2.json"

echo "== VAE summary (median seconds per epoch; peak resident set of the whole process)"
$py - "$out" "$as_set" <<'EOF'
import glob, json, os, re, statistics, sys
out, as_set = sys.argv[1], sys.argv[2]
load = lambda p: json.load(open(p))
mib = lambda p: int(open(p[:-len(".json")] + ".rss").read().split()[-1]) / 1024
zoo = [load(p)["median_epoch_seconds"] for p in sorted(glob.glob(os.path.join(out, "zoo-*.json")))]
peers = {}
for p in sorted(glob.glob(os.path.join(out, "pytorch-*.json"))):
    r = load(p)
    name = os.path.basename(p)[len("pytorch-"):-len(".json")]
    kernel = as_set if name.startswith("as-set") else "OPENBLAS_CORETYPE unset"
    ran = re.search(r"OpenBLAS kernel \w+", r.get("blas", ""))
    peers[f"1 thread, {kernel}{f' ({ran.group(0)})' if ran else ''}, {'flush denormal' if r['flush_denormal'] else 'denormals kept'}"] = (r["median_epoch_seconds"], mib(p))
for name, (secs, rss) in peers.items():
    print(f"  PyTorch {name}: {secs:.2f} s, {rss:.0f} MiB")
best_name, (best, best_rss) = min(peers.items(), key=lambda kv: kv[1][0])
zoo_files = sorted(glob.glob(os.path.join(out, "zoo-*.json")))
z, z_rss = statistics.median(zoo), max(mib(p) for p in zoo_files)
print(f"  Zoo: {z:.2f} s (runs: {', '.join(f'{s:.2f}' for s in zoo)}), {z_rss:.0f} MiB")
print(f"  Zoo / PyTorch at its best ({best_name}): {z / best:.2f}x the time, {z_rss / best_rss:.2f}x the peak memory")
EOF

# Interleaved as the VAE's: Zoo, each PyTorch configuration, Zoo again.
echo "== VFAE, $vfae_epochs epochs: Zoo (zoo bench vfae --profile 200)"
$zoo bench vfae --epochs "$vfae_epochs" --profile 200 --json "$out/vfae-zoo-1.json"
for k in "${kernels[@]}"; do
  echo "== VFAE, $vfae_epochs epochs: PyTorch $torch_version, 1 intra-op thread, OMP_WAIT_POLICY=PASSIVE, $(label "$k")"
  OMP_WAIT_POLICY=PASSIVE pytorch "$k" "vfae-$k" bench/pytorch_vfae.py --epochs "$vfae_epochs" --threads 1 --json "$out/vfae-pytorch-$k.json"
done
echo "== VFAE, $vfae_epochs epochs: Zoo again"
$zoo bench vfae --epochs "$vfae_epochs" --json "$out/vfae-zoo-2.json"
echo "== VFAE summary (median seconds per epoch)"
$py - "$out" "$as_set" <<'EOF'
import glob, json, os, statistics, sys
out, as_set = sys.argv[1], sys.argv[2]
secs = lambda p: json.load(open(p))["median_epoch_seconds"]
zoo = [secs(p) for p in sorted(glob.glob(os.path.join(out, "vfae-zoo-*.json")))]
peers = {("OPENBLAS_CORETYPE unset" if p.endswith("-unset.json") else as_set): secs(p)
         for p in sorted(glob.glob(os.path.join(out, "vfae-pytorch-*.json")))}
for name, s in peers.items():
    print(f"  PyTorch 1 thread, {name}: {s:.2f} s")
best_name, best = min(peers.items(), key=lambda kv: kv[1])
z = statistics.median(zoo)
print(f"  Zoo: {z:.2f} s (runs: {', '.join(f'{s:.2f}' for s in zoo)})")
print(f"  Zoo / PyTorch at its best (1 thread, {best_name}): {z / best:.2f}x the time")
EOF

echo "== IWAE estimate, k = 5000, $eval_images test images: a run of the IWAE paper's network (784-200-200-50 tanh, dynamic binarisation), one epoch"
$zoo train vae encoder.hidden=200,200 encoder.activation=tanh decoder.hidden=200,200 decoder.activation=tanh latent=50 \
  dataset.binarize=stochastic dataset.validation=0 epochs=1 --plain --out "$out/iwae-run" | tail -1
# Interleaved: Zoo, each PyTorch configuration (kernel x 1 or 2 threads), Zoo again.
zoo_eval() { $zoo eval --run "$out/iwae-run" --k 5000 --limit "$eval_images" | grep -E "NLL|samples/s" | tee "$out/eval-zoo-$1.txt"; }
echo "== IWAE estimate: Zoo (zoo eval)"
zoo_eval 1
for k in "${kernels[@]}"; do
  for threads in 1 2; do
    echo "== IWAE estimate: PyTorch $torch_version, $threads intra-op thread(s), OMP_WAIT_POLICY=PASSIVE, $(label "$k")"
    OMP_WAIT_POLICY=PASSIVE pytorch "$k" "eval-$k-$threads" bench/pytorch_eval.py --run "$out/iwae-run" --k 5000 \
      --limit "$eval_images" --threads "$threads" --json "$out/eval-pytorch-$k-$threads.json" | tail -2
  done
done
echo "== IWAE estimate: Zoo again"
zoo_eval 2
echo "== IWAE estimate summary (samples per second, higher is better)"
$py - "$out" <<'EOF'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
zoo = [float(re.search(r"\(([0-9,]+) samples/s\)", open(p).read()).group(1).replace(",", ""))
       for p in sorted(glob.glob(os.path.join(out, "eval-zoo-*.txt")))]
peers = {os.path.basename(p)[len("eval-pytorch-"):-len(".json")]: json.load(open(p))["samples_per_second"]
         for p in sorted(glob.glob(os.path.join(out, "eval-pytorch-*.json")))}
for name, rate in peers.items():
    print(f"  PyTorch {name}: {rate:,.0f} samples/s")
best_name, best = max(peers.items(), key=lambda kv: kv[1])
z = statistics.median(zoo)
print(f"  Zoo: {z:,.0f} samples/s (runs: {', '.join(f'{r:,.0f}' for r in zoo)})")
print(f"  Zoo / PyTorch at its best ({best_name}): {z / best:.2f}x the throughput")
EOF
