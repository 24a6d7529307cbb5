# Freeze smolnet into a MicroPython firmware image.
#
# On its own (in a MicroPython checkout):
#     make -C ports/<port> BOARD=<board> FROZEN_MANIFEST=/path/to/smolnet/firmware/manifest.py
# or from another manifest:
#     include("/path/to/smolnet/firmware/manifest.py")
# Boards: firmware/boards/<BOARD>/manifest.py includes this file and adds the
# board's driver (make firmware BOARD=... MPY_DIR=... runs that build).
#
# The board profile by default: IPv4, ARP, ICMP, UDP, TCP (NewReno, SACK
# with RFC 6675 loss detection, tail loss probes), DHCP, DNS, the socket
# module (smolnet.compat.socket), the asyncio driver.
# Options add the rest (firmware/smolnet_files.py OPTIONS says which files):
#     include("/path/to/smolnet/firmware/manifest.py", ipv6=True, apps=True)
#   lan=True         network.LAN (smolnet.compat.network: ipconfig, DHCP by
#                    isconnected(), hostname, mDNS responder with apps and
#                    multicast) and getaddrinfo of NAME.local by mDNS.
#                    Without it a board brings its Interface up itself:
#                    Interface(nic) + Dhcpv4Socket or add_ip(),
#                    socket.use(iface), net.set_dns(...); asking for
#                    network is an ImportError naming lan=True
#   ipv6=True        IPv6, ND, SLAAC, MLD, IPv6 reassembly, AF_INET6
#                    sockets in the socket module
#   cubic=True       CUBIC congestion control (TcpSocket(cc="cubic"))
#   rack=True        RACK loss detection (RFC 8985): lost retransmissions
#                    and tails found without an RTO (without it SACK
#                    recovery finds losses as RFC 6675 does)
#   cookies=True     SYN cookies (RFC 4987) for a TcpListener whose accept
#                    queue is full (without them such SYNs are dropped and
#                    counted in syn_dropped; the peer retries)
#   multicast=True   IPv4 multicast groups and IGMP (join_multicast), the
#                    socket module's IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP
#                    (without it those are OSError(EOPNOTSUPP) naming it)
#   reassembly=True  IPv4 fragment reassembly
#   apps=True        HTTP server, TcpServer, iperf3 server, mDNS responder
#                    (the responder, which network.LAN starts, also needs
#                    multicast=True)
#   raw=True         the socket module's raw ICMP sockets (SOCK_RAW,
#                    IPPROTO_ICMP: ping), as a MicroPython lwIP port built
#                    with MICROPY_PY_LWIP_SOCK_RAW has them (none is by
#                    default: without them EINVAL there and here)
#   repl=True        the REPL helpers (smolnet.repl; repl.up() also needs
#                    lan=True, repl.ping() raw=True)
#   debug=True       fault injector, pcap writer, tracer, the Loopback
#                    device pair; and, in a build for an architecture (arch),
#                    the pure-Python twins of smolnet/fast (fast/pure.py:
#                    every architecture runs viper, so only a test compares
#                    against them there)
#   all=True         every option
#   lines=True       line numbers in tracebacks (mpy-cross -O0): about 8%
#                    more flash (make mpy-sizes). Off by default, as
#                    MicroPython freezes its own asyncio (opt=3): a
#                    traceback still names the file and every function
#   arch="armv7emsp" the mpy-cross -march of the build: with an ARMv7-M one,
#                    the Thumb-2 fast paths (smolnet/fast/thumb.py) are
#                    frozen in place of viper's word loops (fast/viper_bulk.py);
#                    left out otherwise; fast/pure.py (what a MicroPython
#                    without native emitters runs) only with debug=True.
#                    The board manifests in boards/ pass
#                    their board.mk's SMOLNET_ARCH.
# smolnet.config.Config's and the sockets' defaults follow what was frozen
# (TcpSocket(rack=None), TcpListener(syn_cookies=None)); asking for a part
# left out is a ValueError that names its option. Within a part,
# every .py is frozen, so new modules need no edit here, except the host-only
# ones listed in smolnet_files.py (the CPython shim, AF_PACKET, TAP). A
# manifest runs with its own directory as the working directory.
#
# No metadata() call on purpose: manifestfile.py refuses a second metadata()
# in one build, and the manifest including this one may well have its own.
import os
import sys

sys.path.insert(0, os.path.abspath("."))
import smolnet_files  # firmware/smolnet_files.py

options.defaults(all=False, lines=False, arch=None,
                 **{name: False for name in smolnet_files.OPTIONS})
_parts = {name: bool(options.all or getattr(options, name)) for name in smolnet_files.OPTIONS}

_ROOT = ".."
_files = smolnet_files.core_files(os.path.abspath(_ROOT), **_parts)
_files = smolnet_files.for_arch(_files, options.arch, debug=_parts["debug"])
package("smolnet", files=[p[len("smolnet/"):] for p in _files],
        base_path=_ROOT, opt=None if options.lines else 3)
