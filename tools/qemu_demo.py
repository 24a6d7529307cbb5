# smolnet on real MicroPython firmware under QEMU, in one command:
#
#   make qemu-demo BOARD=MPS2_AN385        (or BOARD=QEMU_SABRELITE; root)
#
# Boots build/qemu/<BOARD>/firmware.elf (make firmware-qemu builds it) in a
# network namespace of its own whose TAP is the board's NIC, brings smolnet
# up at the board's REPL with the bring-up line of firmware/README.md, lets
# the kernel ping it and fetch a page from it, runs repl.ping() the other way,
# prints what the board printed, then deletes the namespace. CPython.
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "host_tests"))

from netns import Netns, NetnsError, check_host, KERNEL_IP, SMOLNET_IP  # noqa: E402
from qemu_board import QemuBoard, BoardError, MACHINES  # noqa: E402

BRINGUP = {
    "MPS2_AN385": "from boards.lan9118 import LAN9118; nic = LAN9118()",
    "QEMU_SABRELITE": "from boards.nxpenet import NXPENET; "
                      "nic = NXPENET(base=0x02188000, phy_addr=6)",
}


def show(title, text):
    print("--- %s" % title)
    print(text.replace("\r\n", "\n").rstrip())


def demo(board):
    with Netns(tap=True) as ns, QemuBoard(ns, board) as b:
        print("booted %s under qemu-system-arm %s; its NIC is %s in namespace %s"
              % (board, " ".join(MACHINES[board][0]), ns.kernel_if, ns.name))
        print("the kernel's end: %s; smolnet: %s" % (KERNEL_IP, SMOLNET_IP))
        out = b.exec("import gc\n" + BRINGUP[board] + "\n"
                     "from smolnet import repl\n"
                     "repl.up(nic, %r, gw=%r)\n"
                     "repl.http()\n"
                     "gc.collect()\nprint('heap free', gc.mem_free())"
                     % (SMOLNET_IP + "/24", KERNEL_IP))
        show("board: bring-up", out)
        # the REPL and the stack together: aiorepl at the prompt (-->)
        b.start("repl.interactive()")
        b.read_until(b"--> ", 30, running=True)
        show("kernel: ping -c 3 %s" % SMOLNET_IP,
             ns.run("ping", "-c", 3, "-i", 0.2, "-w", 10, SMOLNET_IP, check=False).stdout)
        show("kernel: curl http://%s/" % SMOLNET_IP,
             ns.run("curl", "-sS", "--max-time", 20, "http://%s/" % SMOLNET_IP,
                    check=False).stdout)
        show("board: repl.ping(%r, 3)" % KERNEL_IP,
             b.type("repl.ping(%r, 3, interval_ms=200)" % KERNEL_IP, 60, prompt=b"--> "))
        show("board: repl.netstat()", b.type("repl.netstat()", prompt=b"--> "))
        b._send(b"\x04")     # Ctrl-D leaves aiorepl
        b.finish(30)


def main(argv):
    if len(argv) != 1 or argv[0] not in MACHINES:
        sys.stderr.write("usage: qemu_demo.py %s\n" % "|".join(MACHINES))
        return 2
    try:
        check_host({"ip": "iproute2", "ping": "iputils-ping", "curl": "curl"})
        t = time.monotonic()
        demo(argv[0])
    except (NetnsError, BoardError) as e:
        sys.stderr.write("qemu-demo: %s\n" % e)
        return 1
    print("done in %.1f s; namespace deleted" % (time.monotonic() - t))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
