# The two commands of the quick start: `make play` and `make test`.
# Both build .venv themselves; nothing needs to be installed by hand first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: play test bench sysdeps venv clean

# A venv without pip (python3-venv was missing when it was made) is made again.
$(VENV)/.base: pyproject.toml
	@$(PY) -m pip --version >/dev/null 2>&1 || { sh tools/sysdeps.sh venv $(PYTHON) && $(PYTHON) -m venv --clear $(VENV); }
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	@touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) install -e '.[test]'
	@touch $@

venv: $(VENV)/.base

# espeak-ng gives the customer a voice; Graphviz draws branch graphs as SVG/PNG.
# Both are optional: without them the simulator shows captions and writes DOT/Mermaid.
sysdeps:
	@sh tools/sysdeps.sh

play: sysdeps $(VENV)/.base
	$(VENV)/bin/defuse play $(ARGS)

test: sysdeps $(VENV)/.test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
