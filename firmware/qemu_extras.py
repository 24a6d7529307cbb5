# What the two QEMU boards (MPS2_AN385, QEMU_SABRELITE) freeze beside smolnet
# and their driver; included by their manifests with their options:
#
#   asyncio=True  MicroPython's own asyncio, all in Python: the qemu port is
#                 built with MICROPY_PY_ASYNCIO 0 (no C _asyncio), so task.py
#                 is frozen too. smolnet.aio and asyncio streams over
#                 smolnet.compat.socket need it.
#   aiorepl=True  micropython-lib's aiorepl (needs asyncio): a REPL that runs
#                 as an asyncio task, so the stack keeps being polled while a
#                 person types (smolnet.repl.serve() starts both).
#   tools=True    tools/server.py and tools/common.py, smolnet's test server,
#                 as top-level modules `server` and `common`: the kernel-side
#                 interop suite runs against this firmware as against the
#                 unix port (host_tests/targets.py).
# A manifest runs with its own directory as the working directory.
options.defaults(asyncio=True, aiorepl=True, tools=True)

if options.asyncio:
    package("asyncio", ("__init__.py", "core.py", "event.py", "funcs.py", "lock.py",
                        "stream.py", "task.py"), base_path="$(MPY_DIR)/extmod", opt=3)
if options.aiorepl:
    module("aiorepl.py", base_path="$(MPY_LIB_DIR)/micropython/aiorepl")
if options.tools:
    module("common.py", base_path="../tools")
    module("server.py", base_path="../tools")
