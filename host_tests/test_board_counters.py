# The counters of the Device contract (smolnet/phy/device.py, "Counters:")
# are the ones board_scenario.contract_counters checks, and every driver in
# boards/ has its test_board_<driver>.py run that check on its chip model.
import os
import re

import board_scenario

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _contract_names():
    with open(os.path.join(ROOT, "smolnet", "phy", "device.py")) as f:
        src = f.read()
    block = src[src.index("# Counters:"):]
    names = []
    for line in block.split("\n")[1:]:
        m = re.match(r"#   ([a-z_]+)\s", line)
        if m:
            names.append(m.group(1))
        elif names and not line.startswith("#    "):
            break                   # the table ends at its first other line
    return names


def test_contract_lists_the_counters_the_scenario_checks():
    assert _contract_names() == list(board_scenario.COUNTERS)


def test_every_driver_is_checked_against_the_contract():
    drivers = [d for d in sorted(os.listdir(os.path.join(ROOT, "boards")))
               if os.path.isfile(os.path.join(ROOT, "boards", d, "__init__.py"))
               and d != "common"]
    assert drivers, "no drivers found"
    for d in drivers:
        path = os.path.join(ROOT, "host_tests", "test_board_%s.py" % d)
        assert os.path.exists(path), "boards/%s has no %s" % (d, os.path.basename(path))
        with open(path) as f:
            src = f.read()
            assert "scenario.contract_counters(nic)" in src or \
                "scenario.mem_contract_counters(CHIP)" in src, \
                "%s does not check the Device contract's counters" % path
