# Two commands on a fresh machine with Python 3.11 or newer:
#   make site   builds the site into site/ from datapackages/ and site_src/ (installs what it needs first)
#   make test   runs the whole test suite (installs what it needs first)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-requirements

.PHONY: site test validate serve clean browser audit

# `make site PUBLISH=1` builds the public site: without the whole git history (a shallow clone) it
# fails, where a preview only warns that earlier versions are missing.
site: $(STAMP)
	$(PY) build.py build $(if $(PUBLISH),--publish)

serve: $(STAMP)
	$(PY) build.py serve

validate: $(STAMP)
	$(PY) build.py validate --strict

# Two workers (the machines we run on have 2 cores); each test file runs whole in one worker, so a
# module's shared build is made once.
test: $(STAMP) browser
	$(PY) -m pytest -n 2 --dist loadfile

# The browser tests drive Debian's Chromium (nothing here can download a browser). Install it when it
# is missing and apt-get is there; elsewhere the tests say how to install one.
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian's chromium for the browser tests"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	fi

# Lighthouse scores of three pages of a freshly built site (an audit, not a gate: exits 0 whatever the
# scores). Installs the Lighthouse pinned in tools/package-lock.json into .build/audit/ on first use.
audit: $(STAMP)
	$(PY) tools/audit.py

# The virtual environment is made again whenever requirements.txt changes.
$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) site .build .pytest_cache
