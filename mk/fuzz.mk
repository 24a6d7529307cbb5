# make fuzz: the whole-Interface frame fuzzer (host_tests/fuzz_frames.py) for
# longer than `make test` runs it: FUZZ_ITERATIONS mutated frames of every
# protocol smolnet parses from seed FUZZ_SEED into an Interface with live
# sockets, a progress line every 10,000 frames, then the checks (listener
# accepts, live TCP connection and UDP socket byte-exact). A failure prints
# the iteration, the seed and the frame in hex.
#   make fuzz FUZZ_ITERATIONS=3000000 FUZZ_SEED=7
#   make fuzz FUZZ_RUNTIME=cpython          (default: the MicroPython unix port)
FUZZ_ITERATIONS ?= 1000000
FUZZ_SEED       ?= 1
FUZZ_RUNTIME    ?= unix
FUZZ_MICROPYTHON = $(or $(SMOLNET_MICROPYTHON),$(VENV)/bin/micropython)

HELP += "  make fuzz         frame fuzzer, long run (FUZZ_ITERATIONS, FUZZ_SEED, FUZZ_RUNTIME)"

.PHONY: fuzz
fuzz: setup-venv
ifeq ($(FUZZ_RUNTIME),cpython)
	PYTHONPATH=$(CURDIR):$(CURDIR)/host_tests $(PYTHON) host_tests/fuzz_frames.py \
		$(FUZZ_ITERATIONS) $(FUZZ_SEED)
else
	MICROPYPATH=$(CURDIR):$(CURDIR)/host_tests $(FUZZ_MICROPYTHON) host_tests/fuzz_frames.py \
		$(FUZZ_ITERATIONS) $(FUZZ_SEED)
endif
