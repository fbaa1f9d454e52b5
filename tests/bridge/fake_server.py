#!/usr/bin/env python3
"""Test peer for the Hercules bridge module: the server side of docs/protocol.md (version 1)
with a small in-memory 3490 per device number. Python 3 standard library only.

It exists to test hercules/hdtctape.c without the .NET server: every frame type, the
handshake, take-over, Mount with its unsolicited device end, Query, Ping/Pong, Close, and the
CCWs of the reference runner's 3490 samples with Hercules 3.13's outcomes (unit status,
residual, more, sense). Tape contents live in memory; an existing AWS image named in Attach or
Mount is read at load (never written).

    fake_server.py [--listen 127.0.0.1:0] [--port-file FILE] [--log FILE]

Prints "LISTENING host:port" on stdout once bound. One line per message in the log (stderr
when no --log). --drop-after N closes every connection after its N-th CcwReply (tests the
module's reconnect); --mute-after N stops answering after N CcwReplies (tests its timeout);
--malformed-after N answers the CCW after the N-th (once per server) with a CcwReply whose
residual exceeds the count (tests that the module drops such a connection and reports unit check);
--unsolicited-after S sends an Unsolicited device end S seconds after each Attach (tests that
the module presents status the server raises on its own). --write-behind grants write-behind
(docs/protocol.md §5.1) to a host that asks, with a 1 MiB credit in every CcwReply; with
--lose-buffered N as well, each connection drops after receiving N BufferedCcw frames without
running them (a server that died with acknowledged blocks in its socket: tests the module's
deferred unit check). --bogus-references grants read-ahead and read-ahead by reference
(§5.2, §5.3) and refers the host to an image path that does not exist, until the host's
ReadAheadEnd says stop; then blocks come inline (tests the module's fallback). --read-ahead
grants read-ahead with inline blocks; the batch belongs to the drive, so a host that reconnects
can give its unused blocks back (tests the module's ReadAheadEnd after a reconnect).

Frames are encoded and decoded by ctproto.py from the layouts of protocol/wire.json
(ctproto_defs.py, generated); check_vectors.py checks that codec against tests/protocol/vectors.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctproto  # noqa: E402
import ctproto_defs as D  # noqa: E402

MAX_FRAME = D.DEFAULT_MAX_FRAME_LENGTH
VERSION = D.PROTOCOL_VERSION
FEATURE_WRITE_BEHIND, FEATURE_READ_AHEAD, FEATURE_READ_BY_REF = (
    D.FEATURE_WRITE_BEHIND, D.FEATURE_READ_AHEAD, D.FEATURE_READ_AHEAD_BY_REFERENCE)
READ_AHEAD_BATCH = 4
CREDIT = 1 << 20

CE, DE, UC, UX = D.STATUS_CHANNEL_END, D.STATUS_DEVICE_END, D.STATUS_UNIT_CHECK, D.STATUS_UNIT_EXCEPTION
TM = None  # a tape mark in a drive's block list

# Hercules tapeccws.c TapeImmedCommands (3490)
IMMEDIATE = set()
for _row, _bits in enumerate([
        "0001000100000001", "0001000100010001", "0001000100010001", "0001000100010001",
        "0001000100000000", "0001000100010001", "0001000100010001", "0001000000010001",
        "0001000100010001", "0001000100010000", "0001000100010000", "0001000000010001",
        "0001000000010001", "0001000100000001", "0000000100010001", "0001000100010001"]):
    for _col, _b in enumerate(_bits):
        if _b == "1":
            IMMEDIATE.add(_row * 16 + _col)

# docs/reference/hercules-tape.md §1.2: command codes a 3490 accepts, and those refused while fenced
VALID_3490 = {int(x, 16) for x in (
    "00 01 02 03 04 07 0C 0F 12 13 17 1F 22 23 24 27 2B 2F 33 34 37 3B 3E 3F 43 4B 4E 4F "
    "53 5B 63 64 6B 73 77 7B 93 97 9F A3 AB AF B3 B7 BB C3 C7 D3 DB E3 E4 FA").split()}
MODE_SETS = {int(x, 16) for x in "13 23 2B 33 3B 53 63 6B 73 7B 93 A3 AB B3 BB D3".split()}
FENCED_REFUSES = {int(x, 16) for x in (
    "00 01 02 03 12 17 1F 22 27 2F 37 3F 43 4F 97 C3 DB").split()} | MODE_SETS

SENSE_ID_3490 = bytes.fromhex("FF349050349050")
RDC_3490 = bytes.fromhex(               # docs/reference/hercules-tape.md §3.2
    "349050349050" + "000002C0" + "80" + "80" + "00000000" + "00" * 8
    + "349050349050" + "0000" + "00" * 8
    + "42" + "81" + "00" + "0000FFFF" + "0000FFFF" + "00" * 13)
assert len(RDC_3490) == 64

log_lock = threading.Lock()
log_file = sys.stderr


def log(msg):
    with log_lock:
        log_file.write("%.3f %s\n" % (time.time(), msg))
        log_file.flush()


def read_aws(path):
    """Blocks of an AWS image: bytes per block, None per tape mark."""
    blocks, cur = [], b""
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 6 <= len(data):
        curlen, _prv, f1, _f2 = struct.unpack("<HHBB", data[off:off + 6])
        off += 6
        if f1 & 0x40:
            blocks.append(TM)
            continue
        cur += data[off:off + curlen]
        off += curlen
        if f1 & 0x20:
            blocks.append(cur)
            cur = b""
    return blocks


class Drive:
    """A 3490 as Hercules 3.13 emulates it (docs/reference/hercules-tape.md §1, §2)."""

    def __init__(self, devnum):
        self.devnum = devnum
        self.lock = threading.Lock()
        self.owner = None
        self.blocks = []
        self.pos = 0
        self.loaded = False
        self.readonly = False
        self.volume = "*"
        self.sense = bytes(32)
        self.sense_pending = False
        self.fenced = False
        self.rest = b""                   # unread tail of the last block (data chaining)
        self.batch = 0                    # blocks of the last ReadAhead the host may give back

    # -- volume ------------------------------------------------------------------------
    def apply_words(self, words):
        """image|volser|* [options]; returns an error text or None."""
        parts = words.split()
        if not parts:
            return None
        image, opts = parts[0], parts[1:]
        blocks = []
        if image != "*":
            # a refused mount changes nothing: the volume, its position and a read-ahead batch stay
            if os.path.exists(image) and not os.path.isfile(image):
                return "cannot read %s: not a file" % image
            try:
                blocks = read_aws(image) if os.path.isfile(image) else []
            except OSError as e:
                return "cannot read %s: %s" % (image, e)
        self.readonly = any(o in ("ro", "noring", "readonly=1") for o in opts)
        self.batch = 0                    # a mount or unload ends the read-ahead batch
        if image == "*":
            self.loaded, self.blocks, self.pos, self.volume = False, [], 0, "*"
            return None
        self.blocks = blocks
        self.loaded, self.pos, self.volume, self.fenced = True, 0, image, False
        return None

    def devlist(self):
        if not self.loaded:
            return "* (unloaded)"
        return "%s [%d] IBM 3490 %s" % (os.path.basename(self.volume), self.pos,
                                        "R/O" if self.readonly else "R/W")

    # -- sense -------------------------------------------------------------------------
    def build_sense(self, b0=0, era=0, b1_extra=0, fmt=0x20):
        s = bytearray(32)
        s[0] = b0 | (0x40 if not self.loaded else 0)
        s[1] = 0x40 | b1_extra
        if self.loaded and self.pos == 0:
            s[1] |= 0x08
        if self.readonly or not self.loaded:
            s[1] |= 0x02
        s[2] = 0x20
        s[3] = era
        s[7] = fmt                      # format 22 after Rewind Unload, else 20
        if fmt == 0x20:
            s[25] = 0x06
        s[27] = 0xEC
        d = self.devnum
        s[28], s[29], s[30] = d >> 12, (d >> 4) & 0xFF, ((d & 0xF) << 4) | (d & 0xF)
        return bytes(s)

    def unit_check(self, status, b0, era):
        self.sense = self.build_sense(b0, era)
        self.sense_pending = True
        return status | UC

    # -- CCWs --------------------------------------------------------------------------
    def execute(self, op, flags, chained, prevop, seq, count, data):
        """Returns (unit status, more, residual, input data)."""
        if op == 0x02 and chained & 0x80:
            # data-chained read: the rest of the block already read, no motion
            n = min(count, len(self.rest))
            data, self.rest = self.rest[:n], self.rest[n:]
            return CE | DE, 1 if self.rest else 0, count - n, data
        if op not in VALID_3490 or op == 0x4B:
            return self.reject(count)
        if self.fenced and op in FENCED_REFUSES:
            return self.unit_check(CE | DE, 0x12, 0x47), 0, count, b""
        if op in MODE_SETS:
            return CE | DE, 0, count, b""
        if op in IMMEDIATE or op == 0x03:
            return self.control(op, count, chained, prevop)
        if op == 0x01:
            return self.write(count, data)
        if op in (0x02, 0x0C):
            return self.read(op, count)
        if op == 0x04:
            s = self.sense if self.sense_pending else self.build_sense()
            self.sense, self.sense_pending = bytes(32), False
            return self.give(s, count)
        if op == 0xE4:
            return self.give(SENSE_ID_3490, count)
        if op == 0x64:
            return self.give(RDC_3490, count)
        if op == 0x24:
            return self.give(self.sense, count)
        if op == 0x22:
            if not self.loaded:
                return self.not_ready(count)
            bid = struct.pack(">I", 0x01000000 | (self.pos & 0x3FFFFF))
            return self.give(bid + bid, count)
        if op == 0x4F:
            if count < 4:
                return self.reject(count)
            if not self.loaded:
                return self.not_ready(count)
            target = struct.unpack(">I", data[:4])[0] & 0x3FFFFF
            if target > len(self.blocks):
                self.pos = len(self.blocks)
                self.fenced = True
                return self.unit_check(CE | DE, 0x10, 0x44), 0, count - 4, b""
            self.pos = target
            return CE | DE, 0, count - 4, b""
        if op == 0x9F:
            return CE | DE, 1 if count < 17 else 0, max(count - 17, 0), b""
        if op == 0xDB:
            if count < 1:
                return self.reject(count)
            return CE | DE, 0, count - 1, b""
        return self.reject(count)

    def give(self, payload, count):
        n = min(count, len(payload))
        return CE | DE, 1 if len(payload) > count else 0, count - n, payload[:n]

    def reject(self, count):
        return self.unit_check(0, 0x80, 0x27), 0, count, b""

    def not_ready(self, count):
        return self.unit_check(0, 0x40, 0x43), 0, count, b""

    def protected(self, count):
        return self.unit_check(CE | DE, 0x80, 0x30), 0, count, b""

    def write(self, count, data):
        if not self.loaded:
            return self.not_ready(count)
        if self.readonly:
            return self.protected(count)
        del self.blocks[self.pos:]
        self.blocks.append(bytes(data[:count]))
        self.pos += 1
        return CE | DE, 0, 0, b""

    def read(self, op, count):
        if not self.loaded:
            return self.not_ready(count)
        if op == 0x02:
            if self.pos >= len(self.blocks):
                return self.unit_check(CE | DE, 0x08, 0x31), 0, count, b""
            blk = self.blocks[self.pos]
            self.pos += 1
            if blk is TM:
                return CE | DE | UX, 0, count, b""
            n = min(count, len(blk))
            self.rest = blk[n:]
            return CE | DE, 1 if len(blk) > count else 0, count - n, blk[:n]
        # read backward: the block's last bytes, in storage order
        if self.pos == 0:
            return self.unit_check(CE | DE, 0x00, 0x39), 0, count, b""
        self.pos -= 1
        blk = self.blocks[self.pos]
        if blk is TM:
            return CE | DE | UX, 0, 0, b""
        n = min(count, len(blk))
        return CE | DE, 1 if len(blk) > count else 0, count - n, blk[len(blk) - n:]

    def control(self, op, count, chained, prevop):
        needs_volume = op in (0x03, 0x07, 0x0F, 0x17, 0x1F, 0x27, 0x2F, 0x37, 0x3F, 0x43, 0x97)
        if needs_volume and not self.loaded:
            return self.not_ready(count)
        if op in (0x17, 0x1F, 0x97) and self.readonly:
            return self.protected(count)
        if op == 0x07:
            self.pos = 0
            self.fenced = False
        elif op == 0x0F:
            self.loaded, self.blocks, self.pos, self.fenced = False, [], 0, False
            self.sense = self.build_sense(0x40, 0x2B, fmt=0x22)
            self.sense_pending = True
            return CE | DE | UC, 0, count, b""
        elif op == 0x1F:
            del self.blocks[self.pos:]
            self.blocks.append(TM)
            self.pos += 1
        elif op == 0x27:
            if self.pos == 0:
                return self.unit_check(CE | DE, 0x00, 0x39), 0, count, b""
            self.pos -= 1
            if self.blocks[self.pos] is TM:
                return CE | DE | UX, 0, count, b""
        elif op == 0x2F:
            while True:
                if self.pos == 0:
                    return self.unit_check(CE | DE, 0x00, 0x39), 0, count, b""
                self.pos -= 1
                if self.blocks[self.pos] is TM:
                    break
        elif op == 0x37:
            if self.pos >= len(self.blocks):
                return self.unit_check(CE | DE, 0x08, 0x31), 0, count, b""
            self.pos += 1
            if self.blocks[self.pos - 1] is TM:
                return CE | DE | UX, 0, count, b""
        elif op == 0x3F:
            while True:
                if self.pos >= len(self.blocks):
                    return self.unit_check(CE | DE, 0x08, 0x31), 0, count, b""
                self.pos += 1
                if self.blocks[self.pos - 1] is TM:
                    break
        elif op == 0x97 and not (prevop == 0x17 and chained & 0x40):
            return self.reject(count)
        return CE | DE, 0, count, b""


class Server:
    def __init__(self, args):
        self.args = args
        self.drives = {}
        self.lock = threading.Lock()
        self.malformed_sent = False

    def drive(self, devnum):
        with self.lock:
            return self.drives.setdefault(devnum, Drive(devnum))


class Connection(threading.Thread):
    def __init__(self, server, sock, addr):
        super().__init__(daemon=True)
        self.server, self.sock, self.addr = server, sock, addr
        self.send_lock = threading.Lock()
        self.drive = None
        self.replies = 0
        self.closed = False
        self.features = 0
        self.buffered = 0
        self.references = True

    def send(self, name, fields=None):
        frame = ctproto.frame(name, fields)
        with self.send_lock:
            self.sock.sendall(frame)

    def decode(self, name, body):
        """The fields of a frame from the host; a malformed one ends the connection (§1)."""
        try:
            return ctproto.decode(name, body)
        except ctproto.ProtocolError as e:
            self.error(e.code, str(e))

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def error(self, code, text):
        log("%s: protocol error %d: %s" % (self.addr, code, text))
        try:
            self.send("Error", {"Code": code, "Text": text})
        except OSError:
            pass
        raise EOFError

    def take_over(self):
        """Called by another connection attaching our drive with the take-over flag."""
        try:
            self.send("Close", {"Reason": D.CLOSE_REASON_TAKEN_OVER, "Text": "taken over by another connection"})
        except OSError:
            pass
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_ahead(self, d):
        """After a good Read: the next data blocks (at most READ_AHEAD_BATCH) as one ReadAhead, by
        reference into a path that does not exist while references are on (d.lock held)."""
        entries = []
        while len(entries) < READ_AHEAD_BATCH and d.pos < len(d.blocks) and d.blocks[d.pos] is not TM \
                and len(d.blocks[d.pos]) > 0:
            blk = d.blocks[d.pos]
            d.pos += 1
            if self.features & FEATURE_READ_BY_REF and self.references:
                entries.append((len(blk), None, 6 * (len(entries) + 1)))
            else:
                entries.append((len(blk), blk, None))
        if not entries:
            return
        d.batch = len(entries)
        if self.features & FEATURE_READ_BY_REF and self.references:
            self.send("ReadAheadImage", {"Path": "/nonexistent/ctape-fake/volume.aws"})
        self.send("ReadAhead", {"Entries": entries})
        by_reference = self.features & FEATURE_READ_BY_REF and self.references
        log("%04X ReadAhead %d blocks (%s)" % (d.devnum, len(entries), "references" if by_reference else "inline"))

    def spontaneous_device_end(self):
        if not self.closed:
            log("%04X sending Unsolicited DE" % self.drive.devnum)
            try:
                self.unsolicited(DE)
            except OSError:
                pass

    def unsolicited(self, status):
        self.send("Unsolicited", {"Status": status})

    def run(self):
        try:
            self.serve()
        except (EOFError, OSError):
            pass
        finally:
            if self.drive is not None and self.drive.owner is self:
                self.drive.owner = None
            self.sock.close()
            log("%s: connection closed" % (self.addr,))

    def serve(self):
        state = "hello"
        a = self.server.args
        while True:
            hdr = self.recv_exact(D.FRAME_HEADER_SIZE)
            try:
                length, mtype = ctproto.check_header(hdr, MAX_FRAME)   # length, then a known type
            except ctproto.ProtocolError as e:
                self.error(e.code, str(e))
            body = self.recv_exact(length - 1)
            if state == "hello":
                if mtype != D.HELLO:
                    self.error(D.PROTOCOL_ERROR_NOT_ALLOWED_NOW, "expected Hello")
                hello = self.decode("Hello", body)
                if hello["Magic"] != D.MAGIC or hello["Version"] != VERSION:
                    self.error(D.PROTOCOL_ERROR_WRONG_MAGIC_OR_VERSION, "wrong magic or version")
                asked = hello["Features"]
                self.features = asked & FEATURE_WRITE_BEHIND if a.write_behind else 0
                if a.bogus_references:
                    self.features |= asked & (FEATURE_READ_AHEAD | FEATURE_READ_BY_REF)
                if a.read_ahead:
                    self.features |= asked & FEATURE_READ_AHEAD
                log("%s: Hello from %s, features asked %X granted %X"
                    % (self.addr, hello["HostName"], asked, self.features))
                self.send("HelloReply", {"Version": VERSION, "MaxFrameLength": MAX_FRAME,
                                         "ServerName": "fake_server 1", "Features": self.features})
                state = "attach"
                continue
            if mtype == D.PING:
                log("%s: Ping %s" % (self.addr, body.hex()))
                self.send("Pong", {"Token": self.decode("Ping", body)["Token"]})
                continue
            if mtype == D.CLOSE:
                log("%s: Close from host" % (self.addr,))
                return
            if state == "attach":
                if mtype != D.ATTACH:
                    self.error(D.PROTOCOL_ERROR_NOT_ALLOWED_NOW, "expected Attach")
                attach = self.decode("Attach", body)
                devnum, model, flags = attach["DeviceNumber"], attach["Model"], attach["Flags"]
                words = attach["DeviceArguments"]
                d = self.server.drive(devnum)
                log("%s: Attach %04X model %04X flags %02X words %r" % (self.addr, devnum, model, flags, words))
                result, msg = 0, ""
                with d.lock:
                    if model not in (0, 0x3490):
                        result, msg = 2, "drive %04X is a 3490" % devnum
                    elif d.owner is not None and d.owner is not self and not (flags & D.ATTACH_FLAG_TAKE_OVER):
                        result, msg = 3, "drive %04X is attached by another connection" % devnum
                    else:
                        err = d.apply_words(words)
                        if err:
                            result, msg = 4, err
                    if result == 0:
                        if d.owner is not None and d.owner is not self:
                            d.owner.take_over()
                        d.owner = self
                        self.drive = d
                        msg = d.devlist()
                        loaded = d.loaded
                bm = bytearray(32)
                for op in IMMEDIATE:
                    bm[op // 8] |= 0x80 >> (op % 8)
                if result == 0 and a.unsolicited_after:
                    timer = threading.Timer(a.unsolicited_after, self.spontaneous_device_end)
                    timer.daemon = True
                    timer.start()
                if result == 0:
                    reply = {"Result": 0, "Model": 0x3490, "SenseId": SENSE_ID_3490, "SenseCount": 32,
                             "ImmediateCommands": bytes(bm), "VolumeLoaded": 1 if loaded else 0, "Message": msg}
                    state = "attached"
                else:                   # the identity fields zero (§3 AttachReply)
                    reply = {"Result": result, "Model": 0, "SenseId": b"", "SenseCount": 0,
                             "ImmediateCommands": bytes(32), "VolumeLoaded": 0, "Message": msg}
                self.send("AttachReply", reply)
                continue
            d = self.drive
            if mtype == D.CCW:
                ccw = self.decode("Ccw", body)
                op, flags, chained, prevop, seq, count = (ccw["Command"], ccw["Flags"], ccw["PreviousFlags"],
                                                          ccw["PreviousCommand"], ccw["Sequence"], ccw["Count"])
                data = ccw["Data"]
                with d.lock:
                    d.batch = 0                   # a Ccw after a batch: it was used up
                    status, more, resid, indata = d.execute(op, flags, chained, prevop, seq, count, data)
                    sense = d.sense if status & UC else b""
                    if (self.features & FEATURE_READ_AHEAD and op == 0x02 and status == CE | DE
                            and not (flags | chained) & 0x80):
                        self.read_ahead(d)
                log("%04X CCW op=%02X flags=%02X chained=%02X prev=%02X seq=%d count=%d out=%d -> "
                    "status=%02X more=%d resid=%d in=%d sense=%s"
                    % (d.devnum, op, flags, chained, prevop, seq, count, len(data), status, more,
                       resid, len(indata), sense[:4].hex().upper()))
                self.replies += 1
                if a.mute_after and self.replies > a.mute_after:
                    log("%04X muted: not answering" % d.devnum)
                    continue
                if a.malformed_after and self.replies == a.malformed_after + 1 and not self.server.malformed_sent:
                    self.server.malformed_sent = True
                    log("%04X sending a malformed CcwReply (residual %d > count %d)" % (d.devnum, count + 1, count))
                    self.send("CcwReply", {"Status": CE | DE, "Flags": 0, "Residual": count + 1})
                    continue
                reply = {"Status": status, "Flags": more, "Residual": resid, "Sense": sense, "Data": indata}
                if self.features & FEATURE_WRITE_BEHIND:
                    reply["Flags"] |= D.CCW_REPLY_FLAG_WRITE_CREDIT
                    reply["WriteCredit"] = CREDIT
                self.send("CcwReply", reply)
                if a.drop_after and self.replies >= a.drop_after:
                    log("%04X dropping the connection after %d replies" % (d.devnum, self.replies))
                    self.sock.shutdown(socket.SHUT_RDWR)
                    raise EOFError
                continue
            if mtype == D.BUFFERED_CCW:
                if not self.features & FEATURE_WRITE_BEHIND:
                    self.error(D.PROTOCOL_ERROR_MALFORMED_FRAME, "BufferedCcw not allowed")
                ccw = self.decode("BufferedCcw", body)
                if ccw["Command"] != D.COMMAND_WRITE:
                    self.error(D.PROTOCOL_ERROR_MALFORMED_FRAME, "BufferedCcw not allowed")
                op, flags, chained, prevop, seq, count = (ccw["Command"], ccw["Flags"], ccw["PreviousFlags"],
                                                          ccw["PreviousCommand"], ccw["Sequence"], ccw["Count"])
                self.buffered += 1
                if a.lose_buffered:
                    log("%04X BufferedCcw %d (count %d) not run" % (d.devnum, self.buffered, count))
                    if self.buffered >= a.lose_buffered:
                        log("%04X dropping the connection with %d buffered blocks unrun" % (d.devnum, self.buffered))
                        self.sock.shutdown(socket.SHUT_RDWR)
                        raise EOFError
                    continue
                with d.lock:
                    status, more, resid, indata = d.execute(op, flags, chained, prevop, seq, count, ccw["Data"])
                log("%04X BufferedCcw count=%d -> status=%02X" % (d.devnum, count, status))
                continue
            if mtype == D.READ_AHEAD_END:
                end = self.decode("ReadAheadEnd", body)
                unused, flags = end["UnusedBlocks"], end["Flags"]
                with d.lock:
                    batch = d.batch
                    if batch and unused > batch:
                        self.error(D.PROTOCOL_ERROR_MALFORMED_FRAME, "ReadAheadEnd: %d unused of a batch of %d" % (unused, batch))
                    if batch:
                        d.pos -= unused       # no batch known: ignored (protocol.md §5.2)
                    d.batch = 0
                if flags & D.READ_AHEAD_END_FLAG_STOP_REFERENCES:
                    self.references = False
                log("%04X ReadAheadEnd unused=%d flags=%02X" % (d.devnum, unused, flags))
                continue
            if mtype == D.HALT:
                log("%04X Halt (no CCW outstanding: ignored)" % d.devnum)
                continue
            if mtype == D.MOUNT:
                words = self.decode("Mount", body)["Arguments"]
                with d.lock:
                    err = d.apply_words(words)
                    text = err or d.devlist()
                log("%04X Mount %r -> %s" % (d.devnum, words, text))
                self.send("MountReply", {"Result": D.MOUNT_RESULT_REFUSED if err else D.MOUNT_RESULT_DONE, "Message": text})
                if not err:
                    self.unsolicited(DE)
                continue
            if mtype == D.QUERY:
                with d.lock:
                    text = d.devlist()
                log("%04X Query -> %s" % (d.devnum, text))
                self.send("QueryReply", {"Text": text})
                continue
            if mtype == D.PONG:
                continue
            # a known type (check_header refused the others) that a host does not send now
            self.error(D.PROTOCOL_ERROR_NOT_ALLOWED_NOW, "message %02X not allowed now" % mtype)


def main():
    global log_file
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--drop-after", type=int, default=0)
    ap.add_argument("--mute-after", type=int, default=0)
    ap.add_argument("--malformed-after", type=int, default=0)
    ap.add_argument("--unsolicited-after", type=float, default=0)
    ap.add_argument("--write-behind", action="store_true")
    ap.add_argument("--lose-buffered", type=int, default=0)
    ap.add_argument("--bogus-references", action="store_true")
    ap.add_argument("--read-ahead", action="store_true")
    a = ap.parse_args()
    if a.log:
        log_file = open(a.log, "a", buffering=1)
    host, port = a.listen.rsplit(":", 1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(16)
    bound = "%s:%d" % ls.getsockname()
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(ls.getsockname()[1]) + "\n")
        os.replace(a.port_file + ".tmp", a.port_file)
    print("LISTENING " + bound, flush=True)
    log("listening on " + bound)
    server = Server(a)
    while True:
        s, addr = ls.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Connection(server, s, "%s:%d" % addr).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
