# Layers import downward: no smolnet module imports one that imports it
# back, directly or around a loop, counting imports inside functions too
# (a lazy import hides a cycle from the interpreter, not from the reader).
# Reads the sources: runs on CPython.
import ast
import os

from conftest import ROOT


def _modules():
    mods = {}
    for dirpath, _, files in os.walk(os.path.join(ROOT, "smolnet")):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                name = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                mods[name[:-len(".__init__")] if name.endswith(".__init__") else name] = path
    return mods


def _imports(name, path, mods):
    """The smolnet modules one module imports, anywhere in its body."""
    return {m for m in _all_imports(name, path) if m in mods and m != name}


def _all_imports(name, path, top_level=False):
    """Every module name one module imports, anywhere in its body (only
    where it runs when the module loads: top_level)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    for node in (tree.body if top_level else ast.walk(tree)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            found.add(base)
            found.update(base + "." + a.name for a in node.names)   # submodules
    return found


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    mods = _modules()
    graph = {m: _imports(m, p, mods) for m, p in mods.items()}
    assert graph["smolnet.iface.addr6"] >= {"smolnet.iface.mld"}   # the graph is real
    bad = _cycles(graph)
    assert not bad, "modules that import each other: %s" % bad


def test_smolnet_never_imports_boards():
    # drivers depend on the stack (smolnet.phy.device's contract), never the
    # other way round: a board's glue (boards.w5500.WIZNET5K) lives in boards/
    mods = _modules()
    bad = sorted(m for m, p in mods.items()
                 if any(i == "boards" or i.startswith("boards.") for i in _all_imports(m, p)))
    assert not bad, "smolnet modules importing boards/: %s" % bad


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
