"""Captures raw discovery datagrams, as any program on the LAN could.

Listens on UDP PORT (joining GROUP on the interface with address IFACE), prints a line
`READY` once listening, then `SOURCE HEX` for each of the first COUNT datagrams, and exits;
exits with status 1 after TIMEOUT seconds without them. Run it inside a test's namespace.

    python3 beacon_capture.py --iface 10.99.0.2 --count 4
"""

import argparse
import socket
import struct
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iface", required=True)
    parser.add_argument("--group", default="224.0.0.200")
    parser.add_argument("--port", type=int, default=6000)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", args.port))
    membership = struct.pack("4s4s", socket.inet_aton(args.group), socket.inet_aton(args.iface))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    sock.settimeout(args.timeout)
    print("READY", flush=True)
    try:
        for _ in range(args.count):
            data, source = sock.recvfrom(65535)
            print(source[0], data.hex(), flush=True)
    except socket.timeout:
        sys.exit(1)


if __name__ == "__main__":
    main()
