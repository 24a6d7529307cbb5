# smolnet: developer commands.
#
#   make setup        install everything the tests need (idempotent, quick
#                     when done): Debian packages, .venv, node_modules
#   make test         setup, lint (mk/lint.mk), then the whole suite on all three
#                     runtimes in a shuffled order (SHUFFLE below)
#   make test-quick   the portable tests on CPython only (under a minute)
#   make bench        benchmarks on the MicroPython unix port
#   make clean        caches and build output; `make distclean` also drops
#                     .venv and node_modules
#
# Useful variables:
#   make test TEST_JOBS=2       2 pytest-xdist workers (default 1: serial; the
#                               suite took about 4 minutes serially)
#   make test PYTEST_ARGS='-k wire -x'
#   make test SHUFFLE=1234      replay a shuffled order (pytest's header prints
#                               the seed; the default is drawn from the commit
#                               and the date, so CI runs a new order each day;
#                               SHUFFLE=off: file order)
#   SMOLNET_MICROPYTHON=/path/to/micropython   use another unix-port binary
#
# Fragments in mk/*.mk are included at the end: they add their own targets
# and may extend these without editing this file, e.g.
#   APT_EXTRA += qemu-system-arm      (more Debian packages for `make setup`)
#   test: firmware-check              (another prerequisite of `make test`)
#   HELP += "  make firmware     build the board firmware images"

.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV        := .venv
PYTHON      := $(VENV)/bin/python
PYTEST      := $(PYTHON) -m pytest
TEST_JOBS   ?= 1
PYTEST_ARGS ?=
SHUFFLE     ?= $(shell (git rev-parse HEAD 2>/dev/null; date -u +%F) | cksum \
                 | awk '{ print $$1 % 1000000 }')
APT_EXTRA   ?=
HELP        ?=

# -n 0 turns pytest-xdist off (everything runs in one process). With workers,
# each module's tests stay together and in order on one worker (conftest.py
# marks them with an xdist_group), while the runtime cases of test_runtimes.py
# spread out one by one.
ifeq ($(TEST_JOBS),1)
XDIST := -n 0
else
XDIST := -n $(TEST_JOBS) --dist loadgroup
endif

# Portable modules whose header names cpython: what test-quick runs.
PORTABLE_CPYTHON = $(shell awk 'FNR == 1 && /^\# runtimes:/ && / cpython( |$$)/ \
                     { print FILENAME }' host_tests/test_*.py 2>/dev/null)

.PHONY: help setup setup-apt setup-venv setup-npm test test-quick clean distclean

help:
	@awk '/^#/ { sub(/^# ?/, ""); print; next } { exit }' Makefile
	@if [ -n '$(strip $(HELP))' ]; then echo; echo "More targets (mk/*.mk):"; fi
	@for line in $(HELP); do echo "$$line"; done

setup:
	@APT_EXTRA="$(APT_EXTRA)" tools/setup.sh apt venv npm

setup-apt:
	@APT_EXTRA="$(APT_EXTRA)" tools/setup.sh apt

setup-venv:
	@tools/setup.sh venv

setup-npm:
	@tools/setup.sh npm

test: setup
	$(PYTEST) $(XDIST) $(if $(filter off,$(SHUFFLE)),,--shuffle=$(SHUFFLE)) $(PYTEST_ARGS) host_tests

test-quick: setup-venv
	$(PYTEST) -n 0 $(PYTEST_ARGS) $(PORTABLE_CPYTHON)

clean:
	find . \( -path ./$(VENV) -o -path ./node_modules -o -path ./.git \) -prune \
	    -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache .hypothesis build bench/results

distclean: clean
	rm -rf $(VENV) node_modules

include $(sort $(wildcard mk/*.mk))
