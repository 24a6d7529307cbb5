"""List the files a MicroPython freeze manifest would freeze, without a
MicroPython checkout.

A manifest.py is plain Python that MicroPython's tools/manifestfile.py runs
with a few functions in scope. This module offers the same functions with the
same arguments (include, require, package, module, freeze, freeze_as_mpy,
freeze_mpy, freeze_as_str, metadata, add_library, c_module, options) and
records what they name, so the firmware test and tools/gen_mip.py can check
and reuse our manifests on a machine with no MicroPython source tree.

Paths behave as in manifestfile.py: relative paths are relative to the
manifest being run (it runs with that directory as the working directory), a
directory given to include() means its manifest.py, and $(VAR) is replaced from
path_vars. Paths naming a variable we were not given (say $(PORT_DIR) without
a checkout) are not followed: they are recorded in Result.external, so a
caller can see that the real build would pull in more.

Usage (CLI): python3 tools/manifest_files.py firmware/boards/MPS2_AN385/manifest.py
"""

import os
import re
import sys

_VAR = re.compile(r"\$\(([A-Z_]+)\)")


class ManifestError(Exception):
    pass


class Entry:
    """One file a manifest freezes: where it is and its path on the device."""

    def __init__(self, full_path, target_path, kind, opt):
        self.full_path = full_path
        self.target_path = target_path
        self.kind = kind  # "py", "mpy" or "str" (freeze_as_str)
        self.opt = opt

    def __repr__(self):
        return "Entry(%r -> %r)" % (self.full_path, self.target_path)


class Options:
    """The `options` object a manifest sees: include() keyword arguments,
    with defaults set by options.defaults(); unknown names read as None."""

    def __init__(self, kwargs):
        self._kwargs = dict(kwargs)
        self._defaults = {}

    def defaults(self, **kwargs):
        self._defaults = kwargs

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._kwargs.get(name, self._defaults.get(name))


class Result:
    def __init__(self):
        self.entries = []      # Entry, in the order the manifests named them
        self.external = []     # (function, argument) not followed: unknown $(VAR)
        self.requires = []     # names given to require() that we did not resolve
        self.metadata = {}     # metadata() of the top manifest
        self.manifests = []    # every manifest file run, absolute paths

    def targets(self):
        return [e.target_path for e in self.entries]


class _Evaluator:
    def __init__(self, path_vars):
        self.path_vars = dict(path_vars or {})
        self.result = Result()
        self.visited = set()
        self.libraries = {}
        self.depth = 0

    # -- paths -------------------------------------------------------------
    def _resolve(self, path):
        """Absolute path, or None if it names a variable we do not have."""
        missing = []

        def sub(m):
            value = self.path_vars.get(m.group(1))
            if value is None:
                missing.append(m.group(1))
                return m.group(0)
            return value

        path = _VAR.sub(sub, path)
        if missing:
            return None
        return os.path.abspath(path)

    def _add(self, full_path, target_path, kind, opt):
        if not os.path.isfile(full_path):
            raise ManifestError("cannot stat %s" % full_path)
        self.result.entries.append(Entry(full_path, target_path, kind, opt))

    def _search(self, base_path, package_path, files, exts, kind, opt):
        # Mirrors manifestfile.ManifestFile._search: an explicit file list is
        # taken as given (relative to package_path); otherwise every file with
        # a matching extension under base_path/package_path, target paths
        # relative to base_path.
        base = self._resolve(base_path)
        if base is None:
            self.result.external.append(("search", base_path))
            return
        if files is not None:
            for name in files:
                rel = os.path.join(package_path, name) if package_path else name
                self._add(os.path.join(base, rel), rel, kind, opt)
            return
        top = os.path.join(base, package_path) if package_path else base
        if not os.path.isdir(top):
            raise ManifestError("no such directory %s" % top)
        found = []
        for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
            dirnames.sort()
            for name in sorted(filenames):
                if os.path.splitext(name)[1].lower() in exts:
                    full = os.path.join(dirpath, name)
                    found.append((full, os.path.relpath(full, base)))
        for full, rel in found:
            self._add(full, rel, kind, opt)

    # -- the manifest API --------------------------------------------------
    def metadata(self, **kwargs):
        if self.depth == 1 and kwargs:
            self.result.metadata = kwargs
        return self.result.metadata

    def include(self, manifest_path, **kwargs):
        if not isinstance(manifest_path, str):
            for m in manifest_path:
                self.include(m, **kwargs)
            return
        path = self._resolve(manifest_path)
        if path is None:
            self.result.external.append(("include", manifest_path))
            return
        if os.path.isdir(path):
            path = os.path.join(path, "manifest.py")
        if path in self.visited:
            return
        self.visited.add(path)
        self.run(path, kwargs)

    def require(self, name, version=None, pypi=None, library=None, **kwargs):
        # micropython-lib packages: followed only if a library directory was
        # registered (add_library or path_vars MPY_LIB_DIR).
        dirs = []
        if library is not None:
            if library not in self.libraries:
                raise ManifestError("unknown library %r for require(%r)" % (library, name))
            dirs = [self.libraries[library]]
        else:
            dirs = list(self.libraries.values())
        for lib_dir in dirs:
            for root, _, filenames in os.walk(lib_dir):
                if os.path.basename(root) == name and "manifest.py" in filenames:
                    self.include(root, **kwargs)
                    return
        self.result.requires.append(name)

    def add_library(self, library, library_path, prepend=False):
        path = self._resolve(library_path)
        if path is None:
            self.result.external.append(("add_library", library_path))
            return
        self.libraries[library] = path

    def package(self, package_path, files=None, base_path=".", opt=None):
        self._search(base_path, package_path, files, (".py",), "py", opt)

    def module(self, module_path, base_path=".", opt=None):
        if os.path.splitext(module_path)[1].lower() != ".py":
            raise ManifestError("module must be .py file")
        base = self._resolve(base_path)
        if base is None:
            self.result.external.append(("module", module_path))
            return
        self._add(os.path.join(base, module_path), module_path, "py", opt)

    def c_module(self, module_path):
        self.result.external.append(("c_module", module_path))

    def _freeze(self, path, script, exts, kind, opt):
        # Mirrors manifestfile.ManifestFile._freeze_internal.
        if script is None:
            self._search(path, None, None, exts, kind, opt)
            return
        base = self._resolve(path)
        if isinstance(script, str) and base is not None and os.path.isdir(os.path.join(base, script)):
            self._search(path, script, None, exts, kind, opt)
        elif not isinstance(script, str):
            self._search(path, None, script, exts, kind, opt)
        else:
            self._search(path, None, (script,), exts, kind, opt)

    def freeze(self, path, script=None, opt=None):
        self._freeze(path, script, (".py", ".mpy"), "py", opt)

    def freeze_as_mpy(self, path, script=None, opt=None):
        self._freeze(path, script, (".py",), "py", opt)

    def freeze_mpy(self, path, script=None, opt=None):
        self._freeze(path, script, (".mpy",), "mpy", opt)

    def freeze_as_str(self, path):
        self._search(path, None, None, (".py",), "str", None)

    # -- running -----------------------------------------------------------
    def globals_for(self, kwargs):
        return {
            "metadata": self.metadata,
            "include": self.include,
            "require": self.require,
            "add_library": self.add_library,
            "package": self.package,
            "module": self.module,
            "c_module": self.c_module,
            "freeze": self.freeze,
            "freeze_as_str": self.freeze_as_str,
            "freeze_as_mpy": self.freeze_as_mpy,
            "freeze_mpy": self.freeze_mpy,
            "options": Options(kwargs),
        }

    def run(self, path, kwargs):
        self.result.manifests.append(path)
        with open(path) as f:
            source = f.read()
        prev = os.getcwd()
        os.chdir(os.path.dirname(path))
        self.depth += 1
        try:
            exec(compile(source, path, "exec"), self.globals_for(kwargs))
        except ManifestError:
            raise
        except Exception as e:
            raise ManifestError("error in manifest %s: %s: %s" % (path, type(e).__name__, e))
        finally:
            self.depth -= 1
            os.chdir(prev)


def evaluate(manifest_path, path_vars=None, **options):
    """Run a manifest the way a freeze build would; return a Result.

    options are passed to the manifest as include() keyword arguments are."""
    ev = _Evaluator(path_vars)
    if path_vars and path_vars.get("MPY_LIB_DIR"):
        for lib in ("micropython", "python-stdlib", "python-ecosys"):
            ev.add_library(lib, os.path.join(path_vars["MPY_LIB_DIR"], lib))
    path = os.path.abspath(manifest_path)
    if os.path.isdir(path):
        path = os.path.join(path, "manifest.py")
    ev.visited.add(path)
    ev.run(path, options)
    seen = {}
    for e in ev.result.entries:
        if e.target_path in seen and seen[e.target_path] != e.full_path:
            raise ManifestError("%s frozen twice: %s and %s"
                                % (e.target_path, seen[e.target_path], e.full_path))
        seen[e.target_path] = e.full_path
    return ev.result


def main(argv):
    if len(argv) < 2:
        print("usage: manifest_files.py MANIFEST [VAR=path ...]", file=sys.stderr)
        return 2
    path_vars = dict(a.split("=", 1) for a in argv[2:])
    try:
        res = evaluate(argv[1], path_vars)
    except ManifestError as e:
        print(e, file=sys.stderr)
        return 1
    for e in res.entries:
        print("%s\t%s" % (e.target_path, os.path.relpath(e.full_path)))
    for what, arg in res.external:
        print("# not followed (needs a MicroPython checkout): %s(%r)" % (what, arg))
    for name in res.requires:
        print("# require(%r): from micropython-lib at build time" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
