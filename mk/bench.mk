# make bench: every tools/bench/bench_*.py on the MicroPython unix port;
# a table on stdout and bench/results/latest.json.
#   make bench BENCH_ARGS='--runtime wasm'      or a name filter: BENCH_ARGS=fast
BENCH_ARGS ?=

.PHONY: bench
bench: setup-venv setup-npm
	$(PYTHON) tools/bench.py $(BENCH_ARGS)
