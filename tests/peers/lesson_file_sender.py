"""File sender in the style of the lesson's example 3.

Sends the file size as ASCII digits, waits for the receiver's answer, and only if it is
exactly `ready` sends the file in 1 KiB reads with sendall, then closes and prints
`sent <bytes> bytes`. Any other answer: a message on stderr and status 1.

    python3 lesson_file_sender.py --host 127.0.0.1 --port 6000 --file photo.jpg
"""

import argparse
import os
import sys

from peer_common import connect


def read_chunks(path, chunk):
    with open(path, "rb") as f:
        while True:
            data = f.read(chunk)
            if not data:
                break
            yield data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6000)
    parser.add_argument("--file", required=True)
    parser.add_argument("--chunk", type=int, default=1024, help="bytes per file read")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for each step")
    args = parser.parse_args()
    sys.stdout.reconfigure(encoding="utf-8")  # Korean text whatever the locale
    try:
        size = os.path.getsize(args.file)
        print("file size", size, flush=True)
        with connect(args.host, args.port, args.timeout) as sock:
            sock.sendall(str(size).encode())
            answer = sock.recv(1024)
            if answer != b"ready":
                print(f"receiver did not answer 'ready' but {answer!r}", file=sys.stderr, flush=True)
                return 1
            sent = 0
            for data in read_chunks(args.file, args.chunk):
                sock.sendall(data)
                sent += len(data)
    except OSError as error:
        print(f"send failed: {error}", file=sys.stderr, flush=True)
        return 1
    print("sent", sent, "bytes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
