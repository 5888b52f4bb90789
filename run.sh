#!/usr/bin/env bash
# The main job on built-in defaults: set up (install what is missing, build in Release), then
# run scripts/main_job.sh: solve for the network that fills the default board, rebuild and
# cost it, export it and run it in the engine. TINYSCALE_BOARD / TINYSCALE_INPUT pick others.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
echo
exec scripts/main_job.sh
