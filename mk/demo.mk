# make demo: smolnet on the MicroPython unix port, attached with AF_PACKET to
# a veth end inside a network namespace it creates, talks to the Linux kernel
# on the other end (ping, UDP, a closed port, smolnet pinging back); prints
# what happened and smolnet's counters, then deletes the namespace. Without
# root: the same conversation between two smolnet interfaces on a Loopback
# pair. See tools/demo.py.
#   make demo DEMO_ARGS=--loopback     the Loopback version even as root
DEMO_ARGS ?=
HELP += "  make demo         smolnet (MicroPython unix port) meets the Linux kernel in a namespace"

.PHONY: demo
demo: setup
	$(PYTHON) tools/demo.py $(DEMO_ARGS)
