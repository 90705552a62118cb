#!/usr/bin/env python3
"""wire-latency: what the server side of the wire took per kp-load request, from a packet capture on lo.

kp-load measures a request from its own send to its own receipt. This tool times the same requests where
they cross the loopback interface, so a difference between two runs (say kp-sim without and with
--fault-latency) can be placed: on the server's side of the wire, or in the client (docs/load.md,
"Checking latencies on the wire").

  capture --out FILE [--port P ...]   record TCP segments with payload on lo until SIGINT/SIGTERM
                                      (needs root: an AF_PACKET socket). Without --port, every server
                                      port whose SYN is seen after the start is recorded.
  analyze FILE [FILE2]                per server port: p50 of the server-side time of reads, the Gets of
                                      writes and the PUTs; with FILE2 (or two ports in FILE: the faster
                                      one taken as the baseline) the differences, second minus first.

Hand-written (Python's standard library only) because no packet library is installed here: tcpdump and
tshark are not, and the payload is TLS, so only timing and sizes are used. Requests are told apart by
the sizes kp-load's defaults give (1 KiB objects): a request's HEADERS segment is --header-bytes, a
PUT's body follows within 2 ms as --body-bytes, an answer is at least --answer-bytes. Requests on one
connection are matched to answers in order (kp-load's in-flight peak is 1 at the test's rates). A PUT is
timed from its body (the server dispatches on END_STREAM); the Get of a write is the request whose answer
came just before a PUT's HEADERS on the same connection; every other request is a read.
"""
import argparse
import collections
import signal
import socket
import statistics
import struct
import sys

SO_TIMESTAMPNS = 35
PACKET_OUTGOING = 4  # lo shows each segment twice (outgoing and host); keep one


def capture(args):
    ports = set(args.port)
    servers = set(ports)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
    sock.bind(("lo", 0))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.settimeout(0.2)
    stop = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.append(1))
    with open(args.out, "w") as out:
        while not stop:
            try:
                data, ancillary, _, address = sock.recvmsg(65600, 64)
            except (socket.timeout, InterruptedError):
                continue
            if address[2] != PACKET_OUTGOING:
                continue
            ts = None  # the kernel's receive time of the segment (SO_TIMESTAMPNS), ns
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    ts = seconds * 1_000_000_000 + nanoseconds
            ip = data[14:]
            if ip[0] >> 4 == 4:
                if ip[9] != 6:
                    continue
                header = (ip[0] & 15) * 4
                tcp, length = ip[header:], struct.unpack("!H", ip[2:4])[0] - header
            elif ip[0] >> 4 == 6:
                if ip[6] != 6:
                    continue
                tcp, length = ip[40:], struct.unpack("!H", ip[4:6])[0]
            else:
                continue
            sport, dport = struct.unpack("!HH", tcp[:4])
            payload = length - (tcp[12] >> 4) * 4
            if not ports and tcp[13] & 0x12 == 0x02:  # SYN without ACK: dport is a server
                servers.add(dport)
                continue
            if ts is None or payload <= 0:
                continue
            if dport in servers:
                out.write(f"{ts}\t{dport}\t{sport}\tc2s\t{payload}\n")
            elif sport in servers:
                out.write(f"{ts}\t{sport}\t{dport}\ts2c\t{payload}\n")


def timings(rows, args):
    """rows: (ts, client port, direction, bytes) of one server port, in order -> {kind: [ms]}."""
    connections = collections.defaultdict(lambda: {"queue": [], "last": None, "answered": None})
    requests = []
    for ts, cport, direction, size in rows:
        c = connections[cport]
        if direction == "c2s" and args.header_bytes[0] <= size <= args.header_bytes[1]:
            r = {"sent": ts, "body": None, "answer": None, "before": c["answered"]}
            c["queue"].append(r)
            c["last"] = r
            requests.append(r)
        elif (
            direction == "c2s"
            and args.body_bytes[0] <= size <= args.body_bytes[1]
            and c["last"]
            and c["last"]["body"] is None
            and ts - c["last"]["sent"] < 2_000_000
        ):
            c["last"]["body"] = ts
        elif direction == "s2c" and size >= args.answer_bytes and c["queue"]:
            # A request never answered (another size of answer, e.g. during bootstrap) must not shift the rest.
            while len(c["queue"]) > 1 and ts - c["queue"][0]["sent"] > 60_000_000:
                c["queue"].pop(0)
            r = c["queue"].pop(0)
            r["answer"] = ts
            c["answered"] = r
    requests = [r for r in requests[args.skip :] if r["answer"]]
    write_gets = {id(r["before"]) for r in requests if r["body"] and r["before"]}
    out = {"read": [], "write.get": [], "write.update": []}
    for r in requests:
        if r["body"]:
            out["write.update"].append((r["answer"] - r["body"]) / 1e6)
        elif id(r) in write_gets:
            out["write.get"].append((r["answer"] - r["sent"]) / 1e6)
        else:
            out["read"].append((r["answer"] - r["sent"]) / 1e6)
    return out


def load(path):
    by_port = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            ts, sport, cport, direction, size = line.split("\t")
            by_port[int(sport)].append((int(ts), int(cport), direction, int(size)))
    return by_port


def analyze(args):
    runs = []
    for path in args.files:
        for port, rows in sorted(load(path).items()):
            t = timings(rows, args)
            if sum(len(v) for v in t.values()) >= 10:
                runs.append((f"{path}:{port}", t))
    if not runs:
        sys.exit("wire-latency: no kp-load requests found in " + ", ".join(args.files) + ": check the sizes flags")
    for name, t in runs:
        print(name, "  ".join(f"{k} n={len(v)} p50 {statistics.median(v):.3f} ms" for k, v in t.items() if v))
    if len(runs) == 2:
        base, other = runs
        if len(args.files) == 1 and statistics.median(base[1]["read"]) > statistics.median(other[1]["read"]):
            base, other = other, base
        print(
            "difference (" + other[0] + " minus " + base[0] + "): "
            + "  ".join(
                f"{k} {statistics.median(other[1][k]) - statistics.median(base[1][k]):+.3f} ms"
                for k in base[1]
                if base[1][k] and other[1][k]
            )
        )


def size_range(text):
    low, _, high = text.partition("-")
    return int(low), int(high)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--out", required=True)
    c.add_argument("--port", type=int, action="append", default=[])
    a = sub.add_parser("analyze")
    a.add_argument("files", nargs="+")
    a.add_argument("--header-bytes", type=size_range, default=(100, 170), help="LOW-HIGH (default 100-170)")
    a.add_argument("--body-bytes", type=size_range, default=(1000, 1400), help="LOW-HIGH (default 1000-1400)")
    a.add_argument("--answer-bytes", type=int, default=1000)
    a.add_argument("--skip", type=int, default=10, help="requests to skip at the start (pre-warm)")
    args = parser.parse_args()
    def bad(message):
        print("wire-latency: " + message, file=sys.stderr)
        sys.exit(2)

    if args.command == "capture":
        try:
            capture(args)
        except PermissionError:
            bad("capture needs root (an AF_PACKET socket on lo): run it with sudo")
    else:
        if len(args.files) > 2:
            bad(f"analyze takes one or two capture files, got {len(args.files)}: pass a baseline and a fault run")
        for path in args.files:
            try:
                open(path).close()
            except OSError as error:
                bad(f"cannot read capture file '{path}': {error.strerror}; pass a file written by 'capture --out'")
        analyze(args)


if __name__ == "__main__":
    main()
