#!/usr/bin/env bash
# For plugin authors (the third command): packs Zoo.Sdk, Zoo.Testing and Zoo.Templates into artifacts/packages/ and
# copies them into the feed a generated plugin's nuget.config reads: ~/.zoo/packages, or $ZOO_FEED (then give
# `dotnet new zoo-plugin` the same folder with --feed).
set -euo pipefail
cd "$(dirname "$0")/.."
# ZOO_PACK_NO_SETUP=1: the solution is built already (the SDK test packs from inside a test run).
[ "${ZOO_PACK_NO_SETUP:-}" = 1 ] || bash scripts/setup.sh
feed=${ZOO_FEED:-$HOME/.zoo/packages}
rm -f artifacts/packages/Zoo.*.nupkg
for project in Zoo.Sdk Zoo.Testing Zoo.Templates; do
  dotnet pack "src/$project" -c Release --no-build -nologo -v quiet -clp:ErrorsOnly
done
mkdir -p "$feed"
cp artifacts/packages/Zoo.*.nupkg "$feed/"
# A package repacked under the same version must not be served from NuGet's cache of the previous one.
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
for package in artifacts/packages/Zoo.*.nupkg; do
  name=$(basename "$package" .nupkg)          # Zoo.Sdk.1.0.0
  id=${name%%.[0-9]*}; version=${name#"$id".}
  rm -rf "$cache/${id,,}/$version"
done
ls artifacts/packages/
echo "pack: the packages are in $feed; next: dotnet new install $feed/$(basename artifacts/packages/Zoo.Templates.*.nupkg)"
