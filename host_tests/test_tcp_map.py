# The table at the top of smolnet/socket/tcp.py says which module writes
# which TcpSocket fields: here it is held to the code. Every tcp*.py has a
# row; every field a module assigns on the socket (`s.x = ...`, `s.x += ...`,
# also through the names `owner`, `old`, `spare` the code gives a socket)
# matches a name of its row, and every name of a row is written. tcp.py's
# own writes count outside __init__ and _reset (those set every field).
# Only tcp.py (the user calls) and tcp_conn.py write the state. The offsets a
# rebase moves (tcp_seq.SND_OFFSETS, RCV_OFFSETS) are fields _reset() sets.
# Parses the sources: runs on CPython.
import ast
import os
import re

from conftest import ROOT

SOCKET = os.path.join(ROOT, "smolnet", "socket")
ROW = re.compile(r"^#   (tcp\w*\.py)\s")
FIELDS = re.compile(r"^# {19}(\S.*)$")
SOCKET_NAMES = ("s", "owner", "old", "spare")


def _table():
    """{file: [field patterns]} from tcp.py's header."""
    rows = {}
    cur = None
    with open(os.path.join(SOCKET, "tcp.py"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            m = ROW.match(line)
            if m:
                cur = rows.setdefault(m.group(1), [])
                continue
            m = FIELDS.match(line.rstrip())
            if m and cur is not None:
                cur.extend(m.group(1).split())
    return rows


def _writes(name):
    """Fields the module assigns on a socket."""
    with open(os.path.join(SOCKET, name), encoding="utf-8") as f:
        tree = ast.parse(f.read(), name)
    out = set()
    for node in ast.walk(tree):
        if name == "tcp.py":
            if isinstance(node, ast.FunctionDef) and node.name not in ("__init__", "_reset"):
                out |= _assigned(node, ("self",))
        else:
            out |= _assigned(node, SOCKET_NAMES, shallow=True)
    return out


def _assigned(node, names, shallow=False):
    targets = []
    for n in ([node] if shallow else ast.walk(node)):
        if isinstance(n, ast.Assign):
            targets += n.targets
        elif isinstance(n, ast.AugAssign):
            targets.append(n.target)
    return {t.attr for t in targets
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            and t.value.id in names}


def _match(field, pat):
    return field.startswith(pat[:-1]) if pat.endswith("*") else field == pat


def test_every_tcp_module_has_a_row():
    files = sorted(f for f in os.listdir(SOCKET) if f.startswith("tcp") and f.endswith(".py"))
    assert sorted(_table()) == files


def test_rows_list_what_each_module_writes():
    problems = []
    for name, pats in sorted(_table().items()):
        written = _writes(name)
        for field in sorted(written):
            if not any(_match(field, p) for p in pats):
                problems.append("%s writes s.%s, not in its row" % (name, field))
        for p in pats:
            if not any(_match(field, p) for field in written):
                problems.append("%s's row names %s, which it does not write" % (name, p))
    assert not problems, "\n".join(problems)


def test_only_the_user_calls_and_tcp_conn_change_state():
    writers = sorted(name for name in _table() if "state" in _writes(name))
    assert writers == ["tcp.py", "tcp_conn.py"]


def test_rebased_offsets_are_socket_fields():
    import smolnet.socket.tcp_seq as tcp_seq
    from smolnet.socket.tcp import TcpSocket
    s = TcpSocket(64, 64)
    for name in tcp_seq.SND_OFFSETS + tcp_seq.RCV_OFFSETS:
        assert isinstance(getattr(s, name), int), name
    assert tcp_seq.SND_OFFSETS[0] == "snd_una" and tcp_seq.RCV_OFFSETS[0] == "rcv_nxt"
