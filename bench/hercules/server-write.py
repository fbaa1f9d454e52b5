#!/usr/bin/env python3
"""The server's write path alone: a host speaking docs/protocol.md (write-behind, §5.1) from one
blocking socket streams Write CCWs to `ctape serve`, as hercules/hdtctape.so does for a chained
write, without Hercules in the way. Prints MB/s and the server's CPU seconds per GB
(user + system from /proc/PID/stat, so PID must be the server's).

    server-write.py HOST:PORT IMAGE SERVER_PID [--block 65535] [--blocks 4000] [--runs 3]
                    [--device 0580] [--tape-mark]

IMAGE is an empty file in one of the server's image folders; it is mounted by path at Attach
and written from its start by every run (a Rewind between runs). --tape-mark ends every run
with Write Tape Mark (a synchronisation point of the server, docs/config.md `sync`).
"""
import argparse
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "bridge"))
import ctproto  # noqa: E402
import ctproto_defs as D  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """user + system seconds of a process (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Host:
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, name, fields=None):
        self.sock.sendall(ctproto.frame(name, fields))

    def recv_exact(self, n):
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise SystemExit("server closed the connection")
            out += chunk
        return bytes(out)

    def receive(self, want):
        """The next frame named want (Unsolicited status on the way is skipped)."""
        while True:
            length, mtype = struct.unpack(">IB", self.recv_exact(5))
            body = self.recv_exact(length - 1)
            name = D.MESSAGE_NAMES[mtype]
            if name == want:
                return ctproto.decode(name, body)
            if name != "Unsolicited":
                raise SystemExit("expected %s, got %s: %r" % (want, name, body[:200]))

    def ccw(self, command, count, data=b"", sequence=1, flags=0):
        self.send("Ccw", {"Command": command, "Flags": flags, "PreviousFlags": 0, "PreviousCommand": 0,
                          "Sequence": sequence, "Count": count, "Data": data})
        reply = self.receive("CcwReply")
        if reply["Status"] != 0x0C:
            raise SystemExit("CCW %02X ended with status %02X" % (command, reply["Status"]))
        return reply.get("WriteCredit", 0) if reply["Flags"] & D.CCW_REPLY_FLAG_WRITE_CREDIT else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("image")
    ap.add_argument("pid", type=int)
    ap.add_argument("--block", type=int, default=65535)
    ap.add_argument("--blocks", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--device", default="0580")
    ap.add_argument("--tape-mark", action="store_true")
    a = ap.parse_args()

    h = Host(a.server)
    h.send("Hello", {"Magic": D.MAGIC, "Version": D.PROTOCOL_VERSION, "MaxFrameLength": 0,
                     "HostName": "server-write.py", "Features": D.FEATURE_WRITE_BEHIND})
    hello = h.receive("HelloReply")
    if not hello.get("Features", 0) & D.FEATURE_WRITE_BEHIND:
        raise SystemExit("the server did not grant write-behind")
    h.send("Attach", {"DeviceNumber": int(a.device, 16), "Model": 0, "Flags": 0, "DeviceArguments": a.image})
    attach = h.receive("AttachReply")
    if attach["Result"] != D.ATTACH_RESULT_ATTACHED:
        raise SystemExit("attach refused: %s" % attach["Message"])

    data = bytes((i * 7) & 0xFF for i in range(a.block))
    buffered = ctproto.frame("BufferedCcw", {"Command": 0x01, "Flags": 0x40, "PreviousFlags": 0x40, "PreviousCommand": 0x01,
                                             "Sequence": 1, "Count": a.block, "Data": data})
    cost = a.block + D.WRITE_COST_PER_BLOCK
    total = a.block * a.blocks
    for run in range(a.runs):
        h.ccw(0x07, 1, sequence=0)                      # Rewind
        cpu0, t0 = cpu_seconds(a.pid), time.perf_counter()
        credit = h.ccw(0x01, a.block, data, sequence=0, flags=0x40)
        syncs = 1
        for _ in range(a.blocks - 1):
            if cost <= credit:
                h.sock.sendall(buffered)
                credit -= cost
            else:
                credit = h.ccw(0x01, a.block, data, flags=0x40)
                syncs += 1
        if a.tape_mark:
            h.ccw(0x1F, 1)
        else:
            h.ccw(0x03, 1)                              # No-op: every buffered Write is in the image
        t1, cpu1 = time.perf_counter(), cpu_seconds(a.pid)
        print("run %d: %d x %d bytes: %.0f MB/s, server CPU %.2f s per GB, %d round trips"
              % (run + 1, a.blocks, a.block, total / (t1 - t0) / 1e6, (cpu1 - cpu0) / (total / 1e9), syncs))
        sys.stdout.flush()
    h.send("Close", {"Reason": 0, "Text": "done"})


if __name__ == "__main__":
    main()
