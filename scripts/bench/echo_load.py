"""Bounded echo load generator (Python, one thread, epoll via selectors).

Same closed loop as echo_load.ts: CLIENTS connections (Nagle off), each sends a SIZE-byte
message and waits for the whole echo before the next. After WARMUP seconds it counts round
trips for SECONDS seconds, checks every echo byte for byte, and prints one JSON line.

    python3 scripts/bench/echo_load.py --port 9999 --clients 100 --seconds 5
"""

import argparse
import json
import selectors
import socket
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()

    sel = selectors.DefaultSelector()
    errors = []
    conns = []
    for i in range(args.clients):
        try:
            sock = socket.create_connection((args.host, args.port), timeout=10)
        except OSError as error:
            errors.append(f"connect: {error}")
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        message = bytes(((i * 31 + j * 7) & 0xFF) for j in range(args.size))
        state = {"sock": sock, "message": message, "got": bytearray(), "t0": 0.0}
        conns.append(state)
        sel.register(sock, selectors.EVENT_READ, state)

    samples = []
    mismatches = 0
    now = time.perf_counter
    for state in conns:
        state["t0"] = now()
        state["sock"].send(state["message"])

    start_measuring = now() + args.warmup
    end = start_measuring + args.seconds
    measuring = False
    count = 0
    while conns:
        t = now()
        if not measuring and t >= start_measuring:
            measuring = True
            measured_from = t
        if t >= end:
            break
        for key, _ in sel.select(timeout=0.5):
            state = key.data
            sock = state["sock"]
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as error:
                errors.append(str(error))
                sel.unregister(sock)
                conns.remove(state)
                continue
            if not data:
                errors.append("the server closed the connection")
                sel.unregister(sock)
                conns.remove(state)
                continue
            state["got"] += data
            if len(state["got"]) >= len(state["message"]):
                t1 = now()
                if bytes(state["got"]) != state["message"]:
                    mismatches += 1
                if measuring:
                    samples.append((t1 - state["t0"]) * 1000)
                    count += 1
                state["got"] = bytearray()
                state["t0"] = t1
                sock.send(state["message"])
    elapsed = now() - measured_from if measuring else 0.0
    for state in conns:
        state["sock"].close()
    samples.sort()

    def quantile(q):
        return samples[min(len(samples) - 1, int(q * len(samples)))] if samples else None

    print(json.dumps({
        "generator": "python",
        "clients": args.clients,
        "size": args.size,
        "roundTrips": count,
        "seconds": elapsed,
        "perSecond": count / elapsed if elapsed else 0,
        "p50Ms": quantile(0.5),
        "p99Ms": quantile(0.99),
        "mismatches": mismatches,
        "errors": errors[:5],
        "errorCount": len(errors),
    }), flush=True)


if __name__ == "__main__":
    main()
