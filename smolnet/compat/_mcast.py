# Group membership for smolnet.compat.socket: IP_ADD_MEMBERSHIP /
# IP_DROP_MEMBERSHIP and IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP, loaded by the
# first setsockopt that asks. Part of the manifest option multicast=True
# (firmware/smolnet_files.py), not of the board profile: without it those
# options are OSError(EOPNOTSUPP), as joining is on an Interface without
# IGMP. The Net counts the sockets per group (Net._members): the Interface
# joins for the first and leaves after the last.
# Not a hot path: allocates (the group's text, the lists).
from ..socket import errno
from ..wire import ipaddr


def membership(sock, level, opt, mreq):
    """setsockopt's group options (IP_ADD/DROP_MEMBERSHIP at IPPROTO_IP;
    IPV6_JOIN/LEAVE_GROUP, Linux's 20/21 or lwIP's 12/13, at IPPROTO_IPV6)."""
    v6 = sock._af == 10                 # AF_INET6
    if v6 != (level == 41):             # IPPROTO_IPV6
        # IPv6-only sockets; Linux's answer on an AF_INET one
        raise OSError(errno.ENOPROTOOPT)
    join = opt == 0x400 or opt == 20 or opt == 12   # IP_ADD_MEMBERSHIP, IPV6_JOIN_GROUP
    # struct ip_mreq as MicroPython's lwIP sockets take it: 4 bytes of
    # group, then 4 of the local interface's address; struct ipv6_mreq
    # (RFC 3493 5.2): 16 bytes of group, then a 4-byte interface index.
    # One Interface per Net here, so neither interface is looked at.
    try:
        ok = len(mreq) == (20 if v6 else 8)
    except TypeError:
        if not v6:
            raise                       # lwIP: mp_get_buffer_raise
        ok = False
    if not ok:
        if not v6:
            raise ValueError            # lwIP's length check: mp_raise_ValueError(NULL)
        raise OSError(errno.EINVAL)                 # Linux, for an ipv6_mreq
    group = ipaddr.fmt6(mreq, 0) if v6 else ipaddr.fmt4(mreq, 0)
    net = sock._net
    mine = sock._groups if sock._groups is not None else []
    # joining twice and leaving a group not joined: Linux's errors (lwIP
    # counts a second join and says EINVAL for the leave; README lists it)
    if join:
        if group in mine:
            raise OSError(errno.EADDRINUSE)         # as Linux: joined twice
        _join(net, group)                           # EINVAL / ENOMEM from there
        mine.append(group)
        sock._groups = mine
    else:
        if group not in mine:
            raise OSError(errno.EADDRNOTAVAIL)      # as Linux: never joined
        mine.remove(group)
        leave(net, group)
    # out at once, as lwIP sends its report or leave inside the call: a
    # program may exit (or block) right after this
    net.poll()


def _join(net, group):
    """The Interface joins group for the first socket that asks."""
    n = net._members.get(group, 0)
    if n == 0:
        net.iface.join_multicast(group)
    net._members[group] = n + 1


def leave(net, group):
    """... and leaves it when the last one leaves or closes."""
    n = net._members.get(group, 0) - 1
    if n > 0:
        net._members[group] = n
    elif n == 0:
        del net._members[group]
        net.iface.leave_multicast(group)
