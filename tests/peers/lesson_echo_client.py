"""Echo client in the style of the lesson's example 1.

Connects, sends the message as UTF-8 (default '안녕'), does ONE recv(1024), prints
`Received <text>` and exits with status 0.

    python3 lesson_echo_client.py --host 127.0.0.1 --port 9999 --message 안녕
"""

import argparse
import sys

from peer_common import connect


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--message", default="안녕")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds for each step")
    args = parser.parse_args()
    sys.stdout.reconfigure(encoding="utf-8")  # Korean text whatever the locale
    try:
        sock = connect(args.host, args.port, args.timeout)
        sock.sendall(args.message.encode())
        data = sock.recv(1024)  # one read, as in the lesson
        sock.close()
    except OSError as error:
        print(f"echo client failed: {error}", file=sys.stderr, flush=True)
        return 1
    print("Received", data.decode(errors="replace"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
