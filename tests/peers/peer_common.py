"""Helpers shared by the lesson-style Python peers: listening, naming peers, and ending.

These are plumbing for the tests (port 0, bounded lifetime); the socket calls that matter for
the lesson (recv(1024), sendall, the size/ready exchange) stay in each peer.
"""

import os
import socket
import sys
import threading


def make_listener(host, port, reuse_address=True):
    """Binds and listens on host:port (IPv4 or IPv6), prints `listening on PORT`, returns it."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    server = socket.socket(family, kind, proto)
    if reuse_address:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(address)
    server.listen()
    print("listening on", server.getsockname()[1], flush=True)
    return server


def peer_name(addr):
    """Formats a socket address as HOST:PORT."""
    return f"{addr[0]}:{addr[1]}"


def start_watchdog(seconds, code, note):
    """Ends the whole process with `code` after `seconds`, whatever its threads are doing."""

    def expire():
        print(note, file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(code)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def quit_now(code):
    """Flushes output and ends the process at once, even with client threads still running."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def connect(host, port, timeout):
    """Connects to host:port (IPv4 or IPv6) with a timeout for every later operation."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.settimeout(timeout)
    return sock
