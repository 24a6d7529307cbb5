# Real MicroPython firmware for the two QEMU boards, built from the MicroPython
# v1.28.0 source in ../shared/micropython (see its README), and run under
# qemu-system-arm by the tests (host_tests/test_firmware_qemu.py and the
# interop suites' qemu targets) and by `make qemu-demo`.
#
#   make firmware-qemu            unpack the source once (again only when the
#                                 tarball's checksum changes), build mpy-cross
#                                 and both boards' firmware; make rebuilds only
#                                 what changed
#   make qemu-demo BOARD=MPS2_AN385   build, boot it in a network namespace
#                                 with a TAP, ping it, talk to its REPL (root)
#
# Output: build/qemu/<BOARD>/firmware.elf; the source in build/micropython.
# The port's build notices a frozen file that changed, not one a manifest
# option added or left out: <BOARD>.files holds a checksum of the manifest's
# file list, and a new list regenerates the frozen content.
# Also build/qemu/MPS2_AN385-profile/: the same board with only smolnet's
# board profile frozen (firmware/boards/MPS2_AN385/manifest_profile.py), what
# a board of its class would flash (host_tests/test_firmware_profile.py).
# (GIT_CEILING_DIRECTORIES: the source is no git checkout, so its version
# line says v1.28.0, not this repository's commit.)
# QEMU_HEAP=<bytes> builds with another heap (own build dir per size: the
# port does not notice a changed MICROPY_HEAP_SIZE); the default is the
# port's own, 140 KiB on MPS2_AN385 as on a real board of its class.
MPY_TARBALL ?= $(abspath ../shared/micropython/micropython-1.28.0-qemu.tar.xz)
MPY_SRC     := build/micropython
QEMU_BOARDS := MPS2_AN385 QEMU_SABRELITE
# build name : board directory : manifest in it
QEMU_BUILDS := MPS2_AN385:MPS2_AN385:manifest.py QEMU_SABRELITE:QEMU_SABRELITE:manifest.py \
               MPS2_AN385-profile:MPS2_AN385:manifest_profile.py
QEMU_HEAP   ?=
QEMU_JOBS   ?= 2
QEMU_OUT     = build/qemu/$(1)$(if $(QEMU_HEAP),-heap$(QEMU_HEAP))

APT_EXTRA += gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
HELP += "  make firmware-qemu  build both QEMU boards' firmware from ../shared/micropython"
HELP += "  make qemu-demo BOARD=MPS2_AN385|QEMU_SABRELITE  boot it, ping it, use its REPL"

.PHONY: firmware-qemu qemu-demo mpy-src

# the stamp holds the tarball's SHA-256: a new tarball unpacks afresh
mpy-src:
	@want="$$(sha256sum < '$(MPY_TARBALL)' | cut -d' ' -f1)" || exit 1; \
	have="$$(cat $(MPY_SRC)/.smolnet-src.sha256 2>/dev/null)"; \
	if [ "$$want" != "$$have" ]; then \
		echo "qemu: unpacking $(MPY_TARBALL)"; \
		rm -rf $(MPY_SRC) build/qemu && mkdir -p build && \
		tar -xJf '$(MPY_TARBALL)' -C build && \
		echo "$$want" > $(MPY_SRC)/.smolnet-src.sha256; \
	fi

firmware-qemu: setup-apt mpy-src
	@$(MAKE) -s -C $(MPY_SRC)/mpy-cross -j$(QEMU_JOBS) >build/mpy-cross.log 2>&1 || \
		{ tail -30 build/mpy-cross.log; exit 1; }
	@for spec in $(QEMU_BUILDS); do \
		IFS=: read -r b dir man <<< "$$spec"; \
		out="$(CURDIR)/$(call QEMU_OUT,$$b)"; mkdir -p build/qemu; \
		files="$$(python3 tools/manifest_files.py firmware/boards/$$dir/$$man | sha256sum)"; \
		if [ "$$files" != "$$(cat "$$out.files" 2>/dev/null)" ]; then \
			rm -f "$$out/frozen_content.c"; echo "$$files" > "$$out.files"; fi; \
		. <(sed -n 's/^\(SMOLNET_[A-Z_]*\) *:= *\(.*\)/\1=\2/p' firmware/boards/$$dir/board.mk); \
		GIT_CEILING_DIRECTORIES=$(CURDIR)/build $(MAKE) -s -C $(MPY_SRC)/ports/qemu -j$(QEMU_JOBS) BOARD=$$SMOLNET_MPY_BOARD \
			BUILD="$$out" FROZEN_MANIFEST=$(CURDIR)/firmware/boards/$$dir/$$man \
			$(if $(QEMU_HEAP),MICROPY_HEAP_SIZE=$(QEMU_HEAP)) >"$$out.log" 2>&1 \
			|| { tail -40 "$$out.log"; echo "qemu: $$b failed ($$out.log)"; exit 1; }; \
		echo "qemu: $$b firmware $$(stat -c %s "$$out/firmware.elf") bytes: $(call QEMU_OUT,$$b)/firmware.elf"; \
	done

qemu-demo: firmware-qemu setup-venv
	@if [ -z "$(BOARD)" ]; then echo "set BOARD=MPS2_AN385 or BOARD=QEMU_SABRELITE" >&2; exit 2; fi
	$(PYTHON) tools/qemu_demo.py $(BOARD)

test: firmware-qemu
