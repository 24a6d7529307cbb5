# A NIC object shaped like MicroPython's network.LAN, over a smolnet
# Interface, so code written for a port's `network` module works:
#
#   from smolnet.compat import network
#   nic = network.LAN(device)              # any smolnet Device, or an Interface
#   nic.active(True)                       # also makes it the socket default
#   nic.ipconfig(addr4="192.0.2.2/24", gw4="192.0.2.1")
#   nic.isconnected(), nic.status(), nic.config("mac"), nic.ifconfig()
#
# network.WIZNET5K(spi, cs, rst) is boards.w5500.WIZNET5K: a board driver
# builds its LAN from here, smolnet never imports boards/.
#
# status() follows the stm32 port's LAN: 0 link down, 1 link up (interface
# not configured), 2 link up without an IPv4 address, 3 link up with one.
# DHCP: ipconfig(dhcp4=True) (or ifconfig("dhcp")) starts smolnet's DHCPv4
# client; isconnected() runs the stack once per call, so the usual
# `while not nic.isconnected(): time.sleep_ms(100)` loop gets a lease, and the
# lease's DNS servers become the socket module's resolver (getaddrinfo).
# mDNS: as the lwIP ports do (they add their netif to lwIP's responder), an
# active LAN with an IPv4 address answers "<network.hostname()>.local"
# (smolnet/apps/mdns.py, RFC 6762): started when the first address comes
# (static or by DHCP), probing again when the address or the hostname
# changes, closed by active(False). network.mdns(False) turns it off: on a
# Cortex-M3 it takes about 8 KB of heap, 4.5 KB of it the module (its
# functions) and 3.6 KB the responder (its socket's rings, one message
# buffer); a firmware without apps or multicast has none.
# Configuration only: everything here may allocate.
from ..wire import ipaddr
from ..socket import errno
from . import stack

_STAT_LINK_DOWN = 0
_STAT_LINK_UP = 1
_STAT_NOIP = 2
_STAT_GOT_IP = 3


class _Globals:
    hostname = "smolnet"
    dns = "0.0.0.0"
    mdns = True
    lans = []            # active LANs: a new hostname reaches their responders


_g = _Globals()


def hostname(name=None):
    if name is None:
        return _g.hostname
    _set_hostname(name)


def _set_hostname(name):
    _g.hostname = str(name)
    for nic in _g.lans:
        nic._mdns_update()


def mdns(on=None):
    """Whether active LANs answer <hostname>.local by multicast DNS (on by
    default, as on the lwIP ports); mdns(False) stops their responders."""
    if on is None:
        return _g.mdns
    _g.mdns = bool(on)
    for nic in _g.lans:
        nic._mdns_update()


def _apply_dns():
    try:
        n = stack.current()
    except OSError:
        return
    if _g.dns and _g.dns != "0.0.0.0":
        n.set_dns([_g.dns])


def ipconfig(*args, **kw):
    """Module-level ipconfig: 'dns' (the resolver's server, IPv4) and
    'prefer' (4 or 6: the family getaddrinfo(name, port) asks first)."""
    if args:
        if args[0] == "dns":
            return _g.dns
        if args[0] == "prefer":
            return stack._reg.prefer
        raise ValueError("unexpected key")
    for k, v in kw.items():
        if k == "dns":
            _g.dns = v
            _apply_dns()
        elif k == "prefer":
            if v != 4 and v != 6:
                raise ValueError("invalid prefer argument")
            stack._reg.prefer = v
        else:
            raise ValueError("unexpected key")


def _mask(plen):
    m = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0
    return "%d.%d.%d.%d" % (m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255)


def _plen(mask):
    b = ipaddr.parse4(mask)
    m = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]
    n = 0
    while n < 32 and m & (0x80000000 >> n):
        n += 1
    if m != ((0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF if n else 0):
        raise ValueError("bad netmask: %s" % mask)
    return n


class LAN:
    def __init__(self, dev=None, iface=None, config=None):
        if iface is None:
            if dev is not None and hasattr(dev, "poll_delay"):
                iface = dev                      # an Interface already
            else:
                from ..iface.interface import Interface
                iface = Interface(dev, config)
        self.iface = iface
        self.net = None
        self._active = False
        self._gw = None
        self._dhcp = None
        self._dhcp_seen = 0
        self.mdns = None           # the responder, while one runs
        self._mdns_ip = None       # the address it last probed with

    def __repr__(self):
        return "<LAN %s %s>" % ("active" if self._active else "inactive",
                                self.ipconfig("addr4")[0])

    # --- state ------------------------------------------------------------
    def active(self, state=None):
        if state is None:
            return self._active
        if state:
            self._active = True
            try:
                n = stack.current()
            except OSError:
                n = None
            self.net = n if (n is not None and n.iface is self.iface) else stack.use(self.iface)
            _apply_dns()             # a server configured before active(True)
            if self not in _g.lans:
                _g.lans.append(self)
            self._mdns_update()
        else:
            self._active = False
            if self in _g.lans:
                _g.lans.remove(self)
            self._mdns_update()
            try:
                if stack.current().iface is self.iface:
                    stack.clear()
            except OSError:
                pass

    def _link(self):
        try:
            return bool(self.iface.device.link_up())
        except (AttributeError, OSError):
            return True

    def isconnected(self):
        if self._dhcp is not None and self.net is not None:
            self.net.tick()          # a polling loop over isconnected() runs DHCP
            self._dhcp_update()
        return self._active and self._link() and bool(self.iface.ips())

    def _dhcp_update(self):
        d = self._dhcp
        if d.changed == self._dhcp_seen:
            return
        self._dhcp_seen = d.changed
        if d.configured:
            servers = d.lease.dns_servers()
            if servers:
                _g.dns = ipaddr.fmt4(servers[0])
                _apply_dns()
            r = d.lease.router_addr()
            self._gw = ipaddr.fmt4(r) if r else None
        self._mdns_update()

    def _mdns_update(self):
        """Start, re-probe or stop the responder to match the LAN's state:
        running while active with an IPv4 address and mdns() on; a new
        address or hostname probes and announces again (RFC 6762 8.3)."""
        ip = self.iface.ip4()
        want = self._active and _g.mdns and ip is not None
        r = self.mdns
        if not want:
            if r is not None:
                r.close()
                self.mdns = None
            return
        if r is None:
            try:
                from ..apps.mdns import MdnsResponder
                self.mdns = MdnsResponder(self.iface, _g.hostname)
            except (ImportError, OSError):
                # a firmware without apps or multicast (the board profile,
                # firmware/manifest.py): no responder, and mdns() says so
                _g.mdns = False
                return
        elif ip != self._mdns_ip or r.base != _g.hostname:
            r.rename(_g.hostname)
        self._mdns_ip = ip

    def _start_dhcp(self):
        if self._dhcp is None:
            from ..socket.dhcpv4 import Dhcpv4Socket
            if not self._active:
                self.active(True)
            self.iface.clear_ips()
            self._dhcp = self.iface.add_socket(Dhcpv4Socket(hostname=_g.hostname))
            self._dhcp_seen = 0

    def _stop_dhcp(self):
        if self._dhcp is not None:
            self._dhcp.close()
            self.iface.remove_socket(self._dhcp)
            self._dhcp = None

    def status(self, param=None):
        if param is not None:
            raise ValueError("unknown status param")
        if not self._link():
            return _STAT_LINK_DOWN
        if not self._active:
            return _STAT_LINK_UP
        return _STAT_GOT_IP if self.iface.ips() else _STAT_NOIP

    # --- config -------------------------------------------------------------
    def config(self, *args, **kw):
        if args:
            if len(args) != 1 or kw:
                raise TypeError("must query one param")
            k = args[0]
            if k == "mac":
                return bytes(self.iface.mac) if self.iface.mac else b""
            if k == "mtu":
                return self.iface.ip_mtu
            if k == "hostname":
                return _g.hostname
            raise ValueError("unknown config param")
        for k, v in kw.items():
            if k == "mac":
                v = bytes(v)
                if len(v) != 6:
                    raise ValueError("mac")
                self.iface.mac = v
                self.iface.neighbors.clear()
            elif k == "hostname":
                _set_hostname(v)
            else:
                raise ValueError("unknown config param")

    def ipconfig(self, *args, **kw):
        iface = self.iface
        if args:
            k = args[0]
            if k == "addr4":
                ips = iface.ips()
                if not ips:
                    return ("0.0.0.0", "0.0.0.0")
                a, p = ips[0].split("/")
                return (a, _mask(int(p)))
            if k == "gw4":
                return self._gw or "0.0.0.0"
            if k == "dhcp4":
                return self._dhcp is not None
            if k == "has_dhcp4":
                return self._dhcp is not None and self._dhcp.configured
            if k in ("autoconf6", "has_autoconf6"):
                return False
            if k == "addr6":
                return _addrs6(iface)
            raise ValueError("unexpected key")
        for k, v in kw.items():
            if k == "addr4":
                if isinstance(v, tuple):
                    v = "%s/%d" % (v[0], _plen(v[1]))
                elif "/" not in v:
                    v = v + "/24"          # what the ports assume without a prefix
                self._stop_dhcp()          # a static address replaces DHCP
                iface.clear_ips()
                iface.add_ip(v)
                self._mdns_update()
            elif k == "gw4":
                iface.routes.remove("0.0.0.0/0")
                if v and v != "0.0.0.0":
                    iface.routes.add_default(v)
                self._gw = v
            elif k == "dhcp4":
                if v:
                    self._start_dhcp()
                else:
                    self._stop_dhcp()
            elif k == "addr6":
                _set_addr6(iface, v)
            elif k == "autoconf6":
                if v:
                    raise OSError(errno.EOPNOTSUPP)
            else:
                raise ValueError("unexpected key")

    def ifconfig(self, cfg=None):
        """The older 4-tuple (ip, netmask, gateway, dns)."""
        if cfg is None:
            a, m = self.ipconfig("addr4")
            return (a, m, self.ipconfig("gw4"), _g.dns)
        if cfg == "dhcp":
            self._start_dhcp()
            return
        ip, mask, gw, dns = cfg
        self.ipconfig(addr4=(ip, mask), gw4=gw)
        # the resolver asks this server from now on, as lwIP's ports
        # (dns_setserver) and WIZNET5K do here (issue 12 item 3)
        _g.dns = dns
        _apply_dns()


# lwIP's address states as ipconfig('addr6') reports them
_LWIP_TENTATIVE = 0x08     # + probes sent
_LWIP_DEPRECATED = 0x10
_LWIP_PREFERRED = 0x30


def _addrs6(iface):
    """[(ip, state, preferred_lifetime, valid_lifetime), ...] as lwIP's
    ports give them: lifetimes are the seconds left, 0 for a static
    address (lwIP's IP6_ADDR_LIFE_STATIC: link-local and ipconfig/add_ip
    ones), 0xffffffff for an infinite one learnt from a router."""
    s6 = iface.ip6
    if s6 is None:
        return []
    from ..iface import addr6
    a = s6.addrs
    out = []
    for i in range(a.n):
        st = a.state[i]
        if st == addr6.TENTATIVE:
            code = _LWIP_TENTATIVE + s6.dad_transmits - a.dad_left[i]
        elif st == addr6.DEPRECATED:
            code = _LWIP_DEPRECATED
        else:
            code = _LWIP_PREFERRED
        if a.origin[i] == addr6.SLAAC:
            pref, valid = _left(a.pref_s[i], s6.secs), _left(a.valid_s[i], s6.secs)
        else:
            pref = valid = 0
        out.append((ipaddr.fmt6(a.addrs, 16 * i), code, pref, valid))
    return out


def _left(deadline, now_s):
    if deadline < 0:
        return 0xFFFFFFFF
    return deadline - now_s if deadline > now_s else 0


def _set_addr6(iface, v):
    """As lwIP: the static addresses go (not link-local, not SLAAC), then v
    ('2001:db8::2/64'; /64 when no prefix length is given) is added; None
    only removes."""
    s6 = iface.ip6
    if s6 is None:
        raise OSError(errno.EOPNOTSUPP)
    if v is not None and ":" not in v:
        raise ValueError("invalid address type")
    from ..iface import addr6
    a = s6.addrs
    i = 0
    while i < a.n:
        if a.origin[i] == addr6.MANUAL:
            a.remove_at(i)
        else:
            i += 1
    if v is not None:
        iface.add_ip(v if "/" in v else v + "/64")

