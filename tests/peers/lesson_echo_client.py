"""Echo client in the style of the lesson's example 1.

Connects, sends the message as UTF-8 (default '안녕'), does ONE recv(1024), prints
`Received <text>` and exits with status 0.

Two variations for watching the wire (`sockit spy`):

- `--split N` sends the first N bytes of the message, waits for their echo, then sends the
  rest, so the two parts certainly cross as two chunks (N inside a Korean character splits it).
- `--reset` ends with a reset (RST) instead of an orderly close (FIN): SO_LINGER with a zero
  timeout makes close() drop the connection, as a crashed program's would be.

    python3 lesson_echo_client.py --host 127.0.0.1 --port 9999 --message 안녕
"""

import argparse
import socket
import struct
import sys

from peer_common import connect


def receive(sock, count):
    """Reads until `count` bytes arrived (or the server closed)."""
    data = b""
    while len(data) < count:
        more = sock.recv(1024)
        if not more:
            break
        data += more
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--message", default="안녕")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds for each step")
    parser.add_argument("--split", type=int, default=0, help="send in two parts at this byte")
    parser.add_argument("--reset", action="store_true", help="end with a reset, not a close")
    args = parser.parse_args()
    sys.stdout.reconfigure(encoding="utf-8")  # Korean text whatever the locale
    message = args.message.encode()
    try:
        sock = connect(args.host, args.port, args.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if 0 < args.split < len(message):
            sock.sendall(message[: args.split])
            data = receive(sock, args.split)  # the first part is back: it crossed on its own
            sock.sendall(message[args.split :])
            data += receive(sock, len(message) - args.split)
        else:
            sock.sendall(message)
            data = sock.recv(1024)  # one read, as in the lesson
        if args.reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError as error:
        print(f"echo client failed: {error}", file=sys.stderr, flush=True)
        return 1
    print("Received", data.decode(errors="replace"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
