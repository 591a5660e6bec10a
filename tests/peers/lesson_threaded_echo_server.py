"""Echo server with one thread per client, in the style of the lesson's example 2.

Every client is served by its own thread (recv(1024), send back). A client that closes
normally is reported as `Disconnected by HOST:PORT (closed)`; one whose connection is reset
(ConnectionResetError) as `Disconnected by HOST:PORT (reset)`. The server runs until it is
killed or --max-seconds pass (then it exits with status 0).

    python3 lesson_threaded_echo_server.py --host 127.0.0.1 --port 0
"""

import sys
import threading

from peer_common import make_listener, peer_name, quit_now, server_parser, start_server


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
    args = server_parser(__doc__, 9999).parse_args()
    start_server(args, 0, f"--max-seconds ({args.max_seconds} s) reached; stopping")

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
