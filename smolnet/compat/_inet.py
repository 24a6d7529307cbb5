# Address families of smolnet.compat.socket: the (host, port) and
# (host, port, flowinfo, scope_id) tuples users pass and get back, name and
# literal lookup for getaddrinfo, and a UdpSocket that hears one family only.
#
# Sockets are of one family, as lwIP's pcbs are: an AF_INET6 socket is IPv6
# only (no IPv4-mapped addresses; lwIP's dual-stack IPADDR_TYPE_ANY is not
# offered), and an AF_INET socket bound to 0.0.0.0 does not hear IPv6.
# Not a hot path except FamilyUdp.accepts, which allocates nothing.
from micropython import const
from ..socket.udp import UdpSocket
from ..wire import ipaddr
from .ports import ephemeral_port

AF_INET = const(2)
AF_INET6 = const(10)
ANY6 = b"\x00" * 16
_NOT_FOUND = const(-2)          # lwIP's "host not found" from getaddrinfo


def alen_of(af):
    return 16 if af == AF_INET6 else 4


def any_addr(af):
    return ANY6 if af == AF_INET6 else ipaddr.ANY4


def text(host):
    """A host as str: bytes are taken too (lwIP's mp_obj_str_get_data
    reads either); anything else is TypeError, as both lwIP and CPython."""
    if isinstance(host, str):
        return host
    if isinstance(host, (bytes, bytearray)):
        return bytes(host).decode()
    raise TypeError("host must be str or bytes")


def port_of(port):
    """A port number: an int (lwIP's mp_obj_get_int: "80" is TypeError)
    in 0..65535. lwIP would truncate 70000 or -1 to 16 bits and bind
    elsewhere; CPython's OverflowError is raised instead."""
    if not isinstance(port, int):
        raise TypeError("port must be int")
    if not 0 <= port <= 65535:
        raise OverflowError("port must be 0-65535")
    return port


def parse_sockaddr(af, address):
    """The address a user passed -> (4- or 16-byte address, port). Names
    are not looked up (lwIP: numeric addresses only, ValueError); an
    AF_INET6 socket given an IPv4 literal: OSError(EINVAL), as lwIP's
    socket layer answers a sockaddr of the other family (ERR_VAL)."""
    if af != AF_INET6:
        host, port = address
        host = text(host)
        port = port_of(port)
        if not host:
            return ipaddr.ANY4, port
        try:
            return ipaddr.parse4(host), port
        except ValueError:
            raise ValueError("invalid arguments")
    if not isinstance(address, tuple) or not 2 <= len(address) <= 4:
        raise TypeError("AF_INET6 address must be a tuple (host, port[, flowinfo[, scope_id]])")
    from ._inet6 import parse_sockaddr6    # an AF_INET6 socket: the ipv6 option is there
    return parse_sockaddr6(text(address[0]), port_of(address[1]))


def sockaddr(af, a, port):
    """(host, port) for AF_INET, (host, port, 0, 0) for AF_INET6 (as CPython
    gives them; flowinfo and scope_id are not kept)."""
    if af == AF_INET6:
        return (ipaddr.fmt6(a), port, 0, 0)
    return (ipaddr.fmt4(a), port)


def literal(host):
    """(family, normalised text) of an IP literal, or (0, None) for a name."""
    if ":" in host:
        try:
            from ._inet6 import literal6
        except ImportError:
            raise OSError(_NOT_FOUND)   # no IPv6 in this build (the ipv6 option)
        return literal6(host)
    try:
        ipaddr.parse4(host)
        return AF_INET, host
    except ValueError:
        return 0, None


def lookup(net, name, af, prefer):
    """Resolve name through the Net's resolvers -> (family, address text).
    af 0 asks one family and then the other, in the order `prefer` (4 or 6)
    says, as lwIP's dns_gethostbyname_addrtype(IPV4_IPV6 / IPV6_IPV4) does:
    the second only when the first found the name without an address of
    its type. OSError(-2) when nothing resolves."""
    if net is None:
        raise OSError(_NOT_FOUND)
    if af != AF_INET6 and name.lower().endswith(".local"):
        # link-local names by multicast DNS (RFC 6762), as lwIP's ports do;
        # a build without the manifest option lan=True has no resolver for
        # them, and RFC 6762 3 keeps them away from unicast DNS: not found
        try:
            from ._mdns import resolve
        except ImportError:
            raise OSError(_NOT_FOUND)
        return AF_INET, resolve(net, name, ephemeral_port(net.iface, 17))
    if net.iface.ip6 is not None:
        # an Interface with IPv6 (the ipv6 option): AAAA too, in order
        from ._inet6 import lookup6
        return lookup6(net, name, af, prefer)
    # (no IPv6 in this Config: no AAAA asked)
    if af == AF_INET6 or net.resolver is None:
        raise OSError(_NOT_FOUND)
    ip = net.resolver(name)
    return (AF_INET6 if ":" in ip else AF_INET), ip


class FamilyUdp(UdpSocket):
    """A UdpSocket that takes datagrams of one family only (alen 4 or 16),
    so an AF_INET and an AF_INET6 socket can share a port."""

    def __init__(self, alen, rx_slots, rx_bytes, tx_slots, tx_bytes):
        UdpSocket.__init__(self, rx_slots, rx_bytes, tx_slots, tx_bytes)
        self.family_alen = alen

    def accepts(self, iface, l4_off):
        if iface.rx_alen != self.family_alen:
            return 0
        return UdpSocket.accepts(self, iface, l4_off)
