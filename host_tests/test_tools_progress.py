"""Long host-side runs say how far they are (issue 12): tools/benchmark.py
--progress MS prints 'MODE: X of Y MB, R MB/s' on stderr while it moves
bytes, and leaves stdout, which scripts parse, as it was. CPython, running
the unix port (no root: the loopback mode)."""
import os
import re
import subprocess

from conftest import micropython_bin, micropython_env, ROOT


def test_benchmark_progress_lines_on_stderr():
    r = subprocess.run([micropython_bin(), os.path.join(ROOT, "tools", "benchmark.py"),
                        "loopback", "-n", "6000000", "--progress", "20"],
                       capture_output=True, text=True, timeout=120, env=micropython_env())
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stderr.splitlines()
    assert lines, r.stderr
    done = []
    for line in lines:
        m = re.match(r"^loopback: (\d+\.\d\d) of 6\.00 MB, \d+\.\d\d MB/s$", line)
        assert m, line
        done.append(float(m.group(1)))
    assert done == sorted(done) and 0 < done[-1] <= 6.0, done
    assert re.match(r"^loopback: 6000000 bytes in \d+ ms: [\d.]+ MB/s$",
                    r.stdout.splitlines()[0]), r.stdout
    # without the option: nothing on stderr
    r = subprocess.run([micropython_bin(), os.path.join(ROOT, "tools", "benchmark.py"),
                        "loopback", "-n", "1000000"],
                       capture_output=True, text=True, timeout=120, env=micropython_env())
    assert r.returncode == 0 and r.stderr == "", r.stderr
