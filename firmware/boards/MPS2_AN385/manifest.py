# Arm MPS2 AN385 (Cortex-M3) as emulated by qemu-system-arm -M mps2-an385
# smolnet + the lan9118 driver (boards/lan9118/) for MicroPython's qemu port.
#
# From the smolnet checkout:
#     make firmware BOARD=MPS2_AN385 MPY_DIR=/path/to/micropython
# which runs, in the MicroPython checkout:
#     make -C ports/qemu BOARD=MPS2_AN385 FROZEN_MANIFEST=<smolnet>/firmware/boards/MPS2_AN385/manifest.py
#
# Option, for a manifest that includes this one:
#     include("<smolnet>/firmware/boards/MPS2_AN385", main=False)
# main=False leaves out main.py, the example app next to this file;
# asyncio=False, aiorepl=False, tools=False leave out what ../../qemu_extras.py
# describes (MicroPython's asyncio, aiorepl, smolnet's test server). All on by
# default: this firmware has no filesystem, so a frozen module is the only way
# to have the app on board. The qemu port does not run main.py at boot: type
# `import main` at the REPL.
# all=True (the default here: the test suite uses every part, and the test
# server needs apps and debug) freezes all of smolnet; all=False with
# tools=False is the board profile, the options of ../../manifest.py
# (ipv6=True, ...) adding parts to it.
# lines=True (the default here, a test firmware) keeps line numbers in
# tracebacks; lines=False freezes as a board would (../../manifest.py).
import os
import sys

options.defaults(main=True, asyncio=True, aiorepl=True, tools=True, all=True, lines=True)
sys.path.insert(0, os.path.abspath("../.."))
import smolnet_files  # noqa: E402

# smolnet itself, with the parts asked for (the qemu port's own default
# manifest freezes only its test modules: nothing to keep)
include("../../manifest.py", all=options.all, arch=smolnet_files.board_arch(os.path.abspath(".")),
        lines=options.lines, **{name: getattr(options, name) for name in smolnet_files.OPTIONS})

# the driver and the parts of boards/ it imports (firmware/smolnet_files.py);
# paths are relative to this file: the repo is three up
_ROOT = "../../.."

for _path in smolnet_files.driver_files("lan9118", os.path.abspath(_ROOT)):
    module(_path, base_path=_ROOT, opt=None if options.lines else 3)

include("../../qemu_extras.py", asyncio=options.asyncio, aiorepl=options.aiorepl,
        tools=options.tools)

if options.main:
    module("main.py")  # the example app in this directory
