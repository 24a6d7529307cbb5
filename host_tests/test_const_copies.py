# MicroPython inlines a const() only inside the module that declares it (an
# imported name is a dict lookup at run time), so hot modules keep their own
# copies of other modules' constants: TCP states, TCP flags, protocol
# numbers, the Interface's rx_cast values. Each block of copies starts with a
# comment naming its source,
#
#   # copies of smolnet/socket/tcp.py's states (...)
#   _CLOSED = const(0)
#   ...
#
# and runs to the first line that is not a const() assignment; "# copy of"
# covers the one line under it. A copy named differently says so in that
# comment: "(_ACK is ACK_FLAG there)". Here every
# copy is compared with its source, and a copy of the families above found
# outside such a block fails. Parses the sources: runs on CPython.
import ast
import os
import re

from conftest import ROOT

MARK = re.compile(r"^# cop(y|ies) of ((?:smolnet|boards)/\S+\.py)\b(.*)$")
RENAME = re.compile(r"\b(_?[A-Z]\w*) is (_?[A-Z]\w*) there")
CONST = re.compile(r"^(_?[A-Z][A-Z0-9_]*) = const\((.*)\)\s*(#.*)?$")

# where each family of copied names is declared; everywhere else it is a copy
TCP_STATES = ("smolnet/socket/tcp.py", ("CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED",
                                        "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                                        "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"))
TCP_FLAGS = ("smolnet/wire/tcp.py", ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"))
# a family's name that is something else there
NOT_COPIES = {("smolnet/compat/socket.py", "_LISTEN")}   # a kind of socket, not a state


def _files():
    for top in ("smolnet", "boards"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith(".py"):
                    yield os.path.relpath(os.path.join(dirpath, f), ROOT).replace(os.sep, "/")


def _consts(rel):
    """{name: value} of a module's top-level NAME = const(expr) lines."""
    env = {}
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        tree = ast.parse(f.read(), rel)
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)
                and ast.unparse(node.value.func) in ("const", "micropython.const")):
            expr = ast.Expression(node.value.args[0])
            env[node.targets[0].id] = eval(compile(expr, rel, "eval"), {}, dict(env))
    return env


def _copy_blocks(rel):
    """[(line number, source, {copy name: source name})] of one module."""
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        lines = f.read().splitlines()
    blocks = []
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if not m:
            continue
        renames = dict(RENAME.findall(m.group(3)))
        names = {}
        for nxt in lines[i + 1:i + 2] if m.group(1) == "y" else lines[i + 1:]:
            c = CONST.match(nxt)
            if not c:
                break
            names[c.group(1)] = renames.get(c.group(1))
        blocks.append((i + 1, m.group(2), names))
    return blocks


def _source_name(copy, source_consts):
    # the copy's own name, without the leading underscore, or without _T_
    for cand in (copy, copy.lstrip("_"), re.sub(r"^_T_", "", copy)):
        if cand in source_consts:
            return cand
    return None


def test_every_copy_matches_its_source():
    checked = 0
    problems = []
    for rel in _files():
        for line, source, names in _copy_blocks(rel):
            if not os.path.isfile(os.path.join(ROOT, source)):
                problems.append("%s:%d: no such source %s" % (rel, line, source))
                continue
            if not names:
                problems.append("%s:%d: a copy comment with no const() lines under it"
                                % (rel, line))
            src = _consts(source)
            mine = _consts(rel)
            for name, renamed in names.items():
                sname = renamed or _source_name(name, src)
                if sname not in src:
                    problems.append("%s: %s has no counterpart in %s" % (rel, name, source))
                elif mine[name] != src[sname]:
                    problems.append("%s: %s = %r but %s has %s = %r"
                                    % (rel, name, mine[name], source, sname, src[sname]))
                checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 80, checked   # the blocks were found at all


def _family(name):
    """The source a name of one of the copied families comes from, or None."""
    bare = re.sub(r"^_T_", "", name).lstrip("_")
    if name.startswith("_CAST_"):
        return "smolnet/iface/interface.py"
    if name.startswith("_PROTO_"):
        return "smolnet/wire/ipv6.py" if name == "_PROTO_ICMPV6" else "smolnet/wire/ipv4.py"
    if bare in TCP_STATES[1]:
        return TCP_STATES[0]
    if bare in TCP_FLAGS[1]:
        return TCP_FLAGS[0]
    return None


def test_no_unmarked_copies():
    unmarked = []
    for rel in _files():
        marked = set()
        for _, _, names in _copy_blocks(rel):
            marked.update(names)
        for name in _consts(rel):
            source = _family(name)
            if (source is None or source == rel or not name.startswith("_")
                    or (rel, name) in NOT_COPIES):
                continue   # a public name is the module's own (wire/tcp.py's ACK)
            if name not in marked:
                unmarked.append("%s: %s (a copy from %s?)" % (rel, name, source))
    assert not unmarked, ("const() copies without a '# copies of <source>' comment "
                          "above them:\n" + "\n".join(unmarked))


def test_the_checker_catches_a_wrong_copy(tmp_path, monkeypatch):
    # the same parsing on a made-up module: a wrong value and a missing name
    # must both be reported
    import test_const_copies as me
    pkg = tmp_path / "smolnet"
    pkg.mkdir()
    (pkg / "src.py").write_text("A = const(1)\nB_FLAG = const(2)\n")
    (pkg / "cp.py").write_text("# copies of smolnet/src.py (_B is B_FLAG there)\n"
                               "_A = const(3)\n_B = const(2)\n_C = const(4)\n\n_D = const(5)\n"
                               "# copy of smolnet/src.py\nA = const(1)\n_E = const(6)\n")
    monkeypatch.setattr(me, "ROOT", str(tmp_path))
    blocks = me._copy_blocks("smolnet/cp.py")
    assert blocks == [(1, "smolnet/src.py", {"_A": None, "_B": "B_FLAG", "_C": None}),
                      (7, "smolnet/src.py", {"A": None})]
    try:
        me.test_every_copy_matches_its_source()
    except AssertionError as e:
        text = str(e)
    else:
        raise AssertionError("a wrong copy passed")
    assert "_A = 3 but smolnet/src.py has A = 1" in text, text
    assert "_C has no counterpart in smolnet/src.py" in text, text
    assert "_B" not in text and "_E" not in text, text


def test_wire_names_match_the_codecs():
    # host_tests/wire_names.py spells out codec constants only the tests
    # name (private in the codec: NAME there is _NAME)
    import wire_names
    for cls, source in ((wire_names.DHCP, "smolnet/wire/dhcpv4.py"),
                        (wire_names.DNS, "smolnet/wire/dns.py")):
        src = _consts(source)
        names = [n for n in dir(cls) if n[:1].isupper()]
        assert names, cls
        for n in names:
            assert src.get("_" + n, src.get(n)) == getattr(cls, n), (source, n)
