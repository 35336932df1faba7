#!/usr/bin/env bash
# What a plugin author does with only the packed feed, in an empty folder outside the repository: install the
# template, create one plugin of each kind, build and test them, install them into zoo, train with each part for one
# short epoch, uninstall them. Run by tests/Zoo.Cli.Tests (PluginSdkTests) after the solution is built; by hand:
#   bash tests/sdk/author-flow.sh          (keeps its folder when ZOO_KEEP=1)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
zoo_dll="$repo/src/Zoo.Cli/bin/Release/net10.0/zoo.dll"
[ -f "$zoo_dll" ] || { echo "author-flow: $zoo_dll is missing: build the solution first (bash scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/zoo-author-XXXXXX)
[ "${ZOO_KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
step() { echo "== $*"; }
zoo() { dotnet "$zoo_dll" "$@"; }

# An author's machine: its own template store and NuGet cache (so nothing of an earlier pack is reused); packages the
# machine has already (xunit, …) are read from its global folder instead of downloaded again.
export DOTNET_CLI_HOME="$work/cli" DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
[ -d "$HOME/.nuget/packages" ] && export NUGET_FALLBACK_PACKAGES="$HOME/.nuget/packages"
export ZOO_HOME="$work/home"
feed="$work/feed"

step "pack the author packages into $feed"
ZOO_FEED="$feed" ZOO_PACK_NO_SETUP=1 bash "$repo/scripts/pack.sh" >/dev/null
ls "$feed"

cd "$work"
step "dotnet new install Zoo.Templates"
dotnet new install "$feed"/Zoo.Templates.*.nupkg >/dev/null

kinds=(likelihood prior encoder decoder data model)
names=(Laplace Wide Narrow Shallow Bars BetaVae)
plugins=(laplace wide narrow shallow bars beta-vae)
dotnet new sln -n Plugins --format slnx >/dev/null
for i in "${!kinds[@]}"; do
  project="Acme.Zoo.${names[$i]}"
  step "dotnet new zoo-plugin -n $project --kind ${kinds[$i]} --feed $feed"
  dotnet new zoo-plugin -n "$project" --kind "${kinds[$i]}" --feed "$feed" >/dev/null
  dotnet sln Plugins.slnx add "$project/$project" "$project/$project.Tests" >/dev/null
done

step "no path into the repository in the generated projects"
if grep -rn --exclude-dir=bin --exclude-dir=obj -F "$repo" Acme.Zoo.*; then echo "author-flow: a generated file names the repository" >&2; exit 1; fi

step "dotnet test (all six plugins' tests)"
if ! dotnet test Plugins.slnx -nologo -v quiet >test.log 2>&1; then
  grep -E "error|\[FAIL\]|Error Message|^ +[A-Z].*Exception|Passed!|Failed!" test.log >&2; echo "author-flow: the plugins' tests failed" >&2; exit 1
fi
grep -E "Passed!|Failed!" test.log

for i in "${!kinds[@]}"; do
  project="Acme.Zoo.${names[$i]}"
  step "build and install $project"
  dotnet build "$project/$project" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
  for host in Zoo.Core.dll Zoo.Torch.dll libzoo_torch.so Microsoft.Extensions.DependencyInjection.Abstractions.dll; do
    if find "$project/$project/bin/Release" -name "$host" | grep -q .; then echo "author-flow: $project's output carries $host, which zoo supplies" >&2; exit 1; fi
  done
  zoo plugins install "$project/$project/bin/Release/net10.0"
done

brief=(epochs=1 dataset.train-limit=1000 dataset.test-limit=200)
step "train with each part for one short epoch"
zoo train vae likelihood=laplace dataset=noisy-halves dataset.binarize=none "${brief[@]}" --out runs/laplace | tail -1
zoo train vae prior=wide prior.scale=2 dataset=noisy-halves "${brief[@]}" --out runs/wide | tail -1
zoo train vae encoder=narrow encoder.hidden=64 dataset=noisy-halves "${brief[@]}" --out runs/narrow | tail -1
zoo train vae decoder=shallow decoder.hidden=64 dataset=noisy-halves "${brief[@]}" --out runs/shallow | tail -1
zoo train vae dataset=bars dataset.train-examples=1000 dataset.test-examples=200 epochs=1 --out runs/bars | tail -1
zoo train beta-vae beta=2 dataset=noisy-halves "${brief[@]}" --out runs/beta-vae | tail -1
for p in "${plugins[@]}"; do [ -f "runs/$p/checkpoint/state.json" ] || [ -d "runs/$p/checkpoint" ] || { echo "author-flow: no checkpoint for $p" >&2; exit 1; }; done

step "uninstall them"
for i in "${!kinds[@]}"; do zoo plugins uninstall "Acme.Zoo.${names[$i]}"; done
listed=$(zoo list)
for p in "${plugins[@]}"; do
  if grep -qE "^  $p:" <<<"$listed"; then echo "author-flow: $p is still listed after uninstall" >&2; exit 1; fi
done
step "a plugin that breaks its family's contract is refused at install, in one line"
sed -i 's/return terms.sum(-1).MoveToOuterDisposeScope();/return terms.MoveToOuterDisposeScope();/' Acme.Zoo.Laplace/Acme.Zoo.Laplace/LaplaceLikelihood.cs
dotnet build Acme.Zoo.Laplace/Acme.Zoo.Laplace -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
if refusal=$(zoo plugins install Acme.Zoo.Laplace/Acme.Zoo.Laplace/bin/Release/net10.0 2>&1); then
  echo "author-flow: a likelihood whose LogProb is not summed over dimensions was installed" >&2; exit 1
fi
echo "$refusal"
grep -q "not installed: likelihood laplace: LogProb gave shape \[8, 16\] for 8 rows; expected \[8\]" <<<"$refusal"
[ ! -e "$ZOO_HOME/plugins/Acme.Zoo.Laplace" ] || { echo "author-flow: the refused plugin left a folder" >&2; exit 1; }
echo "author-flow: ok"
