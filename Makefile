# The two commands in the README: `make run` and `make test`. Both bootstrap first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Local runs and tests: debug settings with a generated key under var/ (never for production).
export DEBUG ?= true

# Debian packages: WeasyPrint's libraries, poppler's PDF tools, Chromium for browser tests,
# and libmagic1 for python-magic (evidence type sniffing).
SYSTEM_PACKAGES := chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libmagic1

.PHONY: setup system-packages run test lint format

setup: system-packages $(VENV)/.installed var/local.env

# Local runs only: lets `.venv/bin/python manage.py …` work as the README shows it.
var/local.env:
	mkdir -p -m 700 var
	printf '# Written by make for local runs; a server never has this file.\nDEBUG=true\n' > $@
	chmod 600 $@

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,production]"
	touch $@

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing system packages:" $$missing; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Missing system packages (install them as root):" $$missing >&2; \
		fi; \
	fi

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo  # loads the control catalog too
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
