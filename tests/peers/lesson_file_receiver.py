"""File receiver in the style of the lesson's example 3, one thread per sender.

For each connection: the first recv(1024) is the file size in ASCII digits; it answers
`ready`, then does recv(1024) until at least that many bytes arrived, writing them to
`OUT/received-<n>` (n counts connections from 1; the lesson overwrote one fixed path), and
prints `received <n> <bytes>`. A sender that closes early is reported as
`incomplete <n> <bytes> of <size>`, a bad size line as `failed <n> <reason>`.

With --once it exits after the first connection: status 0 if the file arrived whole, else 1.
Otherwise it runs until killed or --max-seconds pass (status 0; with --once and nobody
connecting, status 1).

    python3 lesson_file_receiver.py --host 127.0.0.1 --port 0 --out /tmp/in --once
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


def receive_file(conn, addr, n, out_dir, results):
    ok = False
    try:
        size = int(conn.recv(1024).decode())
        print("size", n, size, "from", peer_name(addr), flush=True)
        conn.send(b"ready")
        total = 0
        with open(os.path.join(out_dir, f"received-{n}"), "wb") as f:
            while True:
                data = conn.recv(1024)
                if not data:  # the lesson looped forever here; stop instead
                    break
                f.write(data)
                total += len(data)
                if total >= size:
                    break
        if total >= size:
            print("received", n, total, flush=True)
            ok = True
        else:
            print("incomplete", n, total, "of", size, flush=True)
    except (OSError, ValueError) as error:
        print("failed", n, error, flush=True)
    finally:
        conn.close()
        results.append(ok)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6000, help="0 picks a free port")
    parser.add_argument("--out", required=True, help="folder for received-<n> files")
    parser.add_argument("--once", action="store_true", help="exit after the first file")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    sys.stdout.reconfigure(encoding="utf-8")  # Korean text whatever the locale
    # Ctrl+C and SIGTERM stop the server even when started with SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    start_watchdog(
        args.max_seconds, 1 if args.once else 0, f"--max-seconds ({args.max_seconds} s) reached"
    )
    os.makedirs(args.out, exist_ok=True)

    server = make_listener(args.host, args.port, reuse_address=False)
    results = []
    n = 0
    try:
        while True:
            conn, addr = server.accept()
            n += 1
            worker = threading.Thread(
                target=receive_file, args=(conn, addr, n, args.out, results), daemon=True
            )
            worker.start()
            if args.once:
                worker.join()
                server.close()
                quit_now(0 if results[0] else 1)
    except KeyboardInterrupt:
        server.close()
        quit_now(0)


if __name__ == "__main__":
    sys.exit(main())
