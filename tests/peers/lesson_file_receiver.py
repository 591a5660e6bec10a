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

import os
import sys
import threading

from peer_common import make_listener, peer_name, quit_now, server_parser, start_server


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
    parser = server_parser(__doc__, 6000)
    parser.add_argument("--out", required=True, help="folder for received-<n> files")
    parser.add_argument("--once", action="store_true", help="exit after the first file")
    args = parser.parse_args()
    start_server(args, 1 if args.once else 0, f"--max-seconds ({args.max_seconds} s) reached")
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
