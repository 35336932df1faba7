#!/usr/bin/env bash
# The main job: set up, build, and train the default model, writing its metrics and pictures.
# For now (foundation issue): the MLP-autoencoder demo on synthetic images, into runs/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet src/Zoo.Cli/bin/Release/net10.0/zoo.dll demo --out runs/demo "$@"
