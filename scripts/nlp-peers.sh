#!/usr/bin/env bash
# Runs Tandem's message understanding and its Python peers side by side on the same
# dev data, in one run, and prints accuracy and messages/s for each with ratios:
#   vaderSentiment (sentiment), langdetect (language), scikit-learn TF-IDF + logistic
#   regression (intent, fit on the same training data).
# The peers are installed into a throwaway virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
DATASETS="${1:-${TANDEM_DATASETS:-../shared/datasets}}"
VENV="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$VENV")"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check vaderSentiment langdetect scikit-learn
cargo build --release --quiet -p tandem
LANGS="$(target/release/tandem eval nlp --datasets "$DATASETS" --print-languages)"
target/release/tandem eval nlp --datasets "$DATASETS" --json > "$(dirname "$VENV")/tandem.json"
"$VENV/bin/python" scripts/nlp_peers.py "$DATASETS" "$LANGS" 200 > "$(dirname "$VENV")/peers.jsonl"
"$VENV/bin/python" scripts/nlp_compare.py "$(dirname "$VENV")/tandem.json" "$(dirname "$VENV")/peers.jsonl"
