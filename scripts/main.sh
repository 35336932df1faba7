#!/usr/bin/env bash
# The main job: train the Bernoulli VAE (seed 003's set-up) on MNIST and write its metrics and pictures to
# runs/bernoulli-vae/ (metrics.csv, curves.png, samples.png, reconstructions.png, config.json, checkpoint/).
# Extra arguments are config overrides, e.g. `bash scripts/main.sh epochs=20 latent=2`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=runs/bernoulli-vae
# Keep the previous run (one generation) rather than refusing to start or deleting it.
if [ -d "$out" ]; then rm -rf "$out.previous"; mv "$out" "$out.previous"; echo "previous run moved to $out.previous"; fi
dotnet src/Zoo.Cli/bin/Release/net10.0/zoo.dll train bernoulli-vae "$@" --out "$out"
