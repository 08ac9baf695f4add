# harkit: two commands do everything. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NOTEBOOKS := harkit/notebooks
WHEELHOUSE ?= wheelhouse

.PHONY: report test unit notebooks docs lint fixture wheelhouse bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

## Render the notebooks on the bundled synthetic extract into reports/
report: $(STAMP)
	$(BIN)/harkit report --out reports

## Unit tests, lint and the notebooks (nbval)
test: $(STAMP)
	$(BIN)/ruff check harkit tests benchmarks
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --nbval-lax $(NOTEBOOKS) --nbval-sanitize-with $(NOTEBOOKS)/sanitize.cfg -p no:cacheprovider
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

## The documentation site (warnings are errors) -> docs/_build/html/index.html
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

## Re-execute every notebook on the fixture, keep its .py pair in sync, drop volatile metadata
notebooks: $(STAMP)
	$(BIN)/python -m harkit.report --refresh-notebooks

unit: $(STAMP)
	$(BIN)/python -m pytest tests

lint: $(STAMP)
	$(BIN)/ruff check harkit tests benchmarks

## Regenerate the bundled fixture from the generator (deterministic)
fixture: $(STAMP)
	$(BIN)/python -c "from harkit.datasets import rebuild_fixture; print(rebuild_fixture())"

## For an offline machine: harkit's wheel in dist/, it and every dependency (harkit[report])
## as wheels in $(WHEELHOUSE)/, for this machine's Python and platform (docs/getting-started.md)
wheelhouse: $(STAMP)
	rm -rf dist $(WHEELHOUSE)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	$(BIN)/python -m pip wheel --quiet --wheel-dir $(WHEELHOUSE) "$$(ls dist/harkit-*.whl)[report]"

## Full-size benchmarks (writes benchmarks/data, not committed)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_synth.py
	test -d benchmarks/data/full/csv || $(BIN)/python benchmarks/bench_read.py --write 1300000 benchmarks/data/full
	$(BIN)/python benchmarks/bench_read.py --compare benchmarks/data/full

clean:
	rm -rf $(VENV) .venvs reports dist $(WHEELHOUSE) .pytest_cache .ruff_cache docs/_build docs/generated
