# Two commands on a fresh machine with Python 3.11 or newer:
#   make site   builds the site into site/ from datapackages/ and site_src/ (installs what it needs first)
#   make test   runs the whole test suite (installs what it needs first)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-requirements

.PHONY: site test validate serve clean

site: $(STAMP)
	$(PY) build.py build

serve: $(STAMP)
	$(PY) build.py serve

validate: $(STAMP)
	$(PY) build.py validate --strict

test: $(STAMP)
	$(PY) -m pytest

# The virtual environment is made again whenever requirements.txt changes.
$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) site .build .pytest_cache
