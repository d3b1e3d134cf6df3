# Public Data Resource Supermarket — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel -q compile -d translations; fi

run: install
	$(BIN)/market init-db
	$(BIN)/market seed-demo --if-empty
	$(BIN)/market serve --host $(HOST) --port $(PORT)

test: install
	scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check market catalog search orders audit opendata jobs tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache
