"""Echo server with one thread per client, in the style of the lesson's example 2.

Every client is served by its own thread (recv(1024), send back). A client that closes
normally is reported as `Disconnected by HOST:PORT (closed)`; one whose connection is reset
(ConnectionResetError) as `Disconnected by HOST:PORT (reset)`. The server runs until it is
killed or --max-seconds pass (then it exits with status 0).

    python3 lesson_threaded_echo_server.py --host 127.0.0.1 --port 0
"""

import argparse
import signal
import sys
import threading

from peer_common import make_listener, peer_name, start_watchdog, quit_now


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
