# The README's two commands: `make serve` (options in ARGS: make serve ARGS="--port 18777") and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

serve: install
	$(VENV)/bin/iamd serve $(ARGS)

test: install
	$(PY) -m pytest

.PHONY: install serve test
