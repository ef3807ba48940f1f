#!/usr/bin/env bash
# The GPU check in one command, on a machine with one CUDA GPU (bench/gpu_check.py says what
# it runs). Results: $OUT/gpu_check.{json,md}, or ./gpu_check without $OUT.
#   bash bench/gpu_check.sh [/path/to/shared/data]
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python bench/gpu_check.py --data "${1:-../shared/data}" --out "${OUT:-gpu_check}" --budget 570
