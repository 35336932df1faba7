#!/usr/bin/env bash
# Benchmarks, each side by side with its PyTorch 1.13 peer (Debian's python3-torch) on the same machine, in one run:
#   1. one training step of the 784-500-500-20-500-500-784 MLP autoencoder, phase by phase (zoo bench torch);
#   2. seed 003's VAE trained for N epochs on MNIST: seconds per epoch and test ELBO (zoo bench vae).
# Usage: bash scripts/bench.sh [steps=500] [epochs=5] [vfae-epochs=3]
set -euo pipefail
cd "$(dirname "$0")/.."
ZOO_APT_EXTRA=python3-torch bash scripts/setup.sh
steps=${1:-500}
epochs=${2:-5}
zoo="dotnet src/Zoo.Cli/bin/Release/net10.0/zoo.dll"
torch_version=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
echo "== step: Zoo (C#, libtorch shim)"
$zoo bench torch --steps "$steps"
# PyTorch's best configuration here is 1 intra-op thread (2 spin-wait badly against OpenBLAS's threads).
for t in 1 2; do
  echo "== step: PyTorch $torch_version (Python), $t intra-op thread(s)"
  /usr/bin/python3 bench/pytorch_step.py --steps "$steps" --threads "$t"
done
echo "== VAE, $epochs epochs: Zoo (zoo bench vae; the trainer flushes denormals to zero)"
$zoo bench vae --epochs "$epochs"
echo "== VAE, $epochs epochs: PyTorch $torch_version, 1 intra-op thread, defaults"
/usr/bin/python3 bench/pytorch_vae.py --epochs "$epochs" --threads 1
echo "== VAE, $epochs epochs: PyTorch $torch_version, 1 intra-op thread, torch.set_flush_denormal(True) as Zoo"
/usr/bin/python3 bench/pytorch_vae.py --epochs "$epochs" --threads 1 --flush-denormal
# 3. The semi-supervised VFAE of `zoo semisupervised` (MNIST, 100 labels, 85,600 rows an epoch): seconds per epoch,
#    test bound and q(y|z1) accuracy (zoo bench vfae, with a phase profile of a step, against bench/pytorch_vfae.py).
#    PyTorch runs in its best configuration: 1 intra-op thread, OMP_WAIT_POLICY=PASSIVE, with OPENBLAS_CORETYPE as
#    the environment sets it and unset (report the faster).
vfae_epochs=${3:-3}
echo "== VFAE, $vfae_epochs epochs: Zoo (zoo bench vfae --profile 200)"
$zoo bench vfae --epochs "$vfae_epochs" --profile 200
echo "== VFAE, $vfae_epochs epochs: PyTorch $torch_version, 1 intra-op thread, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}"
OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch_vfae.py --epochs "$vfae_epochs" --threads 1
echo "== VFAE, $vfae_epochs epochs: PyTorch $torch_version, 1 intra-op thread, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE unset"
env -u OPENBLAS_CORETYPE OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch_vfae.py --epochs "$vfae_epochs" --threads 1
