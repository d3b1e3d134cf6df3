#!/usr/bin/env bash
# Developer helper: regenerate the single initial migration from the models (until the first release there
# is one migration with a fixed id). Run after adding or changing tables; tests/test_migrations.py checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
OLD=market/migrations/versions/65f85794cf02_initial_schema.py
cp "$OLD" "$TMP/previous.py"
# on any failure put the previous migration back: never leave the tree without one
trap 'status=$?; if [ $status -ne 0 ]; then cp "$TMP/previous.py" "$OLD"; echo "regeneration failed; previous migration kept" >&2; fi; rm -rf "$TMP"' EXIT
rm -f market/migrations/versions/65f85794cf02_*.py
MARKET_DATA_DIR="$TMP" .venv/bin/python - <<'PY'
from market import create_app
from market.db import db
from market.dbmigrate import make_revision

app = create_app()
with app.app_context():
    make_revision("initial schema")
PY
.venv/bin/ruff check --fix -q market/migrations/versions >/dev/null || true
ls market/migrations/versions/
