"""Echo server with one thread per client, in the style of the lesson's example 2.

Every client is served by its own thread (recv(1024), send back). A client that closes
normally is reported as `Disconnected by HOST:PORT (closed)`; one whose connection is reset
(ConnectionResetError) as `Disconnected by HOST:PORT (reset)`. The server runs until it is
killed or --max-seconds pass (then it exits with status 0).

    python3 lesson_threaded_echo_server.py --host 127.0.0.1 --port 0
"""

import argparse
import os
import signal
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


def serve_client(conn, addr):
    peer = peer_name(addr)
    print("Connected by", peer, flush=True)
    how = "closed"
    try:
        while True:
            data = conn.recv(1024)
            if not data:  # orderly close
                break
            print("Received from", peer, data.decode(errors="replace"), flush=True)
            conn.sendall(data)
    except ConnectionResetError:  # the client vanished without an orderly close
        how = "reset"
    except OSError as error:
        how = f"error: {error}"
    finally:
        conn.close()
    print(f"Disconnected by {peer} ({how})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999, help="0 picks a free port")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    sys.stdout.reconfigure(encoding="utf-8")  # Korean text whatever the locale
    # Ctrl+C and SIGTERM stop the server even when started with SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    start_watchdog(args.max_seconds, 0, f"--max-seconds ({args.max_seconds} s) reached; stopping")

    server = make_listener(args.host, args.port)
    print("server start", flush=True)
    try:
        while True:
            conn, addr = server.accept()
            threading.Thread(target=serve_client, args=(conn, addr), daemon=True).start()
    except KeyboardInterrupt:
        server.close()
        quit_now(0)


if __name__ == "__main__":
    sys.exit(main())
