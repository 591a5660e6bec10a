"""Helpers shared by the lesson-style Python peers: a server's command line and start, listening,
naming peers, and ending.

These are plumbing for the tests (port 0, bounded lifetime); the socket calls that matter for
the lesson (recv(1024), sendall, the size/ready exchange) stay in each peer.
"""

import argparse
import os
import signal
import socket
import sys
import threading


def server_parser(doc, default_port):
    """A command line with the options every server peer takes: --host, --port, --max-seconds.

    The description is the first line of `doc`; a peer adds its own options before parsing.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    return parser


def start_server(args, code, note):
    """Prepares a server peer: UTF-8 output, Ctrl+C/SIGTERM handling and the --max-seconds limit.

    Output is UTF-8 (Korean text whatever the locale); Ctrl+C and SIGTERM raise
    KeyboardInterrupt even when the peer was started with SIGINT ignored; after
    `args.max_seconds` the process prints `note` and ends with `code`.
    """
    sys.stdout.reconfigure(encoding="utf-8")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    start_watchdog(args.max_seconds, code, note)


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
