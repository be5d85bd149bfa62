# The README's two commands: `make serve` (options in ARGS: make serve ARGS="--port 18777") and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed chromium

# The HTML graph's tests drive Debian's Chromium through Playwright (whose own browser
# download is not used): installed here when missing and apt-get can do it.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "make: $(CHROMIUM) is missing (the browser tests need it: HTML graph, web console): apt-get install chromium" >&2; \
	  fi; \
	fi

serve: install
	$(VENV)/bin/iamd serve $(ARGS)

test: install
	$(PY) -m pytest

.PHONY: install chromium serve test
