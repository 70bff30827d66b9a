# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
export PORT
# Two workers: the machines have two cores; each worker has its own test database.
# --route-coverage fails the run when a URL pattern was never requested (tests/route_coverage.py).
PYTEST_ARGS ?= -n 2 --dist loadfile --route-coverage

.PHONY: run test lint bench eval-assist install migrate seed clean backup restore

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	bin/dev-run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: install lint
	bin/ensure-browser
	$(PY) manage.py makemigrations --check --dry-run --settings=portal.settings.test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# N requests (default 100,000): make bench BENCH_ARGS="--requests 1000000"
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

# The assistant measured on bench/assist/eval-set.json into bench/ASSIST.md; fails under the floors.
eval-assist: install
	$(PY) bench/assist/evaluate.py --check $(EVAL_ARGS)

# One archive of the database and the uploads in var/backups/ (safe while the portal runs).
backup: install
	$(PY) manage.py backup_portal

# make restore BACKUP=var/backups/portal-20260101T020000Z.tar [YES=1]; stop the portal first.
restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/portal-<time>.tar [YES=1]" >&2; exit 2; }
	$(PY) manage.py restore_portal "$(BACKUP)" $(if $(YES),--yes,)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
