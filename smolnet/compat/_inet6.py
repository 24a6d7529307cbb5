# IPv6 addresses for smolnet.compat.socket (compat/_inet.py has the rest):
# the (host, port[, flowinfo[, scope_id]]) tuples of AF_INET6 sockets and
# IPv6 literals for getaddrinfo. Part of the manifest option ipv6=True
# (firmware/smolnet_files.py): a build without it makes no AF_INET6 socket
# (no Interface.ip6) and finds no IPv6 literal (OSError(-2)).
# Not a hot path: allocates.
from ..socket import errno
from ..wire import ipaddr

_AF_INET = 2
_AF_INET6 = 10
_NOT_FOUND = -2                 # lwIP's "host not found" from getaddrinfo
_ANY6 = b"\x00" * 16


def _strip_scope(host):
    # "fe80::1%eth0" / "fe80::1%2": one Interface per Net, so the zone is
    # not looked at (RFC 4007 11)
    i = host.find("%")
    return host if i < 0 else host[:i]


def parse6(host):
    """An IPv6 literal (zone allowed) -> 16 bytes; ValueError if it is not one."""
    return ipaddr.parse6(_strip_scope(host))


def parse_sockaddr6(host, port):
    """_inet.parse_sockaddr for AF_INET6, given the tuple's host (text) and
    port (checked): an IPv4 literal is OSError(EINVAL), as lwIP's socket
    layer answers a sockaddr of the other family (ERR_VAL)."""
    if not host:
        return _ANY6, port
    if ":" not in host:
        try:
            ipaddr.parse4(host)
        except ValueError:
            raise ValueError("invalid arguments")
        raise OSError(errno.EINVAL)
    try:
        return parse6(host), port
    except ValueError:
        raise ValueError("invalid arguments")


def literal6(host):
    """_inet.literal for a host with a colon: (AF_INET6, normalised text),
    or (0, None) if it is not an IPv6 literal."""
    try:
        return _AF_INET6, ipaddr.fmt6(parse6(host))
    except ValueError:
        return 0, None


def lookup6(net, name, af, prefer):
    """_inet.lookup on an Interface with IPv6: af 0 asks one family and
    then the other, in the order `prefer` (4 or 6) says, as lwIP's
    dns_gethostbyname_addrtype(IPV4_IPV6 / IPV6_IPV4) does: the second only
    when the first found the name without an address of its type."""
    if af == _AF_INET:
        order = (4,)
    elif af == _AF_INET6:
        order = (6,)
    else:
        order = (6, 4) if prefer == 6 else (4, 6)
    err = None
    for fam in order:
        fn = net.resolver if fam == 4 else net.resolver6
        if fn is None:
            continue
        net.nodata = True       # a custom resolver's failure may fall back
        try:
            ip = fn(name)
        except OSError as e:
            err = e
            if not net.nodata:
                break           # no such name (or no answer): not the other type either
            continue
        return (_AF_INET6 if ":" in ip else _AF_INET), ip
    raise err if err is not None else OSError(_NOT_FOUND)
