#!/usr/bin/env bash
# The main job on built-in defaults: set up, build, then build and cost the default PhiNet
# (micromind's PhiNet((3, 224, 224))) and a XiNet.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

echo
echo "== tinyscale net phinet --input 3x224x224 (micromind's default PhiNet)"
build/cli/tinyscale net phinet --input 3x224x224
echo
echo "== tinyscale net xinet --input 3x96x96 --alpha 0.5 --include-top --num-classes 10"
build/cli/tinyscale net xinet --input 3x96x96 --alpha 0.5 --include-top --num-classes 10 | tail -n 5
