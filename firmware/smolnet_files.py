"""Which files make up smolnet and each driver on a board.

The one place that decides it: the freeze manifests (firmware/manifest.py,
firmware/boards/*/manifest.py) import this module (a manifest is plain
CPython run by MicroPython's build), and so do tools/gen_mip.py and
tools/mpy_sizes.py. New modules are picked up by walking the tree, so
nothing here lists the stack's files by name, except the few that must never
go onto a board.

All paths are relative to the repository root, '/'-separated, and equal to the
module's path on the board (smolnet/iface/interface.py is imported there as
smolnet.iface.interface).
"""

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Modules a board never imports, so they would only take flash: the CPython
# shim and the slice-based host fast paths (smolnet/__init__.py and
# smolnet/fast/__init__.py choose by sys.implementation), smolnet.aio's
# CPython waker, and the devices that need an operating system (AF_PACKET
# sockets, /dev/net/tun).
HOST_ONLY = (
    "smolnet/_cpython.py",
    "smolnet/_aio_host.py",
    "smolnet/fast/host.py",
    "smolnet/phy/afpacket.py",
    "smolnet/phy/tap.py",
)


# Modules only some architectures can compile or use (the mpy-cross -march
# names): the Thumb-2 assembler twins of smolnet/fast (smolnet/fast/__init__.py
# imports them on ARMv7-M and later only; mpy-cross for another architecture
# rejects them). mip's source packages carry them (a board compiles only what
# it imports); frozen and .mpy builds keep them for those architectures only
# (firmware/manifest.py's arch option, gen_mip.py --mpy, mpy_sizes.py).
THUMB2 = ("armv7m", "armv7em", "armv7emsp", "armv7emdp")
ARCH_ONLY = {
    "smolnet/fast/thumb.py": THUMB2,
}
# ... and modules those architectures do without: viper's word loops for
# sum16 and the copies, which thumb.py replaces there (smolnet/fast/__init__.py
# picks thumb.py on ARMv7-M; 6 KB of machine code a board need not flash).
ARCH_NOT = {
    "smolnet/fast/viper_bulk.py": THUMB2,
}
# ... and the pure-Python twins of smolnet/fast, which only a MicroPython
# without native emitters imports (webassembly): every architecture above
# compiles viper, so a frozen build that names one leaves them out, except
# with the debug option (the QEMU test firmwares: test_fast compares the
# twins with them there, host_tests/test_fast_board.py). A build without an
# architecture and mip's packages keep them.
PURE_TWINS = ("smolnet/fast/pure.py",)


def builds_for(path, arch):
    """False if the file is only for other architectures than arch (None:
    an architecture not known, so none of ARCH_ONLY), or one arch does
    without (ARCH_NOT)."""
    return arch in ARCH_ONLY.get(path, (arch,)) and arch not in ARCH_NOT.get(path, ())


def for_arch(paths, arch, debug=True):
    """The paths that build for arch (builds_for); with an arch and without
    debug, the pure twins left out too (PURE_TWINS)."""
    return [p for p in paths if builds_for(p, arch) and
            (debug or arch is None or p not in PURE_TWINS)]


def board_arch(board_dir):
    """SMOLNET_ARCH of a firmware/boards/<BOARD> directory's board.mk."""
    with open(os.path.join(board_dir, "board.mk")) as f:
        for line in f:
            if line.startswith("SMOLNET_ARCH"):
                return line.split("=", 1)[1].strip()
    raise ValueError("no SMOLNET_ARCH in %s/board.mk" % board_dir)


def _py_files(root, top):
    """Repo-relative .py files under root/top (a directory or one .py file)."""
    full = os.path.join(root, top)
    if os.path.isfile(full):
        return [top] if top.endswith(".py") else []
    out = []
    for dirpath, dirnames, filenames in os.walk(full):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                out.append(rel.replace(os.sep, "/"))
    return out


# Parts a board manifest may leave out (firmware/manifest.py's options, all
# off in the board profile: IPv4, ARP, ICMP, UDP, TCP, DHCP, DNS, the socket
# module, the asyncio driver). smolnet/config.py's
# defaults follow what a build has. A directory (trailing /) stands for all
# its files. test_firmware.py checks that no module of the profile imports
# one of these at module level.
OPTIONS = {
    # IPv6, ND, SLAAC, MLD and IPv6 reassembly; AF_INET6 in the socket module;
    # IPv6 address text (ipaddr.parse6/fmt6: without it a ValueError); the
    # pseudo-header sums of wire/checksum.py, which only ND and MLD import
    # (the IPv4 paths sum their headers themselves)
    "ipv6": ("smolnet/iface/ipv6.py", "smolnet/iface/nd.py", "smolnet/iface/addr6.py",
             "smolnet/iface/mld.py", "smolnet/iface/reasm6.py", "smolnet/wire/ipv6.py",
             "smolnet/wire/icmpv6.py", "smolnet/wire/ndisc.py", "smolnet/wire/mld.py",
             "smolnet/wire/ipaddr6.py", "smolnet/wire/checksum.py",
             "smolnet/compat/_inet6.py"),
    # CUBIC congestion control (RFC 9438; TcpSocket(cc="cubic")): NewReno
    # is the default and stays
    "cubic": ("smolnet/socket/tcp_cubic.py",),
    # RACK loss detection (RFC 8985; TcpSocket(rack=...)): without it SACK
    # recovery finds losses as RFC 6675 does (IsLost), and a lost
    # retransmission or tail waits for the RTO or the tail loss probe
    "rack": ("smolnet/socket/tcp_rack.py",),
    # SYN cookies (RFC 4987; TcpListener(syn_cookies=...)): without them a
    # SYN that finds the accept queue full is dropped and counted
    # (syn_dropped), and the peer retries
    "cookies": ("smolnet/socket/tcp_cookie.py",),
    # IPv4 multicast groups and IGMP (Interface.join_multicast), and the
    # socket module's group options (IP_ADD_MEMBERSHIP, IPV6_JOIN_GROUP, ...)
    "multicast": ("smolnet/iface/igmp.py", "smolnet/wire/igmp.py", "smolnet/compat/_mcast.py"),
    # IPv4 fragment reassembly (without it fragments are counted and dropped)
    "reassembly": ("smolnet/iface/reasm.py", "smolnet/iface/reasm4.py"),
    # HTTP server, TcpServer, iperf3 server, mDNS responder (which also
    # needs multicast)
    "apps": ("smolnet/apps/",),
    # network.LAN (smolnet.compat.network: a port's NIC object, hostname(),
    # its mDNS responder when apps and multicast are there too) and NAME.local
    # lookups by mDNS in getaddrinfo (compat/_mdns.py). Without it a board
    # brings its Interface up itself (Dhcpv4Socket, socket.use(), set_dns())
    "lan": ("smolnet/compat/network.py", "smolnet/compat/_mdns.py"),
    # the socket module's raw ICMP sockets (SOCK_RAW, IPPROTO_ICMP: ping), as
    # a MicroPython lwIP port built with MICROPY_PY_LWIP_SOCK_RAW has them
    # (none is by default: without them EINVAL there and here)
    "raw": ("smolnet/compat/_ping.py",),
    # the REPL helpers (repl.up(), repl.ping(), repl.interactive(), ...);
    # repl.up() and repl.mdns() also need lan=True, repl.ping() raw=True
    "repl": ("smolnet/repl.py",),
    # the fault injector, pcap writer and tracer, and the Loopback device
    # pair (host tools, tests and benchmarks: a board has its NIC)
    "debug": ("smolnet/phy/fault.py", "smolnet/phy/pcap.py", "smolnet/phy/tracer.py",
              "smolnet/wire/summary.py", "smolnet/phy/loopback.py"),
}


def _in_option(path, name):
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in OPTIONS[name])


def core_files(root=ROOT, **options):
    """The .py files of smolnet/ for a board: every one a board can use when
    no option is given (what mip installs); with options (ipv6=False, ...,
    as a manifest passes them), those of the parts switched off left out."""
    for name in options:
        if name not in OPTIONS:
            raise ValueError("no smolnet option %r (there are %s)" % (name, ", ".join(OPTIONS)))
    off = [n for n, on in options.items() if not on]
    return [p for p in _py_files(root, "smolnet")
            if p not in HOST_ONLY and not any(_in_option(p, n) for n in off)]


def option_files(name, root=ROOT):
    """The files of one option, as core_files lists them."""
    return [p for p in core_files(root) if _in_option(p, name)]


def _defines_device(root, path):
    """True if the file defines a class with recv_into() and send(): a Device
    (smolnet/phy/device.py), which is what makes a package a driver."""
    with open(os.path.join(root, path)) as f:
        try:
            tree = ast.parse(f.read(), path)
        except SyntaxError:
            return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            names = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            if "recv_into" in names and "send" in names:
                return True
    return False


def drivers(root=ROOT):
    """Driver packages: the directories of boards/ with an __init__.py and a
    Device class somewhere inside (shared helpers such as boards/common/ have
    none; they travel with the drivers that import them)."""
    top = os.path.join(root, "boards")
    if not os.path.isdir(top):
        return []
    out = []
    for d in sorted(os.listdir(top)):
        if os.path.isfile(os.path.join(top, d, "__init__.py")):
            if any(_defines_device(root, p) for p in _py_files(root, "boards/" + d)):
                out.append(d)
    return out


def _boards_imports(root, path):
    """Names X such that the file at path imports boards.X (absolutely or
    relatively). A file that does not parse imports nothing here: compiling
    it is the firmware test's job."""
    with open(os.path.join(root, path)) as f:
        try:
            tree = ast.parse(f.read(), path)
        except SyntaxError:
            return set()
    # the package the file is in, as a list: boards/w5500/spi.py -> [boards, w5500]
    # (the same for a package's __init__.py: its package is its directory)
    pkg = path[:-3].split("/")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "boards" and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            base = []
            if node.level:  # from . import x: level 1 is the file's own package
                up = node.level - 1
                if up > len(pkg):
                    continue
                base = pkg[:len(pkg) - up]
            mod = base + (node.module.split(".") if node.module else [])
            if mod[:1] != ["boards"]:
                continue
            if len(mod) > 1:
                found.add(mod[1])
            else:  # from boards import X / from .. import X
                for alias in node.names:
                    found.add(alias.name)
    return found


def driver_files(chip, root=ROOT):
    """The driver's files plus everything of boards/ it imports, transitively
    (shared helpers such as boards/common/), and boards/__init__.py if any."""
    seen = set()
    todo = [chip]
    files = []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if os.path.isdir(os.path.join(root, "boards", name)):
            part = _py_files(root, "boards/" + name)
        elif os.path.isfile(os.path.join(root, "boards", name + ".py")):
            part = ["boards/%s.py" % name]
        elif name == chip:
            raise ValueError("no driver boards/%s/ in %s" % (chip, root))
        else:
            continue  # boards.X that is not in the tree: import fails on the board
        if name == chip and not part:
            raise ValueError("boards/%s/ has no .py files" % chip)
        for p in part:
            files.append(p)
            todo.extend(sorted(_boards_imports(root, p) - seen))
    if os.path.isfile(os.path.join(root, "boards", "__init__.py")):
        files.append("boards/__init__.py")
    return sorted(set(files))
