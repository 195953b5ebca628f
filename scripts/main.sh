#!/usr/bin/env bash
# The main job: set up, load the real data (or fetch it), and write the evidence report
# for the worked example (the Wigan Deal) to out/wigan-deal/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PLACEIMPACT_STORE=${PLACEIMPACT_STORE:-placeimpact.duckdb}
PI=.venv/bin/placeimpact
if [ -d ../shared/data ]; then
  $PI data load --from ../shared/data
else
  $PI data fetch
fi
$PI data status
if [ -f frameworks/wigan-deal.yaml ] && $PI evaluate --help >/dev/null 2>&1; then
  $PI evaluate frameworks/wigan-deal.yaml --out out/wigan-deal
else
  $PI series --area Wigan --indicator ons-els:preventable-cardiovascular-mortality-england
  $PI series --area England --indicator ons-els:preventable-cardiovascular-mortality-england
fi
