"""Firmware and deployment (CPython only: runs tools, mpy-cross, the unix port).

- every freeze manifest (firmware/manifest.py, firmware/boards/*/manifest.py)
  is run the way MicroPython's build runs it (tools/manifest_files.py stands
  in for tools/manifestfile.py); each file it names exists and compiles with
  mpy-cross for the board's architecture;
- mip-packages/ is in sync with the tree (tools/gen_mip.py --check);
- mip really installs each package on the MicroPython unix port from a local
  http.server, offline, and what it installed works (a ping between two
  Interfaces on a Loopback pair, each driver imports);
- make deploy (mpremote mip install from the checkout + import check) against
  the unix port behind a pty; make firmware against a stub MicroPython tree;
- make mpy-sizes prints its tables.

mpy-cross and micropython are found through SMOLNET_MPY_CROSS /
SMOLNET_MICROPYTHON, else .venv/bin, else PATH; the tests fail if absent.
"""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "firmware"))

import gen_mip  # noqa: E402
import manifest_files  # noqa: E402
import mpy_sizes  # noqa: E402
import smolnet_files  # noqa: E402

BOARDS = mpy_sizes.boards()
PORTS = ("rp2", "esp32", "stm32", "mimxrt", "qemu")
MK = os.path.join(ROOT, "mk", "firmware.mk")


def _tool(finder, name, env):
    path = finder()
    if not path:
        pytest.fail("%s not found: set %s=/path/to/%s or run `make setup` (.venv/bin)"
                    % (name, env, name), pytrace=False)
    return path


def mpy_cross():
    return _tool(mpy_sizes.find_mpy_cross, "mpy-cross", "SMOLNET_MPY_CROSS")


def micropython():
    return _tool(mpy_sizes.find_micropython, "micropython", "SMOLNET_MICROPYTHON")


def mpremote():
    return _tool(lambda: mpy_sizes.find_tool("mpremote", "SMOLNET_MPREMOTE"),
                 "mpremote", "SMOLNET_MPREMOTE")


def _rel(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


# --- manifests -------------------------------------------------------------

def test_boards_exist():
    assert len(BOARDS) >= 10, BOARDS


PROFILE = {name: False for name in smolnet_files.OPTIONS}   # the board profile


def test_core_manifest_freezes_the_stack_and_no_host_code():
    # all=True on an ARMv7-M build: every module but the host-only ones and
    # what thumb.py replaces there (smolnet_files.ARCH_NOT)
    res = manifest_files.evaluate(os.path.join(ROOT, "firmware", "manifest.py"), all=True,
                                  arch="armv7m")
    targets = res.targets()
    on_disk = sorted(_rel(os.path.join(d, f))
                     for d, _, fs in os.walk(os.path.join(ROOT, "smolnet"))
                     for f in fs if f.endswith(".py"))
    assert sorted(targets) == sorted(p for p in on_disk if p not in smolnet_files.HOST_ONLY and
                                     smolnet_files.builds_for(p, "armv7m"))
    assert "smolnet/fast/thumb.py" in targets and "smolnet/fast/viper_bulk.py" not in targets
    for e in res.entries:
        assert _rel(e.full_path) == e.target_path  # same path in the tree and on a board
    for host in smolnet_files.HOST_ONLY:
        assert host not in targets
    assert "smolnet/__init__.py" in targets
    assert res.external == [] and res.requires == []


def test_core_manifest_defaults_to_the_board_profile_and_takes_options():
    path = os.path.join(ROOT, "firmware", "manifest.py")
    profile = manifest_files.evaluate(path).targets()
    # no arch given: the architecture-only modules (the Thumb-2 twins) left out
    assert sorted(profile) == sorted(smolnet_files.for_arch(smolnet_files.core_files(**PROFILE), None))
    for must in ("smolnet/iface/interface.py", "smolnet/socket/tcp.py", "smolnet/socket/udp.py",
                 "smolnet/socket/dhcpv4.py", "smolnet/socket/dns.py", "smolnet/compat/socket.py",
                 "smolnet/aio.py"):
        assert must in profile, must
    # network.LAN (and the .local resolver) is the lan option's, not the profile's
    assert "smolnet/compat/network.py" not in profile
    assert smolnet_files.option_files("lan") == ["smolnet/compat/_mdns.py",
                                                 "smolnet/compat/network.py"]
    for name in smolnet_files.OPTIONS:
        files = smolnet_files.option_files(name)
        assert files, name                      # every option names files that exist
        assert not set(files) & set(profile), name
        with_it = manifest_files.evaluate(path, **{name: True}).targets()
        assert sorted(with_it) == sorted(profile + files), name
    # an ARMv7-M build adds them and drops what they replace; another
    # leaves them out. Either runs viper: the pure twins only with debug
    pure = set(smolnet_files.PURE_TWINS)
    assert sorted(manifest_files.evaluate(path, arch="armv7m").targets()) == \
        sorted(set(profile + list(smolnet_files.ARCH_ONLY)) - set(smolnet_files.ARCH_NOT) - pure)
    assert set(smolnet_files.ARCH_NOT) <= set(profile) and pure <= set(profile)
    assert sorted(manifest_files.evaluate(path, arch="xtensawin").targets()) == \
        sorted(set(profile) - pure)
    with_debug = manifest_files.evaluate(path, arch="xtensawin", debug=True).targets()
    assert sorted(with_debug) == sorted(profile + smolnet_files.option_files("debug"))
    with pytest.raises(ValueError):
        smolnet_files.core_files(ipv7=False)
    # without line numbers (-O3) by default; lines=True: the same files with them
    entries = manifest_files.evaluate(path, lines=True).entries
    assert sorted(e.target_path for e in entries) == sorted(profile)
    assert {e.opt for e in entries} == {None}
    assert {e.opt for e in manifest_files.evaluate(path).entries} == {3}


def test_board_profile_modules_import_no_left_out_part():
    # importing any module of the profile works on a firmware without the
    # options (build/qemu/MPS2_AN385-profile boots it: test_firmware_profile.py)
    def name(p):
        n = p[:-3].replace("/", ".")
        return n[:-len(".__init__")] if n.endswith(".__init__") else n
    profile = smolnet_files.core_files(**PROFILE)
    left_out = {name(p) for p in smolnet_files.core_files()} - {name(p) for p in profile}
    from test_import_cycles import _all_imports
    bad = ["%s imports %s" % (p, m) for p in profile
           for m in sorted(_all_imports(name(p), os.path.join(ROOT, p), top_level=True)
                           & left_out)]
    assert not bad, bad


@pytest.mark.parametrize("board", BOARDS)
def test_board_directory_is_complete(board):
    d = os.path.join(ROOT, "firmware", "boards", board)
    cfg = mpy_sizes.board_config(board)
    assert set(cfg) >= {"SMOLNET_PORT", "SMOLNET_MPY_BOARD", "SMOLNET_ARCH", "SMOLNET_DRIVER"}
    assert cfg["SMOLNET_PORT"] in PORTS
    assert cfg["SMOLNET_ARCH"] in mpy_sizes.ARCHES
    assert os.path.isfile(os.path.join(d, "main.py")), "example app missing"
    drv = cfg["SMOLNET_DRIVER"]
    assert drv in smolnet_files.drivers(), (
        "%s uses boards/%s, which is not (yet) a driver package with a Device class" % (board, drv))


def test_every_driver_has_a_firmware_board():
    used = {mpy_sizes.board_config(b)["SMOLNET_DRIVER"] for b in BOARDS}
    missing = [d for d in smolnet_files.drivers() if d not in used]
    assert not missing, "add a firmware/boards/<BOARD>/ for: %s" % ", ".join(missing)


def _compile_all(entries, arch, workdir):
    cross = mpy_cross()

    def one(e):
        if e.kind != "py":
            return None
        out = os.path.join(workdir, arch, e.target_path[:-3] + ".mpy")
        ok, msg = mpy_sizes.compile_mpy(cross, e.full_path, out, arch, e.target_path,
                                          e.opt or 0)
        return None if ok else "%s: %s" % (e.target_path, msg or "no output")

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return [r for r in pool.map(one, entries) if r]


@pytest.mark.parametrize("board", BOARDS)
def test_board_manifest_lists_existing_files_that_compile_for_its_arch(board, tmp_path):
    cfg = mpy_sizes.board_config(board)
    path = os.path.join(ROOT, "firmware", "boards", board, "manifest.py")
    path_vars = None
    if cfg["SMOLNET_PORT"] == "qemu":
        # the QEMU boards freeze MicroPython's asyncio and aiorepl from the
        # shared v1.28.0 source, which `make firmware-qemu` (before the
        # tests in `make test`) unpacks
        mpy = os.path.join(ROOT, "build", "micropython")
        if not os.path.isdir(os.path.join(mpy, "extmod", "asyncio")):
            pytest.fail("no %s: run `make firmware-qemu`" % mpy, pytrace=False)
        path_vars = {"MPY_DIR": mpy, "MPY_LIB_DIR": os.path.join(mpy, "lib", "micropython-lib")}
    try:
        with_app = manifest_files.evaluate(path, path_vars, main=True)
        default = manifest_files.evaluate(path, path_vars)
    except (manifest_files.ManifestError, ValueError) as e:
        pytest.fail("%s: %s" % (board, e), pytrace=False)
    targets = with_app.targets()
    # the stack (all of it on the QEMU boards, which the suite uses whole;
    # the board profile elsewhere), the driver (with what it imports from
    # boards/), the app
    qemu = cfg["SMOLNET_PORT"] == "qemu"
    for p in smolnet_files.for_arch(smolnet_files.core_files(**({} if qemu else PROFILE)),
                                    cfg["SMOLNET_ARCH"], debug=qemu):
        assert p in targets
    # the pure twins on the test firmwares only (debug): a board runs viper
    for p in smolnet_files.PURE_TWINS:
        assert (p in targets) == qemu, p
    # the Thumb-2 twins on ARMv7-M boards only, viper's word loops elsewhere
    for p in list(smolnet_files.ARCH_ONLY) + list(smolnet_files.ARCH_NOT):
        assert (p in targets) == smolnet_files.builds_for(p, cfg["SMOLNET_ARCH"]), p
    if not qemu:
        assert "smolnet/iface/ipv6.py" not in targets
    for p in smolnet_files.driver_files(cfg["SMOLNET_DRIVER"]):
        assert p in targets
    assert "main.py" in targets
    for e in with_app.entries:
        assert os.path.isfile(e.full_path)
    # a frozen main.py would hide the filesystem's: only where there is none
    assert ("main.py" in default.targets()) == (cfg["SMOLNET_PORT"] == "qemu")
    # the only thing not followed here is the port's own default manifest
    expect = [] if cfg["SMOLNET_PORT"] == "qemu" else [("include", "$(PORT_DIR)/boards/manifest.py")]
    assert with_app.external == expect
    # smolnet and the driver without line numbers (-O3) as a board freezes
    # them; the QEMU boards' test firmware keeps them (lines=True)
    ours = [e for e in with_app.entries if e.target_path.startswith(("smolnet/", "boards/"))]
    assert {e.opt for e in ours} == ({None} if qemu else {3})
    with_lines = manifest_files.evaluate(path, path_vars, lines=True).entries
    assert {e.opt for e in with_lines if e.target_path.startswith("smolnet/")} == {None}
    errors = _compile_all(with_app.entries, cfg["SMOLNET_ARCH"], str(tmp_path))
    assert not errors, "mpy-cross -march=%s failed:\n%s" % (cfg["SMOLNET_ARCH"], "\n".join(errors))


def test_mpy_cross_catches_a_broken_file(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n    pass\n")
    e = manifest_files.Entry(str(bad), "bad.py", "py", None)
    errors = _compile_all([e], "armv6m", str(tmp_path))
    assert len(errors) == 1 and "bad.py" in errors[0]


def test_manifest_evaluator_follows_manifestfile_rules(tmp_path):
    # include() of a directory means its manifest.py, paths are relative to
    # the including manifest, options reach the included one, $(VAR)s are
    # substituted, freeze() takes a directory or a script, and unknown
    # variables are reported rather than followed.
    (tmp_path / "lib" / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "lib" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "lib" / "pkg" / "sub" / "m.py").write_text("")
    (tmp_path / "lib" / "pkg" / "notes.txt").write_text("")
    (tmp_path / "lib" / "one.py").write_text("")
    (tmp_path / "lib" / "manifest.py").write_text(
        "options.defaults(extra=False)\n"
        "package('pkg')\n"
        "if options.extra:\n"
        "    module('one.py')\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "s.py").write_text("")
    (tmp_path / "top").mkdir()
    (tmp_path / "top" / "manifest.py").write_text(
        "include('../lib', extra=True)\n"
        "include('../lib')\n"   # a second include of the same manifest is ignored
        "freeze('$(HERE)/scripts', 's.py')\n"
        "include('$(PORT_DIR)/boards/manifest.py')\n"
        "require('unittest')\n")
    res = manifest_files.evaluate(str(tmp_path / "top"), {"HERE": str(tmp_path)})
    assert res.targets() == ["pkg/__init__.py", "pkg/sub/m.py", "one.py", "s.py"]
    assert res.external == [("include", "$(PORT_DIR)/boards/manifest.py")]
    assert res.requires == ["unittest"]
    (tmp_path / "top" / "manifest.py").write_text("module('missing.py')\n")
    with pytest.raises(manifest_files.ManifestError):
        manifest_files.evaluate(str(tmp_path / "top"))


def test_driver_files_follow_imports_within_boards(tmp_path):
    b = tmp_path / "boards"
    for d in ("chip", "common", "other"):
        (b / d).mkdir(parents=True)
    (b / "chip" / "__init__.py").write_text(
        "from boards.common import bus\n"
        "class Chip:\n"
        "    def recv_into(self, buf):\n        return 0\n"
        "    def send(self, buf, n):\n        return True\n")
    (b / "chip" / "fifo.py").write_text("from ..common.pins import P\n")
    (b / "common" / "__init__.py").write_text("")
    (b / "common" / "bus.py").write_text("")
    (b / "common" / "pins.py").write_text("")
    (b / "other" / "__init__.py").write_text("")
    root = str(tmp_path)
    assert smolnet_files.drivers(root) == ["chip"]  # common/other have no Device
    assert smolnet_files.driver_files("chip", root) == [
        "boards/chip/__init__.py", "boards/chip/fifo.py",
        "boards/common/__init__.py", "boards/common/bus.py", "boards/common/pins.py"]
    with pytest.raises(ValueError):
        smolnet_files.driver_files("nothere", root)


# --- the example apps, run against the chip models ----------------------------

APP_PEER_MAC = b"\x02\x00\x00\x00\x77\x77"


def _app_rig(cfg):
    """Fake machine + the model of the board's chip where its main.py looks
    for it (pins, SPI bus, base address); returns the far end of the cable
    as a smolnet Device."""
    drv = cfg["SMOLNET_DRIVER"]
    from chips import membus
    if drv in ("w5500", "enc28j60"):
        from chips import fresh_machine
        from chips.wire import Wire, WireDevice
        m = fresh_machine()
        if cfg["SMOLNET_PORT"] == "esp32":
            spi_id, cs, intp, rst = 2, 5, 4, 16
        else:
            spi_id, cs, intp, rst = 0, 17, 21, 20
        if drv == "w5500":
            from chips.w5500 import W5500 as Model
        else:
            from chips.enc28j60 import ENC28J60 as Model
        model = Model(spi_id, cs, int_pin=intp, rst_pin=rst)
        wire = Wire()
        wire.plug(model)
        peer = wire.plug(WireDevice(APP_PEER_MAC))
    elif drv == "lan9118":
        from chips.lan9118 import LAN9118Model
        m = membus.install()
        peer = membus.PeerDevice(LAN9118Model(base=0x40200000), APP_PEER_MAC)
    elif drv == "stm32eth":
        from chips.stm32eth import STM32EthModel, Stm32SysModel
        m = membus.install()
        Stm32SysModel()
        peer = membus.PeerDevice(STM32EthModel(base=0x40028000), APP_PEER_MAC)
    elif drv == "nxpenet":
        from chips.nxpenet import ENETModel
        m = membus.install()
        qemu = cfg["SMOLNET_PORT"] == "qemu"
        model = ENETModel(base=0x02188000 if qemu else 0x402D8000, phy_addr=6 if qemu else 0)
        peer = membus.PeerDevice(model, APP_PEER_MAC)
    else:
        pytest.fail("no chip-model rig for driver %r: add one to _app_rig" % drv, pytrace=False)
    m.unique_id = lambda: b"\x53\x4d\x4f\x4c\x4e\x45\x54\x21"  # the ports have it
    return peer


class _AppPinged(Exception):
    pass


@pytest.mark.parametrize("board", BOARDS)
def test_example_app_answers_ping_on_the_chip_model(board, monkeypatch):
    # firmware/boards/<BOARD>/main.py, unchanged, with machine faked and the
    # chip modelled: a peer on the model's cable pings the app's ADDRESS.
    # The app sleeps when idle; the fake sleep runs the peer, and ends the
    # app's endless loop once the echo reply is in.
    import time
    from smolnet.iface.interface import Interface
    from smolnet.socket.icmp import IcmpSocket
    from smolnet.wire import ipaddr
    cfg = mpy_sizes.board_config(board)
    if cfg["SMOLNET_DRIVER"] not in smolnet_files.drivers():
        pytest.fail("boards/%s is not there yet" % cfg["SMOLNET_DRIVER"], pytrace=False)
    path = os.path.join(ROOT, "firmware", "boards", board, "main.py")
    with open(path) as f:
        src = f.read()
    m = re.search(r'^ADDRESS = "(\d+\.\d+\.\d+)\.(\d+)/(\d+)"', src, re.M)
    assert m, "main.py has no ADDRESS = \"a.b.c.d/len\""
    app_ip = "%s.%s" % (m.group(1), m.group(2))
    peer = Interface(_app_rig(cfg))
    peer.add_ip("%s.77/%s" % (m.group(1), m.group(3)))
    sock = peer.add_socket(IcmpSocket())
    sock.bind(0x5151)
    sock.send_echo(ipaddr.parse4(app_ip), 1, b"firmware example", 16)
    reply = bytearray(64)
    state = {"sleeps": 0, "now": 0}
    app = {"__name__": "__main__", "__file__": path}
    real_sleep_ms = time.sleep_ms

    def sleep_ms(ms):
        if "iface" not in app:
            return real_sleep_ms(ms)  # a driver's own wait during bring-up
        state["sleeps"] += 1
        state["now"] += 5
        peer.poll(state["now"])
        if sock.recv_into(reply) > 0:
            raise _AppPinged()
        if state["sleeps"] > 500:
            raise AssertionError("no echo reply from the example app")

    monkeypatch.setattr(time, "sleep_ms", sleep_ms)
    with pytest.raises(_AppPinged):
        exec(compile(src, path, "exec"), app)
    assert bytes(reply[8:24]) == b"firmware example"
    assert app["iface"].ips() == ["%s/%s" % (app_ip, m.group(3))]


# --- mip ---------------------------------------------------------------------

def test_gen_mip_check_passes():
    problems = gen_mip.check()
    assert not problems, "mip-packages/ out of date (run: python3 tools/gen_mip.py):\n" + \
        "\n".join(problems)


def test_gen_mip_check_notices_changes(tmp_path):
    # a copy of the tree with one more module: --check must fail, writing fixes it
    for d in ("smolnet", "boards", "firmware"):
        shutil.copytree(os.path.join(ROOT, d), str(tmp_path / d),
                        ignore=shutil.ignore_patterns("__pycache__"))
    out = str(tmp_path / gen_mip.OUT_DIR)
    gen_mip.write(out, gen_mip.wanted(str(tmp_path)), prune=True)
    assert gen_mip.check(str(tmp_path)) == []
    (tmp_path / "smolnet" / "newmod.py").write_text("X = 1\n")
    problems = gen_mip.check(str(tmp_path))
    assert problems and all(p.startswith("stale: ") for p in problems)
    gen_mip.write(out, gen_mip.wanted(str(tmp_path)), prune=True)
    assert gen_mip.check(str(tmp_path)) == []


def _package_files(name):
    import json
    with open(os.path.join(ROOT, gen_mip.OUT_DIR, name, "package.json")) as f:
        doc = json.load(f)
    return doc


def test_mip_packages_point_at_files_in_the_tree():
    names = sorted(os.listdir(os.path.join(ROOT, gen_mip.OUT_DIR)))
    assert "smolnet" in names
    for name in names:
        doc = _package_files(name)
        assert doc["deps"] == [] and doc["version"] == gen_mip.version()
        base = os.path.join(ROOT, gen_mip.OUT_DIR, name)
        for target, url in doc["urls"]:
            assert url == "../../" + target
            assert os.path.isfile(os.path.normpath(os.path.join(base, url))), url
        targets = [t for t, _ in doc["urls"]]
        assert "smolnet/__init__.py" in targets
        assert not set(targets) & set(smolnet_files.HOST_ONLY)


class HttpServer:
    """python3 -m http.server on 127.0.0.1, a free port, serving the checkout;
    stopped by its PID."""

    def __init__(self, directory):
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
             "--directory", directory],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"port (\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("http.server did not start: %r" % line)
        self.url = "http://127.0.0.1:%s" % m.group(1)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            self.proc.wait(10)


# Run on the unix port from the install directory only (no checkout on the
# path): a ping between two Interfaces on a Loopback pair.
CHECK_CORE = """
import sys
import smolnet
from smolnet import config
assert config.__file__.startswith(TARGET), config.__file__
from smolnet.phy.loopback import Loopback
from smolnet.iface.interface import Interface
from smolnet.socket.icmp import IcmpSocket
from smolnet.wire import ipaddr
a, b = Loopback.pair()
ia = Interface(a)
ib = Interface(b)
ia.add_ip("192.0.2.1/24")
ib.add_ip("192.0.2.2/24")
s = ia.add_socket(IcmpSocket())
s.bind(7)
s.send_echo(ipaddr.parse4("192.0.2.2"), 1, b"smolnet", 7)
now = 0
for _ in range(10):
    ia.poll(now)
    ib.poll(now)
    now += 10
buf = bytearray(64)
n = s.recv_into(buf)
assert n == 15 and bytes(buf[8:15]) == b"smolnet", n
print("PING OK", smolnet.__version__)
"""

CHECK_DRIVER = """
import boards.{chip}
assert boards.{chip}.__path__.startswith(TARGET), boards.{chip}.__path__
print("IMPORT OK {chip}")
"""


def _run_check(upy, target, script, workdir):
    # a directory of its own: the script's directory is first on sys.path
    workdir = os.path.join(workdir, "check")
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "check.py")
    with open(path, "w") as f:
        f.write("TARGET = %r\n" % target + script)
    env = dict(os.environ, MICROPYPATH=target)
    return subprocess.run([upy, path], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=60)


def test_mip_install_on_unix_port_from_local_http_server(tmp_path):
    # The unix port's mip takes http(s)://, github: and gitlab: URLs only (no
    # file paths), so the checkout is served on 127.0.0.1: still offline.
    # micropython runs in a scratch directory: '' is first on its sys.path.
    upy = micropython()
    server = HttpServer(ROOT)
    try:
        for name in sorted(os.listdir(os.path.join(ROOT, gen_mip.OUT_DIR))):
            # what the committed package.json lists (staleness is another test's)
            files = [t for t, _ in _package_files(name)["urls"]]
            target = str(tmp_path / "pkgs" / name / "lib")
            url = "%s/%s/%s/package.json" % (server.url, gen_mip.OUT_DIR, name)
            p = subprocess.run([upy, "-m", "mip", "install", "--target", target, url],
                               cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
            out = p.stdout + p.stderr
            # mip exits 0 even when it fails: judge by what it says and did
            assert "Done" in out and "not found" not in out.lower(), out
            got = sorted(_rel_to(target, d, f) for d, _, fs in os.walk(target) for f in fs)
            assert got == sorted(files), name
            for rel in files:
                with open(os.path.join(target, rel), "rb") as a, \
                        open(os.path.join(ROOT, rel), "rb") as b:
                    assert a.read() == b.read(), rel
            r = _run_check(upy, target, CHECK_CORE, str(tmp_path))
            assert "PING OK" in r.stdout, r.stdout + r.stderr
            if name != "smolnet":
                chip = name[len("smolnet-"):]
                r = _run_check(upy, target, CHECK_DRIVER.format(chip=chip), str(tmp_path))
                assert ("IMPORT OK " + chip) in r.stdout, r.stdout + r.stderr
    finally:
        server.stop()


def test_mip_install_of_precompiled_packages_on_unix_port(tmp_path):
    # gen_mip.py --mpy (make deploy MPY=1): .mpy files for the board's arch;
    # here x64, the unix port's, so the installed bytecode and viper machine
    # code can be imported and run.
    upy = micropython()
    out = str(tmp_path / "mpy")
    texts = gen_mip.compiled(out, "x64")
    name = sorted(n for n in (t.split("/")[0] for t in texts) if n != "smolnet")[0]
    server = HttpServer(out)
    try:
        target = str(tmp_path / "lib")
        url = "%s/%s/package.json" % (server.url, name)
        p = subprocess.run([upy, "-m", "mip", "install", "--target", target, url],
                           cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
        assert "Done" in p.stdout and "not found" not in p.stdout.lower(), p.stdout + p.stderr
    finally:
        server.stop()
    want = sorted(f[:-3] + ".mpy" for f in smolnet_files.for_arch(gen_mip.packages()[name], "x64"))
    got = sorted(_rel_to(target, d, f) for d, _, fs in os.walk(target) for f in fs)
    assert got == want
    r = _run_check(upy, target, CHECK_CORE + "from smolnet.fast import IMPL\nprint(IMPL)\n",
                   str(tmp_path))
    assert "PING OK" in r.stdout and "viper" in r.stdout, r.stdout + r.stderr
    chip = name[len("smolnet-"):]
    r = _run_check(upy, target, CHECK_DRIVER.format(chip=chip), str(tmp_path))
    assert ("IMPORT OK " + chip) in r.stdout, r.stdout + r.stderr


def _rel_to(top, d, f):
    return os.path.relpath(os.path.join(d, f), top).replace(os.sep, "/")


# --- make ----------------------------------------------------------------------

def _make(*args, **kw):
    cmd = ["make", "--no-print-directory", "-f", MK] + list(args)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)


class PtyMicroPython:
    """The unix port's REPL on a pty (socat), as mpremote expects a board."""

    def __init__(self, upy, workdir):
        self.tty = os.path.join(workdir, "tty")
        self.proc = subprocess.Popen(
            ["socat", "pty,link=%s,raw,echo=0" % self.tty,
             "exec:%s -i,pty,raw,echo=0,stderr,setsid,ctty" % upy],
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(self.tty):
                break
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("socat made no pty")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            self.proc.wait(10)


def test_make_deploy_installs_with_mpremote_and_verifies(tmp_path):
    # One board is enough: every board deploys the same way (mpremote is slow
    # through a pty: about 20 s for 60 files); the unix-port mip test above
    # installs every package.
    if not shutil.which("socat"):
        pytest.skip("socat not installed (apt-get install socat): no pty for mpremote")
    upy = micropython()
    tool = mpremote()
    drivers = smolnet_files.drivers()
    candidates = [b for b in BOARDS if mpy_sizes.board_config(b)["SMOLNET_DRIVER"] in drivers]
    assert candidates, "no board whose driver exists yet"
    board = "MPS2_AN385" if "MPS2_AN385" in candidates else candidates[0]
    chip = mpy_sizes.board_config(board)["SMOLNET_DRIVER"]
    target = str(tmp_path / "lib")
    board_tty = PtyMicroPython(upy, str(tmp_path))
    try:
        r = _make("deploy", "BOARD=" + board, "PORT=" + board_tty.tty, "TARGET=" + target,
                  "MPREMOTE=" + tool, "MPREMOTE_FLAGS=resume", "APP=1")
    finally:
        board_tty.stop()
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "with boards.%s: import ok" % chip in out, out
    want = [t for t, _ in _package_files("smolnet-" + chip)["urls"]]
    got = sorted(_rel_to(target, d, f) for d, _, fs in os.walk(target) for f in fs)
    assert got == sorted(want)
    for rel in want:
        with open(os.path.join(target, rel), "rb") as a, open(os.path.join(ROOT, rel), "rb") as b:
            assert a.read() == b.read(), rel
    # APP=1 put the example app where the board runs it (the REPL's cwd here)
    with open(str(tmp_path / "main.py")) as a, \
            open(os.path.join(ROOT, "firmware", "boards", board, "main.py")) as b:
        assert a.read() == b.read()


def test_make_deploy_and_firmware_explain_missing_arguments():
    r = _make("deploy", "BOARD=W5500_EVB_PICO")
    assert r.returncode != 0 and "PORT=" in r.stderr
    r = _make("deploy", "BOARD=NO_SUCH_BOARD", "PORT=/dev/null")
    assert r.returncode != 0 and "unknown BOARD" in r.stderr
    r = _make("firmware", "BOARD=W5500_EVB_PICO", "MPY_DIR=/nonexistent")
    assert r.returncode != 0 and "MPY_DIR" in r.stderr
    r = _make("firmware")
    assert r.returncode != 0 and "set BOARD" in r.stderr


def test_make_deploy_mpy_uses_precompiled_packages_for_the_board_arch(tmp_path):
    r = _make("-n", "deploy", "BOARD=W5500_EVB_PICO", "PORT=/dev/ttyACM0", "MPY=1",
              "FW_OUT=" + str(tmp_path))
    assert r.returncode == 0, r.stderr
    out_dir = os.path.join(str(tmp_path), "mip-mpy-armv6m")
    assert "gen_mip.py --mpy armv6m --out " + out_dir in r.stdout
    assert "mip install %s/smolnet-w5500/package.json" % out_dir in r.stdout
    r = _make("-n", "deploy", "BOARD=W5500_EVB_PICO", "PORT=/dev/ttyACM0", "MPY=1",
              "MPY_ARCH=x64", "FW_OUT=" + str(tmp_path))
    assert "--mpy x64" in r.stdout


STUB_MAKEFILE = """\
all:
\t@echo "$(CURDIR) BOARD=$(BOARD) BUILD=$(BUILD) FROZEN_MANIFEST=$(FROZEN_MANIFEST)" >> {log}
"""


def test_make_firmware_runs_the_port_build_with_the_board_manifest(tmp_path):
    mpy = tmp_path / "micropython"
    log = tmp_path / "calls.log"
    for sub in ["mpy-cross"] + ["ports/" + p for p in PORTS]:
        (mpy / sub).mkdir(parents=True)
        (mpy / sub / "Makefile").write_text(STUB_MAKEFILE.format(log=log))
    out_dir = tmp_path / "out"
    drivers = smolnet_files.drivers()
    tried = 0
    for board in BOARDS:
        cfg = mpy_sizes.board_config(board)
        if cfg["SMOLNET_DRIVER"] not in drivers:
            continue  # test_board_directory_is_complete reports it
        tried += 1
        for app in (False, True):
            log.write_text("")
            args = ["firmware", "BOARD=" + board, "MPY_DIR=" + str(mpy), "FW_OUT=" + str(out_dir)]
            if app:
                args.append("FREEZE_MAIN=1")
            r = _make(*args)
            assert r.returncode == 0, r.stdout + r.stderr
            calls = log.read_text().splitlines()
            assert len(calls) == 2 and calls[0].startswith(str(mpy / "mpy-cross"))
            m = re.match(r"(\S+) BOARD=(\S+) BUILD=(\S+) FROZEN_MANIFEST=(\S+)$", calls[1])
            assert m, calls[1]
            assert m.group(1) == str(mpy / "ports" / cfg["SMOLNET_PORT"])
            assert m.group(2) == cfg["SMOLNET_MPY_BOARD"]
            assert m.group(3) == "build-smolnet-%s%s" % (board, "-app" if app else "")
            manifest = m.group(4)
            assert os.path.isabs(manifest) and os.path.isfile(manifest)
            targets = manifest_files.evaluate(manifest).targets()
            assert "smolnet/__init__.py" in targets
            assert ("main.py" in targets) == (app or cfg["SMOLNET_PORT"] == "qemu")
    assert tried


def test_make_mpy_sizes_prints_a_row_per_configuration():
    mpy_cross()
    env = dict(os.environ)
    r = _make("mpy-sizes", "FW_PYTHON=" + sys.executable, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"\| core \(smolnet\) \| \d+ \| [1-9]\d* \|", out), out
    assert re.search(r"\| board profile \| \d+ \| [1-9]\d* \|", out), out
    for name in smolnet_files.OPTIONS:
        assert re.search(r"\| option %s=True adds \| \d+ \| [1-9]\d* \|" % name, out), out
    assert re.search(r"\| MPS2_AN385 \(profile\) \| armv7m \| \d+ \| [1-9]\d* \|", out), out
    for chip in smolnet_files.drivers():
        assert re.search(r"\| core \+ %s \| \d+ \| [1-9]\d* \|" % chip, out), out
    for board in BOARDS:
        assert ("| %s |" % board) in out
    assert "compile errors" not in out


def test_firmware_readme_covers_every_board():
    with open(os.path.join(ROOT, "firmware", "README.md")) as f:
        text = f.read()
    for board in BOARDS:
        assert board in text, board
    assert "mip-packages/smolnet/package.json" in text
