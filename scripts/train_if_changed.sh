#!/usr/bin/env bash
# Trains a model when the training data, domain, config or NLU components changed; prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

fingerprint=$(
  find config.yml domain.yml data components bot/language.py bot/settings.py -type f \
    \( -name '*.yml' -o -name '*.yaml' -o -name '*.py' \) -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12
)
model="models/claims-$fingerprint.tar.gz"
if [ ! -f "$model" ]; then
  echo "Training the model (data or config changed) ..." >&2
  start=$(date +%s)
  .venv/bin/rasa train --fixed-model-name "claims-$fingerprint" --out models >&2
  echo "Trained in $(( $(date +%s) - start )) s: $model ($(du -h "$model" | cut -f1))" >&2
fi
ln -sf "claims-$fingerprint.tar.gz" models/current.tar.gz
echo "$model"
