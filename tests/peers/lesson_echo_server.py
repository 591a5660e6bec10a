"""Single-client echo server in the style of the lesson's example 1.

It accepts ONE client, prints what arrives, sends every chunk straight back with sendall, and
exits (status 0) when that client closes. With nobody connecting within --max-seconds it gives
up with status 1.

    python3 lesson_echo_server.py --host 127.0.0.1 --port 0
"""

import argparse
import signal
import sys

from peer_common import make_listener, peer_name, start_watchdog


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
    start_watchdog(args.max_seconds, 1, f"no finished client within {args.max_seconds} s; giving up")

    try:
        server = make_listener(args.host, args.port)
        conn, addr = server.accept()  # the lesson serves exactly one client
        peer = peer_name(addr)
        print("Connected by", peer, flush=True)
        while True:
            data = conn.recv(1024)
            if not data:  # the client closed its side
                break
            # errors="replace": a character cut by the 1 KiB read must not crash the test peer
            print("Received from", peer, data.decode(errors="replace"), flush=True)
            conn.sendall(data)
        conn.close()
        server.close()
        print("Disconnected by", peer, flush=True)
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
