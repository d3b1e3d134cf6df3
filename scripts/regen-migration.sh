#!/usr/bin/env bash
# Developer helper: regenerate the single initial migration from the models (until the first release there
# is one migration with a fixed id). Run after adding or changing tables; tests/test_migrations.py checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
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
