# The Interface's protocol modules use only its public names (issue 10
# item 1): the contract at the top of smolnet/iface/interface.py names what
# ipv4.py, ipv6.py, nd.py, mld.py, igmp.py and the reassemblers may use, and
# every name with an underscore stays inside interface.py.
#
# The heuristic, over the sources (CPython only):
# - the Interface's own names are the underscore names class Interface
#   defines: its methods, and the attributes it assigns on self;
# - in the code SCANNED but interface.py, reading or writing `x._name` for
#   one of them, on anything but `self` (another class's own attribute of
#   the same name is its business), or getattr/setattr/hasattr(x, "_name"),
#   is a violation;
# - in smolnet/iface/, every attribute read on a variable named `iface` (as
#   the protocol modules name the Interface they are given) is named in
#   interface.py's header comment, the contract.
import ast
import os
import re

from conftest import ROOT

INTERFACE = os.path.join(ROOT, "smolnet", "iface", "interface.py")
# the code that ships or drives the stack; tests may look inside on purpose
SCANNED = ("smolnet", "boards", "firmware", "tools")


def _interface_class():
    with open(INTERFACE, encoding="utf-8") as f:
        tree = ast.parse(f.read(), INTERFACE)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Interface":
            return node
    raise AssertionError("no class Interface in " + INTERFACE)


def _own_names():
    """The underscore names class Interface defines (not dunders)."""
    names = set()
    for node in ast.walk(_interface_class()):
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
                        and t.value.id == "self":
                    names.add(t.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _violations(source, path, own):
    """(line, text) of each use of one of `own` in source, per the heuristic."""
    out = []
    for node in ast.walk(ast.parse(source, path)):
        if isinstance(node, ast.Attribute) and node.attr in own:
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                out.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value in own:
            out.append((node.lineno, ast.unparse(node)))
    return out


def _sources():
    for top in SCANNED:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                path = os.path.join(dirpath, f)
                if f.endswith(".py") and path != INTERFACE:
                    yield path


def test_the_interface_has_own_names():
    own = _own_names()
    # the heuristic sees the class: these stay the Interface's own
    assert {"_wake_sockets", "_v6", "_icmp_tokens", "_tcp_rst_reply"} <= own, sorted(own)
    # and what the contract made public is not among them
    assert not own & {"_tx_dst", "_send", "_icmp_error", "_find_socket", "_scratch"}


def test_the_heuristic_finds_a_private_use():
    own = {"_v6", "_send"}
    src = ("def f(iface, self):\n"
           "    iface._v6.rx(iface)\n"
           "    self.iface._send(b, 1)\n"
           "    getattr(iface, '_v6')\n"
           "    self._send(b, 1)\n")       # a class's own method: not the Interface's
    assert sorted(n for n, _ in _violations(src, "x.py", own)) == [2, 3, 4]


def test_no_module_uses_the_interfaces_underscore_names():
    own = _own_names()
    bad = []
    for path in _sources():
        with open(path, encoding="utf-8") as f:
            src = f.read()
        rel = os.path.relpath(path, ROOT)
        bad += ["%s:%d: %s" % (rel, n, text) for n, text in _violations(src, rel, own)]
    assert not bad, "the Interface's own names used outside interface.py:\n" + "\n".join(bad)


def test_protocol_modules_use_only_the_contract():
    with open(INTERFACE, encoding="utf-8") as f:
        header = f.read().split("\nfrom ", 1)[0]   # the comment block above the imports
    top = os.path.join(ROOT, "smolnet", "iface")
    used = {}
    for f in sorted(os.listdir(top)):
        path = os.path.join(top, f)
        if not f.endswith(".py") or path == INTERFACE:
            continue
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "iface":
                used.setdefault(node.attr, set()).add(f)
    assert {"tx_dst", "send_frame", "rx_tcp", "rx_udp"} <= set(used)   # the scan is real
    missing = ["%s (%s)" % (k, ", ".join(sorted(v))) for k, v in sorted(used.items())
               if not re.search(r"\b%s\b" % re.escape(k), header)]
    assert not missing, "not in interface.py's contract: " + "; ".join(missing)
