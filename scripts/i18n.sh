#!/usr/bin/env bash
# Refresh the translation catalogs after user-facing text changed: extract every _() / gettext / _l
# string (the Chinese source) from the packages and templates into translations/messages.pot, merge it
# into translations/<lang>/LC_MESSAGES/messages.po, and list the messages that still need a translation.
# Then translate those in the .po file and run `make translations` (tests/market/test_i18n.py fails
# while any message is untranslated).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
LANGS=(en)

# Extraction walks the repository root (babel.cfg patterns are relative to it), so skip what is not app
# code: tests, benchmarks, docs, the venv and other dot-folders, build output.
"$BIN/pybabel" -q extract -F babel.cfg -k _l -k lazy_gettext -c TRANSLATORS: \
  --ignore-dirs='.* ._ tests bench docs scripts static translations instance build dist *.egg-info node_modules' \
  --add-location=file --no-wrap --project='Public Data Resource Supermarket' \
  -o translations/messages.pot .

for lang in "${LANGS[@]}"; do
  po="translations/$lang/LC_MESSAGES/messages.po"
  if [ -f "$po" ]; then
    # no fuzzy matching: a guessed translation of a similar Chinese sentence is usually wrong
    "$BIN/pybabel" -q update -i translations/messages.pot -d translations -l "$lang" \
      --no-fuzzy-matching --ignore-obsolete --no-wrap
  else
    "$BIN/pybabel" -q init -i translations/messages.pot -d translations -l "$lang" --no-wrap
  fi
done

"$BIN/python" - "${LANGS[@]}" <<'EOF'
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

for lang in sys.argv[1:]:
    path = f"translations/{lang}/LC_MESSAGES/messages.po"
    with open(path, "rb") as fh:
        catalog = read_po(fh)
    # translations written by parallel work as translations/pending/*.json ({"中文": "English"}) are merged
    # into the catalog and their files removed once every message in them found its place
    pending = sorted(Path("translations/pending").glob("*.json")) if lang == "en" else []
    for file in pending:
        table = json.loads(file.read_text(encoding="utf-8"))
        placed = 0
        for msgid, text in table.items():
            if msgid in catalog and text:
                catalog[msgid].string = text
                placed += 1
        print(f"{file}: {placed}/{len(table)} translations placed")
        if placed == len(table):
            file.unlink()
    if pending:
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=0, ignore_obsolete=True)
    todo = [m for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    print(f"{path}: {len(catalog)} messages, {len(todo)} to translate")
    for m in todo:
        where = ", ".join(sorted({f for f, _ in m.locations}))
        print(f"  {m.id!r}  ({where})")
EOF
