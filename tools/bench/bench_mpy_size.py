# Flash cost: the total size of smolnet/ compiled to .mpy by mpy-cross for a
# Cortex-M3/M4 (-march=armv7m: viper code needs an architecture) (the
# form a board runs from a filesystem or freezes), with and without TCP.
# Runs on the unix port (os.system, os.stat); mpy-cross from the venv or
# SMOLNET_MPY_CROSS.
import os

MPY_CROSS = os.getenv("SMOLNET_MPY_CROSS") or ".venv/bin/mpy-cross"
OUT = "/tmp/smolnet-bench-mpy-%d" % os.getpid() if hasattr(os, "getpid") else "/tmp/smolnet-bench-mpy"


def sources(d):
    out = []
    for name, kind, *_ in os.ilistdir(d):
        p = d + "/" + name
        if kind == 0x4000:
            if name != "__pycache__":
                out.extend(sources(p))
        elif name.endswith(".py") and name != "_cpython.py":  # the shim never ships
            out.append(p)
    return out


def compiled_size(path):
    out = OUT + "/" + path.replace("/", "_")[:-3] + ".mpy"
    if os.system("%s -O2 -march=armv7m -o %s %s" % (MPY_CROSS, out, path)) != 0:
        raise SystemExit("mpy-cross failed on " + path)
    return os.stat(out)[6]


def main():
    os.system("mkdir -p " + OUT)
    total = 0
    tcp = 0
    for p in sorted(sources("smolnet")):
        n = compiled_size(p)
        total += n
        if "/tcp" in p or p.endswith("tcp.py") or "/storage/ring" in p or "/storage/assembler" in p:
            tcp += n
    os.system("rm -rf " + OUT)
    print('{"name": "mpy_size_smolnet_total", "value": %d, "unit": "bytes"}' % total)
    print('{"name": "mpy_size_smolnet_without_tcp", "value": %d, "unit": "bytes"}' % (total - tcp))


main()
