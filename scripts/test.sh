#!/usr/bin/env bash
# Sets up, builds and runs every test project; ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
# chromium: Debian's browser, driven headless by the dashboard's browser test (tests/Zoo.Web.Tests); only the tests need it.
ZOO_APT_EXTRA="${ZOO_APT_EXTRA:-} chromium" bash scripts/setup.sh || exit 1
log=$(mktemp)
dotnet test Zoo.sln -c Release --no-build -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -oE "Passed: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE "Failed: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE "Skipped: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then echo "no tests ran" >&2; exit 1; fi
exit "$status"
