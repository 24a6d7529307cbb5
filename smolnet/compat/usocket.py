# The socket facade under the old name some libraries import (`usocket`):
# freeze or copy a file `usocket.py` containing the line below, or set
# sys.modules["usocket"] = smolnet.compat.socket before importing them
# (smolnet.compat.socket.install() does).
from smolnet.compat.socket import *  # noqa: F403
