# The two commands of the quick start: `make play` and `make test`.
# Both build .venv themselves; nothing needs to be installed by hand first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: play test bench sysdeps venv clean

$(VENV)/.base: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
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
