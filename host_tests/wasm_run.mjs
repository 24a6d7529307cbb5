// Runs a portable test module on the MicroPython webassembly port (32-bit,
// no viper, no socket) inside Node.
//
//   node host_tests/wasm_run.mjs [options] MODULE [TEST_NAME ...]
//   node host_tests/wasm_run.mjs [options] --exec FILE.py [ARG ...]
//       (runs a script as __main__ instead, e.g. a benchmark; sys.exit(n) works)
//
// options:
//   --heap SIZE     initial MicroPython heap, bytes or with k/m (default 4m);
//                   this (pyscript) build grows its heap on demand, so the
//                   figure does not cap what a test may allocate
//   --pystack N     Python stack size passed to the port (default 16384)
//   --path DIR      also copy DIR's files into the VM and put it first on
//                   sys.path (repeatable; for harness self-tests)
//
// The repo's smolnet/, boards/ and host_tests/ trees are written into the
// in-memory filesystem under /repo (the VM's working directory, as the repo
// root is for the unix port), sys.path becomes [extra dirs..., /repo/host_tests,
// /repo, .frozen, /lib], and host_tests/mprun.py runs the module. Output is
// streamed as it comes; the exit status is mprun's (1 if a test failed),
// 2 for bad usage or a missing npm package, 3 if the VM itself died.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const PKG = path.join(ROOT, "node_modules", "@micropython",
    "micropython-webassembly-pyscript", "micropython.mjs");
const TREES = ["smolnet", "boards", "host_tests"];
const VM_ROOT = "/repo";
const MAX_FILE = 8 * 1024 * 1024;

function usage(msg) {
    if (msg) process.stderr.write(`wasm_run: ${msg}\n`);
    process.stderr.write("usage: node host_tests/wasm_run.mjs [--heap 4m] [--pystack N] " +
        "[--path DIR] (MODULE [TEST ...] | --exec FILE.py [ARG ...])\n");
    process.exit(2);
}

function parseSize(text) {
    const m = /^(\d+)([kKmM]?)$/.exec(text || "");
    if (!m) usage(`bad size '${text}'`);
    const unit = { "": 1, k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()];
    return parseInt(m[1], 10) * unit;
}

// stdout/stderr arrive a byte at a time; pass them on a line at a time
function lineWriter(stream) {
    let bytes = [];
    const decoder = new TextDecoder();
    const flush = () => {
        if (bytes.length) stream.write(decoder.decode(new Uint8Array(bytes)));
        bytes = [];
    };
    const put = (chunk) => {
        for (const c of chunk) {
            bytes.push(c);
            if (c === 10) flush();
        }
    };
    return { put, flush };
}
const out = lineWriter(process.stdout);
const err = lineWriter(process.stderr);

function finish(code) {
    out.flush();
    err.flush();
    // without an explicit exit a script can hang on the VM's pending handles;
    // wait for the last writes to drain first
    process.stdout.write("", () => process.exit(code));
}

function copyTree(FS, hostDir, vmDir) {
    if (!fs.existsSync(hostDir)) return 0;
    let n = 0;
    FS.mkdirTree(vmDir);
    for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
        if (ent.name.startsWith(".") || ent.name === "__pycache__") continue;
        const src = path.join(hostDir, ent.name);
        const dst = `${vmDir}/${ent.name}`;
        if (ent.isDirectory()) {
            n += copyTree(FS, src, dst);
        } else if (ent.isFile() && !ent.name.endsWith(".pyc") &&
                   fs.statSync(src).size <= MAX_FILE) {
            FS.writeFile(dst, fs.readFileSync(src));
            n += 1;
        }
    }
    return n;
}

// a Python string literal for any JS string (JSON escapes are valid Python)
const pyStr = (s) => JSON.stringify(String(s));
const pyList = (xs) => "[" + xs.map(pyStr).join(", ") + "]";

async function main() {
    const args = process.argv.slice(2);
    let heap = 4 * 1024 * 1024;
    let pystack = 16384;
    const extra = [];
    let execFile = null;
    while (args.length && args[0].startsWith("--")) {
        const opt = args.shift();
        if (opt === "--heap") heap = parseSize(args.shift());
        else if (opt === "--pystack") pystack = parseSize(args.shift());
        else if (opt === "--path") extra.push(path.resolve(args.shift() || usage("--path DIR")));
        else if (opt === "--exec") execFile = args.shift() || usage("--exec FILE");
        else if (opt === "--") break;
        else usage(`unknown option ${opt}`);
    }
    if (!execFile && !args.length) usage("no module given");

    if (!fs.existsSync(PKG)) {
        process.stderr.write(`wasm_run: ${PKG} is missing: run 'make setup' ` +
            "(npm ci installs @micropython/micropython-webassembly-pyscript)\n");
        return finish(2);
    }
    const { loadMicroPython } = await import(pathToFileURL(PKG).href);
    const mp = await loadMicroPython({
        heapsize: heap,
        pystack,
        linebuffer: false,
        stdout: (c) => out.put(c),
        stderr: (c) => err.put(c),
    });

    for (const tree of TREES) copyTree(mp.FS, path.join(ROOT, tree), `${VM_ROOT}/${tree}`);
    const vmPath = [];
    extra.forEach((dir, i) => {
        const vmDir = `/extra${i}`;
        copyTree(mp.FS, dir, vmDir);
        vmPath.push(vmDir);
    });
    vmPath.push(`${VM_ROOT}/host_tests`, VM_ROOT, ".frozen", "/lib");
    mp.FS.chdir(VM_ROOT);

    let code = "import sys\nsys.path.clear()\nsys.path.extend(" + pyList(vmPath) + ")\n";
    if (execFile) {
        // run the file in __main__ under its own name (for tracebacks); files
        // inside the repo keep their path relative to /repo
        const abs = path.resolve(execFile);
        const rel = path.relative(ROOT, abs);
        const vmFile = rel.startsWith("..") ? `/exec/${path.basename(abs)}` : `${VM_ROOT}/${rel}`;
        mp.FS.mkdirTree(path.posix.dirname(vmFile));
        mp.FS.writeFile(vmFile, fs.readFileSync(abs));
        code += "sys.argv.clear()\nsys.argv.extend(" + pyList([execFile, ...args]) + ")\n";
        code += "exec(compile(open(" + pyStr(vmFile) + ").read(), " + pyStr(vmFile) + ", 'exec'))\n";
        mp.runPython(code);
        return finish(0);
    }
    code += "import mprun\n_wasm_run_rc = mprun.main(" + pyList(args) + ")\n";
    mp.runPython(code);
    const rc = mp.globals.get("_wasm_run_rc");
    return finish(typeof rc === "number" ? rc : 1);
}

try {
    await main();
} catch (e) {
    out.flush();
    if (e && e.name === "PythonError") {
        if (e.type === "SystemExit") {
            // message ends with the exit value: "SystemExit: 3"
            const m = /SystemExit:?\s*(-?\d+)?\s*$/.exec(String(e.message).trim());
            finish(m && m[1] !== undefined ? parseInt(m[1], 10) & 255 : 0);
        } else {
            err.put(new TextEncoder().encode(String(e.message)));
            err.flush();
            finish(1);
        }
    } else {
        process.stderr.write(`wasm_run: the VM died: ${e && e.stack ? e.stack : e}\n`);
        finish(3);
    }
}
