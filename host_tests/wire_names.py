# Constants of the wire codecs that only the tests name: private in the
# codecs (so a board inlines them and keeps no module attribute for them),
# spelled out here. test_const_copies.py checks each against its source.


class DHCP:
    """smolnet/wire/dhcpv4.py's"""
    XID = 4
    CIADDR = 12
    YIADDR = 16
    CHADDR = 28
    OPT_SUBNET_MASK = 1
    OPT_ROUTER = 3
    OPT_DNS = 6
    OPT_HOSTNAME = 12
    OPT_REQUESTED_IP = 50
    OPT_LEASE_TIME = 51
    OPT_MESSAGE_TYPE = 53
    OPT_SERVER_ID = 54
    OPT_PARAM_REQUEST = 55
    OPT_MAX_SIZE = 57
    OPT_T1 = 58
    OPT_T2 = 59
    OPT_CLIENT_ID = 61
    OFFER = 2


class DNS:
    """smolnet/wire/dns.py's"""
    FLAG_TC = 0x200
    FLAG_RD = 0x100
    FLAG_RA = 128
    RCODE_MASK = 15
    RCODE_NOERROR = 0
    RCODE_NXDOMAIN = 3
    RCODE_REFUSED = 5
    NAME_MAX = 255
    ERR_MALFORMED = -1
    ERR_QUESTION = -2
