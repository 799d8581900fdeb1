# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench bench-full bench-wrk bench-switch clean fuzz fuzz-ci constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs pin every dependency to constraints.txt: two runs of CI install the same versions.
CONSTRAINTS := constraints.txt

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@ $(VENV)/.installed

## constraints: re-resolve pyproject.toml's ranges to today's newest versions into
## constraints.txt (in a scratch venv); then run make test and commit both.
CONSTRAINTS_VENV := .venv-constraints
constraints:
	rm -rf $(CONSTRAINTS_VENV)
	$(PYTHON) -m venv $(CONSTRAINTS_VENV)
	$(CONSTRAINTS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CONSTRAINTS_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '/^#/!q;p' $(CONSTRAINTS) \
		| sed "s/resolved pyproject.toml's ranges on [0-9-]*/resolved pyproject.toml's ranges on $$(date -u +%F)/"; \
		$(CONSTRAINTS_VENV)/bin/python -m pip freeze --exclude-editable; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(CONSTRAINTS_VENV)

## run: install, migrate ./callrec.db, seed the demo if empty, serve on 127.0.0.1:8080
## (make run PORT=9000 HOST=0.0.0.0; or CALLREC_PORT / CALLREC_HOST in the environment)
run: $(VENV)/.installed
	$(BIN)/callrec db upgrade
	$(BIN)/callrec demo $(if $(PORT),--port $(PORT))
	$(BIN)/callrec serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

## test: install the dev dependencies, lint, run the whole test suite
## (TEST_WORKERS processes: most tests wait on servers and subprocesses, not the CPU;
## worksteal: a process that runs out of tests takes queued ones from a busy one)
TEST_WORKERS ?= 3
test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench fuzz
	$(BIN)/ruff format --check src tests bench fuzz
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench fuzz
	$(BIN)/ruff format --check src tests bench fuzz

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench fuzz
	$(BIN)/ruff check --fix src tests bench fuzz

## bench: every benchmark of issue 6, quick mode (200k calls, a few minutes);
## BENCH_MODE=full (or make bench-full) for 10M calls. Results in bench/results/.
BENCH_MODE ?= quick
bench: $(VENV)/.installed bench-wrk bench-switch
	BENCH_MODE=$(BENCH_MODE) $(BIN)/python -m bench.run

bench-full: $(VENV)/.installed bench-wrk bench-switch
	BENCH_MODE=full $(BIN)/python -m bench.run

# The load generator: the Debian package, installed when missing and running as root.
bench-wrk:
	@command -v wrk >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; \
	else \
		echo "make bench needs wrk: sudo apt-get install wrk (Debian/Ubuntu) or brew install wrk" >&2; \
		exit 1; \
	fi

# The Kamailio case (issue 16): Kamailio and SIPp from Debian, installed when missing and
# running as root; otherwise the case is skipped with a line saying how to install them.
SWITCH_PACKAGES := kamailio kamailio-json-modules kamailio-utils-modules sip-tester
bench-switch:
	@command -v kamailio >/dev/null 2>&1 && command -v sipp >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get install -y $(SWITCH_PACKAGES) || { apt-get update && apt-get install -y $(SWITCH_PACKAGES); }; \
	fi; exit 0

## fuzz: every atheris target for FUZZ_SECONDS each (default 300); fuzz-ci: 15 s each.
## A crash stops the run and leaves its input in fuzz/crashes/.
FUZZ_TARGETS := query_page freeswitch asterisk_csv tabular_jsonl tabular_csv tabular_batch push_url
FUZZ_SECONDS ?= 300
fuzz: $(VENV)/.installed-dev
	@mkdir -p fuzz/logs
	@for target in $(FUZZ_TARGETS); do \
		echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
		$(BIN)/python -m fuzz.run $$target --seconds $(FUZZ_SECONDS) -print_final_stats=1 \
			2>fuzz/logs/$$target.log || { tail -n 40 fuzz/logs/$$target.log; exit 1; }; \
		grep -h "DONE" fuzz/logs/$$target.log; \
	done

fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=15

clean:
	rm -rf $(VENV) $(CONSTRAINTS_VENV) .pytest_cache .ruff_cache
