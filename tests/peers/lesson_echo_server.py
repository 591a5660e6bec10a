"""Single-client echo server in the style of the lesson's example 1.

It accepts ONE client, prints what arrives, sends every chunk straight back with sendall, and
exits (status 0) when that client closes. With nobody connecting within --max-seconds it gives
up with status 1.

    python3 lesson_echo_server.py --host 127.0.0.1 --port 0
"""

import sys

from peer_common import make_listener, peer_name, server_parser, start_server


def main():
    args = server_parser(__doc__, 9999).parse_args()
    start_server(args, 1, f"no finished client within {args.max_seconds} s; giving up")

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
