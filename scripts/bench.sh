#!/usr/bin/env bash
# Benchmark: Zoo's GEMM throughput and MLP-autoencoder training step, then the same model in PyTorch 1.13
# (Debian's python3-torch, the peer) on the same machine, in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
ZOO_APT_EXTRA=python3-torch bash scripts/setup.sh
steps=${1:-500}
echo "== Zoo (C#, libtorch shim)"
dotnet src/Zoo.Cli/bin/Release/net10.0/zoo.dll bench torch --steps "$steps"
# PyTorch's best configuration here is 1 intra-op thread (2 spin-wait badly against OpenBLAS's threads).
for t in 1 2; do
  echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') (Python), $t intra-op thread(s)"
  /usr/bin/python3 bench/pytorch_step.py --steps "$steps" --threads "$t"
done
