# WIZnet W5500-EVB-Pico (RP2040 with an on-board W5500)
# smolnet + the w5500 driver (boards/w5500/) for MicroPython's rp2 port.
#
# From the smolnet checkout:
#     make firmware BOARD=W5500_EVB_PICO MPY_DIR=/path/to/micropython
# which runs, in the MicroPython checkout:
#     make -C ports/rp2 BOARD=W5500_EVB_PICO FROZEN_MANIFEST=<smolnet>/firmware/boards/W5500_EVB_PICO/manifest.py
#
# Option, for a manifest that includes this one:
#     include("<smolnet>/firmware/boards/W5500_EVB_PICO", main=True)
# main=True also freezes main.py, the example app next to this file. Off by
# default: a frozen main.py runs at every boot and takes precedence over a
# main.py on the board's filesystem, so the board could not be given another
# app without a new firmware. `make deploy ... APP=1` copies it instead.
# lines=True keeps line numbers in tracebacks (about 8% more flash;
# ../../manifest.py).
import os
import sys

options.defaults(main=False, lines=False)
# what the rp2 port freezes when no FROZEN_MANIFEST is given (asyncio, ...)
include("$(PORT_DIR)/boards/manifest.py")
sys.path.insert(0, os.path.abspath("../.."))
import smolnet_files  # noqa: E402

# smolnet itself: the board profile, and the parts a manifest including this
# one asks for (ipv6=True, ...: ../../manifest.py)
include("../../manifest.py", all=options.all, arch=smolnet_files.board_arch(os.path.abspath(".")),
        lines=options.lines, **{name: getattr(options, name) for name in smolnet_files.OPTIONS})

# the driver and the parts of boards/ it imports (firmware/smolnet_files.py);
# paths are relative to this file: the repo is three up
_ROOT = "../../.."

for _path in smolnet_files.driver_files("w5500", os.path.abspath(_ROOT)):
    module(_path, base_path=_ROOT, opt=None if options.lines else 3)

if options.main:
    module("main.py")  # the example app in this directory
