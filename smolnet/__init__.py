# smolnet: an allocation-free TCP/IP stack for MicroPython.
#
# Importing the package is cheap on purpose: on a board only the modules a
# program names are loaded. Under CPython the shim below first installs the
# pieces of MicroPython (micropython.const/viper, time.ticks_*) the stack uses.
import sys

if sys.implementation.name != "micropython":
    from . import _cpython  # noqa: F401  (installs the shim)

__version__ = "0.1.0"
