#!/usr/bin/env bash
# Runs `tandem eval kb` with Python's rank_bm25 beside it on the same corpora and
# queries, in one run: nDCG@10, MRR@10, Recall@5 and queries per second for each.
# rank_bm25 is installed into a throwaway virtual environment.
#   scripts/kb-peers.sh [DATASETS] [extra `tandem eval kb` flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
DATASETS="${1:-${TANDEM_DATASETS:-../shared/datasets}}"
shift || true
VENV="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$VENV")"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check rank_bm25
cargo build --release --quiet -p tandem
target/release/tandem eval kb --datasets "$DATASETS" --peer-python "$VENV/bin/python" "$@"
