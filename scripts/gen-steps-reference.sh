#!/bin/sh
# Regenerates docs/steps.md from the step tables in features/steps (each
# *_steps.go file's []stepDef). TestStepsReference fails until the committed
# docs/steps.md matches them.
set -eu
cd "$(dirname "$0")/.."
go test ./features/steps/ -run '^TestStepsReference$' -count=1 -update
echo "docs/steps.md regenerated"
