#!/usr/bin/env python3
"""Differential oracle: run tape channel programs against Hercules 3.13.

Usage:
    python3 tools/guest/run.py TEST.json [--workdir DIR] [--timeout S]
                          [--dump savecore|r] [--full-aws-hex] [--quiet]

The test file describes a tape device and a list of channel programs; this
script assembles guest.s (beside it) together with a generated progdata.s, IPLs
the result in Hercules (daemon mode, console commands fed through a named
pipe used as the Hercules .rc script), waits for the guest's disabled wait,
dumps guest storage, shuts Hercules down and prints one JSON document with
the status every channel program got from the emulated device.

See README.md beside it for the test-file format and the result format.
"""

import argparse
import hashlib
import json
import math
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_SRC = os.path.join(HERE, "guest.s")
TOOL_PREFIX = "s390x-linux-gnu-"

# --------------------------------------------------------------------- names
CCW_FLAG_BITS = [("CD", 0x80), ("CC", 0x40), ("SLI", 0x20), ("SKIP", 0x10),
                 ("PCI", 0x08), ("IDA", 0x04), ("S", 0x02), ("MIDA", 0x01)]
DEV_STATUS_BITS = [("ATTN", 0x80), ("SM", 0x40), ("CUE", 0x20),
                   ("BUSY", 0x10), ("CE", 0x08), ("DE", 0x04), ("UC", 0x02),
                   ("UX", 0x01)]
CHAN_STATUS_BITS = [("PCI", 0x80), ("IL", 0x40), ("PGM", 0x20),
                    ("PROT", 0x10), ("CDC", 0x08), ("CCC", 0x04),
                    ("ICC", 0x02), ("CHAIN", 0x01)]
STCTL_BITS = [("ALERT", 0x10), ("INTERMEDIATE", 0x08), ("PRIMARY", 0x04),
              ("SECONDARY", 0x02), ("PENDING", 0x01)]
COMPLETION = {0: "not_run", 1: "ok", 2: "timeout", 3: "ssch_cc"}

# guest layout (must match guest.s)
H_MAGIC, H_STATE, H_PHASE, H_SID = 0x800, 0x804, 0x808, 0x80C
H_NPROG, H_PGMCODE, H_PGMOLD = 0x814, 0x81C, 0x820
H_TOD0, H_TOD1, H_NSCAN = 0x828, 0x830, 0x838
RES_SIZE = 256
R = dict(COMP=0, CC=4, NINT=8, ITER=12, TOD0=16, TOD1=24, NPRE=32, SCOMP=36,
         SCC=40, SNINT=44, SSCSW=48, ACC=60, PRE=64, SENSE=88, SCSW=152)
NSLOTS = 8
GUARD_BYTE = 0xDB     # fills 8 bytes either side of every data buffer
WAIT_DONE = 0x00D0D000
WAIT_PAUSE = 0x00A00000
WAIT_ERRORS = {0x00BAD001: "program check in guest",
               0x00BAD002: "machine check in guest",
               0x00BAD003: "unexpected SVC in guest",
               0x00BAD004: "device number not found (no such subchannel)",
               0x00BAD005: "MSCH failed",
               0x00BAD006: "CSCH after an I/O timeout did not complete"}

DEVICE_TYPES = ("3410", "3420", "3422", "3430", "3480", "3490", "3590",
                "9347", "8809")


class OracleError(Exception):
    pass


def names(value, table):
    return [n for n, b in table if value & b]


def parse_int(v, what, base=16):
    """ints stay ints; strings are hex unless prefixed 0x/0d."""
    if isinstance(v, bool):
        raise OracleError("%s: bad value %r" % (what, v))
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        s = v.strip().lower()
        try:
            if s.startswith("0x"):
                return int(s[2:], 16)
            if s.startswith("0d"):
                return int(s[2:], 10)
            return int(s, base)
        except ValueError:
            pass
    raise OracleError("%s: bad value %r" % (what, v))


def parse_flags(v):
    if v is None:
        return 0
    if isinstance(v, list):
        out = 0
        table = dict(CCW_FLAG_BITS)
        table["SKP"] = 0x10
        for n in v:
            if str(n).upper() not in table:
                raise OracleError("unknown CCW flag %r" % n)
            out |= table[str(n).upper()]
        return out
    f = parse_int(v, "flags")
    if not 0 <= f <= 0xFF:
        raise OracleError("flags out of range: %r" % v)
    return f


def hexbytes(s, what):
    s = (s or "").replace(" ", "").replace("\n", "")
    try:
        return bytes.fromhex(s)
    except ValueError:
        raise OracleError("%s: not a hex string" % what)


def op_kind(op):
    """Channel command type from the low-order bits of the command code."""
    if op & 0x0F == 0x08:
        return "tic"
    if op & 0x0F == 0x04:
        return "sense"
    if op & 0x0F == 0x0C:
        return "read_backward"
    if op & 0x03 == 0x01:
        return "write"
    if op & 0x03 == 0x02:
        return "read"
    if op & 0x03 == 0x03:
        return "control"
    return "invalid"


# ------------------------------------------------------------ AWS handling
def aws_encode(blocks):
    """blocks: list of "TM" | {"hex": ...} | {"len": n, "fill": "C1"} |
    {"len": n, "pattern_hex": "..."}; returns AWS image bytes."""
    out = bytearray()
    prev = 0
    for i, b in enumerate(blocks):
        if isinstance(b, str) and b.upper() in ("TM", "TAPEMARK"):
            out += (0).to_bytes(2, "little") + prev.to_bytes(2, "little")
            out += bytes([0x40, 0x00])
            prev = 0
            continue
        if not isinstance(b, dict):
            raise OracleError("tape block %d: bad entry %r" % (i, b))
        if "hex" in b:
            data = hexbytes(b["hex"], "tape block %d" % i)
        else:
            n = int(b.get("len", 0))
            pat = hexbytes(b.get("pattern_hex", b.get("fill", "00")),
                           "tape block %d" % i) or b"\0"
            data = (pat * (n // len(pat) + 1))[:n]
        if not 0 < len(data) <= 65535:
            raise OracleError("tape block %d: length %d not in 1..65535"
                              % (i, len(data)))
        out += len(data).to_bytes(2, "little") + prev.to_bytes(2, "little")
        out += bytes([0xA0, 0x00]) + data
        prev = len(data)
    return bytes(out)


def aws_decode(image, full_hex=False, max_hex=256):
    """Parse an AWS image into a list of block descriptions."""
    out = []
    pos = 0
    cur = None
    while pos < len(image):
        if pos + 6 > len(image):
            out.append({"error": "truncated header at offset %d" % pos,
                        "trailing_hex": image[pos:].hex()})
            break
        curl = int.from_bytes(image[pos:pos + 2], "little")
        prvl = int.from_bytes(image[pos + 2:pos + 4], "little")
        f1, f2 = image[pos + 4], image[pos + 5]
        data = image[pos + 6:pos + 6 + curl]
        hdr = {"offset": pos, "curblkl": curl, "prvblkl": prvl,
               "flags1": "%02X" % f1, "flags2": "%02X" % f2}
        pos += 6 + curl
        if f1 & 0x40:
            out.append(dict(hdr, type="TM"))
            continue
        if f1 & 0x80 or cur is None:
            cur = {"type": "block", "chunks": [], "data": b""}
        cur["chunks"].append(hdr)
        cur["data"] += data
        if f1 & 0x20:
            d = cur["data"]
            blk = {"type": "block", "offset": cur["chunks"][0]["offset"],
                   "len": len(d), "sha256": hashlib.sha256(d).hexdigest()}
            if len(cur["chunks"]) > 1:
                blk["chunks"] = len(cur["chunks"])
            else:
                blk.update(flags1=hdr["flags1"], flags2=hdr["flags2"],
                           prvblkl=hdr["prvblkl"])
            if full_hex or len(d) <= max_hex:
                blk["hex"] = d.hex().upper()
            else:
                blk["head_hex"] = d[:32].hex().upper()
            out.append(blk)
            cur = None
    if cur is not None:
        out.append({"type": "incomplete_block",
                    "offset": cur["chunks"][0]["offset"],
                    "len": len(cur["data"])})
    return out


# ------------------------------------------------------------ test parsing
def load_test(path_or_dict, base_dir=None):
    if isinstance(path_or_dict, dict):
        t = dict(path_or_dict)
    else:
        with open(path_or_dict) as f:
            t = json.load(f)
        base_dir = os.path.dirname(os.path.abspath(path_or_dict))
    t.setdefault("name", "test")
    t["_base_dir"] = base_dir or os.getcwd()
    dev = str(t.get("device", "3490"))
    if dev not in DEVICE_TYPES:
        raise OracleError("device %r not one of %s" % (dev, DEVICE_TYPES))
    t["device"] = dev
    t["devnum"] = parse_int(t.get("devnum", "0580"), "devnum")
    if not isinstance(t.get("programs"), list) or not t["programs"]:
        raise OracleError("test needs a non-empty 'programs' list")
    return t


def build_progdata(test):
    """Return (assembler text, layout description)."""
    lines = []
    emit = lines.append
    progs = test["programs"]
    log_each = bool(test.get("log_per_program", True))
    default_tmo = float(test.get("timeout_s", 10))
    emit("# generated by oracle/run.py for test %r -- do not edit" % test["name"])
    emit("        .set ORACLE_DEVNO, 0x%04X" % test["devnum"])
    emit("        .set ORACLE_NPROG, %d" % len(progs))
    emit("        .balign 8")
    emit("progtab:")
    layout = []
    for pi, p in enumerate(progs):
        if not isinstance(p.get("ccws"), list) or not p["ccws"]:
            raise OracleError("program %d has no 'ccws'" % pi)
        fmt = int(p.get("ccw_format", test.get("ccw_format", 1)))
        if fmt not in (0, 1):
            raise OracleError("program %d: ccw_format must be 0 or 1" % pi)
        repeat = int(p.get("repeat", 1))
        if repeat < 1:
            raise OracleError("program %d: repeat must be >= 1" % pi)
        flags = 0
        if log_each or p.get("host_before") or p.get("pause_before"):
            flags |= 1
        if p.get("auto_sense", True):
            flags |= 2
        scount = int(p.get("sense_count", 32))
        if not 1 <= scount <= 64:
            raise OracleError("program %d: sense_count must be 1..64" % pi)
        tmo = float(p.get("timeout_s", default_tmo))
        tmo_units = max(1, int(math.ceil(tmo / 1.048576)))
        if "orb_word1" in p:
            orbw1 = parse_int(p["orb_word1"], "orb_word1")
        else:
            orbw1 = (0x0080FF00 if fmt == 1 else 0x0000FF00)
        emit("        .long p%d_ccw, p%d_res, %d, %d, %d, %d, 0x%08X, 0"
             % (pi, pi, repeat, flags, scount, tmo_units, orbw1))
        layout.append({"fmt": fmt, "repeat": repeat, "flags": flags,
                       "scount": scount, "ccws": []})
    emit("        .balign 8")
    for pi in range(len(progs)):
        emit("p%d_res: .fill %d,1,0" % (pi, RES_SIZE))
    emit("        .balign 8")
    emit("oracle_dummy: .fill 8,1,0")
    # CCW lists
    bufs = []
    for pi, p in enumerate(progs):
        lay = layout[pi]
        expanded = []      # (spec index, spec)
        for si, c in enumerate(p["ccws"]):
            n = int(c.get("repeat", 1))
            if n < 1:
                raise OracleError("program %d ccw %d: repeat < 1" % (pi, si))
            for _ in range(n):
                expanded.append((si, c))
        # map spec index -> first expanded index (for TIC targets)
        first_of = {}
        for ei, (si, _) in enumerate(expanded):
            first_of.setdefault(si, ei)
        emit("        .balign 8")
        emit("p%d_ccw:" % pi)
        for ei, (si, c) in enumerate(expanded):
            what = "program %d ccw %d" % (pi, si)
            if "op" not in c:
                raise OracleError("%s: missing 'op'" % what)
            op = parse_int(c["op"], what + " op")
            if not 0 <= op <= 0xFF:
                raise OracleError("%s: op out of range" % what)
            fl = parse_flags(c.get("flags"))
            kind = op_kind(op)
            data = hexbytes(c.get("data_hex"), what + " data_hex")
            if "data_ebcdic" in c:
                data += str(c["data_ebcdic"]).encode("cp037")
            if "data_ascii" in c:
                data += str(c["data_ascii"]).encode("latin-1")
            pattern = hexbytes(c.get("pattern_hex"), what + " pattern_hex")
            fill = hexbytes(c.get("fill", "00"), what + " fill")
            if len(fill) != 1:
                raise OracleError("%s: fill must be one byte" % what)
            if "count" in c:
                count = parse_int(c["count"], what + " count", base=10)
            else:
                count = len(data) if data else len(pattern)
            if not 0 <= count <= 0xFFFF:
                raise OracleError("%s: count out of range" % what)
            label = None
            addr_expr = None
            if kind == "tic" and "target" in c:
                tgt = int(c["target"])
                if tgt not in first_of:
                    raise OracleError("%s: TIC target %d not a ccw index"
                                      % (what, tgt))
                addr_expr = "p%d_ccw+%d" % (pi, 8 * first_of[tgt])
            elif "data_addr" in c:
                addr_expr = "0x%X" % parse_int(c["data_addr"], what + " data_addr")
            elif count == 0 and not data:
                addr_expr = "oracle_dummy"
            else:
                if ei > 0 and expanded[ei - 1][0] == si:
                    label = lay["ccws"][-1]["label"]   # repeated: share
                else:
                    label = "p%d_b%d" % (pi, si)
                    size = max(count, len(data), 1)
                    if pattern:
                        content = (pattern * (size // len(pattern) + 1))[:size]
                    else:
                        content = data + fill * (size - len(data))
                    bufs.append((label, content))
                addr_expr = label
                if kind == "read_backward" and count > 0:
                    # read backward stores in descending addresses starting
                    # at the CCW address: point it at the buffer's last byte
                    addr_expr = "%s+%d" % (label, count - 1)
            if lay["fmt"] == 1:
                emit("        .byte 0x%02X, 0x%02X" % (op, fl))
                emit("        .short %d" % count)
                emit("        .long %s" % addr_expr)
            else:
                emit("        .long 0x%02X000000 + %s" % (op, addr_expr))
                emit("        .byte 0x%02X, 0" % fl)
                emit("        .short %d" % count)
            lay["ccws"].append({"spec": si, "op": op, "flags": fl,
                                "count": count, "kind": kind, "label": label})
    guards = []
    for label, content in bufs:
        emit("        .balign 8")
        emit("%s_gl: .fill 8,1,0x%02X" % (label, GUARD_BYTE))
        emit("%s:" % label)
        if len(set(content)) == 1:
            emit("        .fill %d,1,0x%02X" % (len(content), content[0]))
        else:
            for off in range(0, len(content), 32):
                emit("        .byte " + ",".join(
                    "0x%02X" % b for b in content[off:off + 32]))
        emit("%s_gr: .fill 8,1,0x%02X" % (label, GUARD_BYTE))
        guards += [label + "_gl", label + "_gr"]
    emit("        .balign 8")
    emit("oracle_end: .long 0")
    return "\n".join(lines) + "\n", layout, guards


def assemble(workdir, progdata):
    with open(os.path.join(workdir, "progdata.s"), "w") as f:
        f.write(progdata)
    shutil.copy(GUEST_SRC, os.path.join(workdir, "guest.s"))

    def tool(*args):
        r = subprocess.run(args, cwd=workdir, capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            raise OracleError("%s failed:\n%s%s" % (args[0], r.stdout, r.stderr))
        return r.stdout

    tool(TOOL_PREFIX + "as", "-m31", "-mesa", "-march=g5", "-o", "guest.o",
         "guest.s")
    tool(TOOL_PREFIX + "ld", "-m", "elf_s390", "-Ttext=0", "-e", "_start",
         "-o", "guest.elf", "guest.o")
    tool(TOOL_PREFIX + "objcopy", "-O", "binary", "guest.elf", "guest.bin")
    syms = {}
    for line in tool(TOOL_PREFIX + "nm", "guest.elf").splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


# ------------------------------------------------------------ Hercules run
class Hercules:
    """One Hercules process; commands go through a FIFO used as the .rc
    script (daemon mode reads no stdin), log comes back on stdout."""

    def __init__(self, workdir, cnf, deadline):
        self.workdir = workdir
        self.deadline = deadline
        self.fifo = os.path.join(workdir, "console.fifo")
        if os.path.exists(self.fifo):
            os.unlink(self.fifo)
        os.mkfifo(self.fifo)
        self.logf = open(os.path.join(workdir, "hercules.log"), "w",
                         encoding="latin-1")
        env = dict(os.environ, HERCULES_RC=self.fifo)
        if MODULE_DIR:
            env["LD_LIBRARY_PATH"] = MODULE_DIR + (
                ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        env.pop("HERCULES_CNF", None)
        self.proc = subprocess.Popen(
            ["hercules", "-d", "-f", cnf], cwd=workdir, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.fd = None
        while self.fd is None:
            try:
                self.fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                if self.proc.poll() is not None:
                    raise OracleError("Hercules exited during start-up, rc=%s"
                                      " (see hercules.log)" % self.proc.returncode)
                if time.time() > self.deadline:
                    raise OracleError("Hercules did not open its script file")
                time.sleep(0.02)
        os.set_blocking(self.fd, True)
        self.sent = set()
        self.seq = 0

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("latin-1").rstrip("\r\n")
            self.logf.write(line + "\n")
            self.logf.flush()
            self.lines.put(line)
        self.lines.put(None)

    def send(self, cmd):
        self.sent.add(cmd.strip())
        os.write(self.fd, (cmd + "\n").encode("latin-1"))

    def get(self, until=None):
        t = min(self.deadline, until or self.deadline) - time.time()
        if t <= 0:
            return "TIMEOUT"
        try:
            line = self.lines.get(timeout=t)
        except queue.Empty:
            return "TIMEOUT"
        return "EOF" if line is None else line

    def sync(self, collect=None):
        """Send a marker comment and wait until it is echoed: everything
        sent before it has been processed by the script thread."""
        self.seq += 1
        marker = "* oracle-sync-%d" % self.seq
        self.send(marker)
        while True:
            line = self.get()
            if line in ("TIMEOUT", "EOF"):
                raise OracleError("Hercules %s while waiting for %r"
                                  % (line.lower(), marker))
            if line.strip() == marker:
                return
            if collect is not None and not self.is_echo(line):
                collect.append(line)

    def is_echo(self, line):
        return line.strip() in self.sent

    def stop(self, grace=15):
        """quit, then SIGTERM/SIGKILL our own process (by pid) if needed."""
        if self.proc.poll() is None:
            try:
                self.send("quit")
            except OSError:
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
        self.reader.join(timeout=5)
        if not self.logf.closed:
            self.logf.close()
        try:
            os.unlink(self.fifo)
        except OSError:
            pass


MODULE_DIR = None


def write_config(workdir, test, image_size):
    mainsize = max(16, int(math.ceil((image_size + (4 << 20)) / (1 << 20))))
    tape = test.get("tape", "empty")
    aws = os.path.join(workdir, "tape.aws")
    if os.path.exists(aws):
        os.unlink(aws)
    if tape in (None, "none"):
        devarg = "*"
    else:
        if tape == "empty":
            open(aws, "wb").close()
        elif isinstance(tape, dict) and "blocks" in tape:
            with open(aws, "wb") as f:
                f.write(aws_encode(tape["blocks"]))
        elif isinstance(tape, str):
            src = tape if os.path.isabs(tape) else \
                os.path.join(test["_base_dir"], tape)
            if not os.path.isfile(src):
                raise OracleError("tape image %r not found" % src)
            shutil.copyfile(src, aws)
        else:
            raise OracleError("bad 'tape' value %r" % (tape,))
        devarg = aws
    opts = [str(o) for o in test.get("device_options", [])]
    for o in opts:
        if "\n" in o:
            raise OracleError("bad device option %r" % o)
    cnf = os.path.join(workdir, "hercules.cnf")
    with open(cnf, "w") as f:
        f.write("# generated by oracle/run.py\n")
        f.write("CPUSERIAL 000611\nCPUMODEL  3090\nMAINSIZE  %d\n"
                "XPNDSIZE  0\nNUMCPU    1\nARCHMODE  ESA/390\n"
                "LOADPARM  ORACLE..\n" % mainsize)
        line = test.get("_device_line")
        if line:
            # e.g. "CTAPE 127.0.0.1:7490 {tape}": an external device module
            # stands in for Hercules' own tape emulation; {tape} is the
            # prepared image (or * for an unloaded drive)
            f.write("%04X %s\n" % (test["devnum"], line.replace(
                "{tape}", devarg).replace("{options}", " ".join(opts)).replace(
                "{type}", test["device"])))
        else:
            f.write("%04X %s %s %s\n" % (test["devnum"], test["device"], devarg,
                                         " ".join(opts)))
    with open(os.path.join(workdir, "guest.ins"), "w") as f:
        f.write("guest.bin 0x00000000\n")
    return cnf, (aws if devarg != "*" else None)


def subst(cmd, workdir, test):
    """Expand {dir} {tape} {devnum} {base} and {copy:PATH} in a host
    command; {copy:PATH} copies PATH (relative to the test file) into the
    work directory and stands for the copy, so sample images stay intact."""
    def copy(m):
        src = m.group(1)
        if not os.path.isabs(src):
            src = os.path.join(test["_base_dir"], src)
        if not os.path.isfile(src):
            raise OracleError("file %r for host command not found" % src)
        dst = os.path.join(workdir, "mount-" + os.path.basename(src))
        shutil.copyfile(src, dst)
        return dst
    cmd = re.sub(r"\{copy:([^}]+)\}", copy, cmd)
    return cmd.replace("{dir}", workdir).replace(
        "{tape}", os.path.join(workdir, "tape.aws")).replace(
        "{base}", test["_base_dir"]).replace("{devnum}", "%04X" % test["devnum"])


def run_hercules(test, workdir, image_size, dump_end, timeout, dump_method):
    cnf, aws = write_config(workdir, test, image_size)
    deadline = time.time() + timeout
    h = Hercules(workdir, cnf, deadline)
    progs = test["programs"]
    plog = [{"host_log": [], "log": []} for _ in progs]
    startup_log = []
    state = {"wait": None, "error": None, "dump": None, "startup": startup_log}
    t_start = time.time()
    try:
        h.sync(collect=startup_log)
        bad = [l for l in startup_log if re.match(r"HHC\w+[ES] ", l)]
        if bad:
            raise OracleError("Hercules rejected the configuration: %s"
                              % " | ".join(bad))
        h.send("ipl %s" % os.path.join(workdir, "guest.ins"))
        current = startup_log
        pending_psw = False
        while True:
            line = h.get()
            if line == "TIMEOUT":
                # leave some evidence in hercules.log before giving up
                h.deadline = time.time() + 10
                diag = []
                try:
                    for c in ("psw", "ipending", "clocks",
                              "ds %X" % test["devnum"], "r 800.40"):
                        h.send(c)
                    h.sync(collect=diag)
                except OracleError:
                    pass
                raise OracleError("timeout after %ss waiting for the guest "
                                  "(last pause index %s); diagnostics in "
                                  "hercules.log" % (timeout, state.get("idx")))
            if line == "EOF":
                raise OracleError("Hercules exited unexpectedly")
            if "HHCCP011I" in line:
                pending_psw = True
                continue
            if pending_psw and "PSW=" in line:
                pending_psw = False
                m = re.search(r"PSW=([0-9A-F]{8}) ([0-9A-F]{8})", line)
                if not m:
                    raise OracleError("cannot parse wait PSW: %r" % line)
                code = int(m.group(2), 16) & 0x7FFFFFFF
                state["wait"] = m.group(1) + m.group(2)
                if code & 0xFFFF0000 == WAIT_PAUSE:
                    idx = code & 0xFFFF
                    state["idx"] = idx
                    if idx >= len(progs):
                        raise OracleError("guest paused at bad index %d" % idx)
                    for cmd in progs[idx].get("host_before", []) or []:
                        h.send(subst(cmd, workdir, test))
                    h.sync(collect=plog[idx]["host_log"])
                    settle = float(progs[idx].get("settle_s", 0))
                    if settle:
                        time.sleep(settle)
                    current = plog[idx]["log"]
                    h.send("restart")
                    continue
                if code == WAIT_DONE:
                    break
                state["error"] = WAIT_ERRORS.get(code, "unexpected disabled "
                                                 "wait %08X" % code)
                break
            if h.is_echo(line) or "HHCPN038I" in line:
                continue
            current.append(line)
        state["guest_seconds"] = round(time.time() - t_start, 3)
        # dump storage
        core = os.path.join(workdir, "core.bin")
        if os.path.exists(core):
            os.unlink(core)
        if dump_method == "savecore":
            # the wait message can come before the CPU is really stopped;
            # stopall is harmless and savecore is retried while rejected
            h.send("stopall")
            h.sync()
            for attempt in range(50):
                if os.path.exists(core):
                    os.unlink(core)
                h.send("savecore %s 0 %X" % (core, dump_end))
                msgs = []
                h.sync(collect=msgs)
                if any("HHCPN170I" in m for m in msgs):
                    break
                if not any("HHCPN102E" in m for m in msgs):
                    raise OracleError("savecore failed: %s" % " | ".join(msgs))
                time.sleep(0.1)
            else:
                raise OracleError("savecore: CPU never stopped")
            with open(core, "rb") as f:
                state["dump"] = f.read()
        else:
            state["dump"] = dump_with_r(h, dump_end)
            with open(core, "wb") as f:
                f.write(state["dump"])
    except OracleError:
        h.stop(grace=3)
        raise
    finally:
        h.stop()
    state["plog"] = plog
    state["aws"] = aws
    return state


def dump_with_r(h, end):
    """Read storage 0..end with the 'r' display command, 4K at a time."""
    mem = bytearray(end + 1)
    seen = bytearray(end + 1)
    pat = re.compile(r"^R:([0-9A-F]{8}):K:[0-9A-F]{2}=((?:[0-9A-F]{8} ?){1,4})")
    for start in range(0, end + 1, 0x1000):
        stop = min(end, start + 0xFFF)
        h.send("r %X-%X" % (start, stop))
        out = []
        h.sync(collect=out)
        for line in out:
            m = pat.match(line.strip())
            if not m:
                continue
            addr = int(m.group(1), 16)
            data = bytes.fromhex(m.group(2).replace(" ", ""))
            for i, b in enumerate(data):
                if addr + i <= end:
                    mem[addr + i] = b
                    seen[addr + i] = 1
    if not all(seen):
        raise OracleError("r display did not cover the whole range")
    return bytes(mem)


# ------------------------------------------------------------ decoding
def be32(b, off):
    return int.from_bytes(b[off:off + 4], "big")


def decode_scsw(b, full=False):
    w0 = be32(b, 0)
    dev, chan = b[8], b[9]
    d = {
        "scsw": b[:12].hex().upper(),
        "unit_status": "%02X" % dev,
        "channel_status": "%02X" % chan,
        "residual": int.from_bytes(b[10:12], "big"),
        "stctl": names(b[3] & 0x1F, STCTL_BITS),
    }
    if full:
        d.update({
            "unit_status_names": names(dev, DEV_STATUS_BITS),
            "channel_status_names": names(chan, CHAN_STATUS_BITS),
            "ccw_address": "%08X" % be32(b, 4),
            "deferred_cc": (w0 >> 24) & 3,
        })
    return d


def tod_us(b, off):
    return int.from_bytes(b[off:off + 8], "big") >> 12


def decode_results(test, layout, syms, mem, plog, full_data=False):
    progs = test["programs"]
    out = []
    for pi, p in enumerate(progs):
        lay = layout[pi]
        res_addr = syms["p%d_res" % pi]
        ccw_base = syms["p%d_ccw" % pi]
        r = mem[res_addr:res_addr + RES_SIZE]
        comp = be32(r, R["COMP"])
        ent = {"index": pi, "name": p.get("name", "program %d" % pi),
               "completion": COMPLETION.get(comp, "code %d" % comp)}
        if comp == 0:
            ent["log"] = plog[pi]["log"]
            out.append(ent)
            continue
        nint = be32(r, R["NINT"])
        ent["ssch_cc"] = be32(r, R["CC"])
        ent["iterations"] = be32(r, R["ITER"])
        ent["interrupt_count"] = nint
        slots = [decode_scsw(r[R["SCSW"] + 12 * i:R["SCSW"] + 12 * i + 12])
                 for i in range(min(nint, NSLOTS))]
        final = decode_scsw(r[R["SCSW"] + 12 * (min(nint, NSLOTS) - 1):],
                            full=True) if nint else None
        if final:
            for k in ("unit_status", "unit_status_names", "channel_status",
                      "channel_status_names", "residual", "scsw"):
                ent[k] = final[k]
        acc_dev, acc_chan = r[R["ACC"]], r[R["ACC"] + 1]
        ent["unit_status_all"] = "%02X" % acc_dev
        ent["channel_status_all"] = "%02X" % acc_chan
        # which CCW did the program end on?
        end_idx = None
        if final:
            ccwa = int(final["ccw_address"], 16) & 0x7FFFFFFF
            n = len(lay["ccws"])
            if ccw_base + 8 <= ccwa <= ccw_base + 8 * n and \
                    (ccwa - ccw_base) % 8 == 0:
                end_idx = (ccwa - ccw_base) // 8 - 1
        ent["ended_at_ccw"] = end_idx
        ent["interrupts"] = slots
        # data areas of input CCWs
        data = []
        shown = set()
        for ei, c in enumerate(lay["ccws"]):
            if c["kind"] not in ("read", "read_backward", "sense") or \
                    c["label"] is None:
                continue
            if c["label"] in shown and ei != end_idx:
                continue
            shown.add(c["label"])
            a = syms[c["label"]]
            buf = mem[a:a + c["count"]]
            d = {"ccw": ei, "op": "%02X" % c["op"], "count": c["count"]}
            if ei == end_idx and final:
                n = max(0, c["count"] - final["residual"])
                d["transferred"] = n
                got = buf[c["count"] - n:] if c["kind"] == "read_backward" \
                    else buf[:n]
                d["data_hex"] = got.hex().upper()
            else:
                d["transferred"] = None
                d["buffer_hex"] = buf.hex().upper()
            if not full_data:
                for k in ("data_hex", "buffer_hex"):
                    if k in d and len(d[k]) > 2048:
                        raw = bytes.fromhex(d[k])
                        d[k + "_sha256"] = hashlib.sha256(raw).hexdigest()
                        d[k] = d[k][:128] + "..."
            data.append(d)
        ent["data"] = data
        # status drained before the SSCH
        npre = be32(r, R["NPRE"])
        if npre:
            ent["pending_before"] = {
                "count": npre,
                "statuses": [decode_scsw(r[R["PRE"] + 12 * i:R["PRE"] + 12 * i + 12])
                             for i in range(min(npre, 2))]}
        # automatic sense
        scomp = be32(r, R["SCOMP"])
        if scomp:
            sscsw = decode_scsw(r[R["SSCSW"]:R["SSCSW"] + 12])
            n = max(0, lay["scount"] - sscsw["residual"])
            ent["sense"] = {
                "completion": COMPLETION.get(scomp, str(scomp)),
                "ssch_cc": be32(r, R["SCC"]),
                "scsw": sscsw["scsw"],
                "unit_status": sscsw["unit_status"],
                "channel_status": sscsw["channel_status"],
                "residual": sscsw["residual"],
            }
            ent["sense_hex"] = r[R["SENSE"]:R["SENSE"] + n].hex().upper()
        else:
            ent["sense_hex"] = None
        t0, t1 = tod_us(r, R["TOD0"]), tod_us(r, R["TOD1"])
        ent["elapsed_us"] = t1 - t0 if t1 >= t0 else None
        if plog[pi]["host_log"]:
            ent["host_log"] = plog[pi]["host_log"]
        ent["log"] = plog[pi]["log"]
        out.append(ent)
    return out


# ------------------------------------------------------------ top level
def run_test(test, workdir, timeout=120, dump_method="savecore",
             full_aws_hex=False, full_data=False):
    """Run one test (dict or path); returns the result dict."""
    if not isinstance(test, dict) or "_base_dir" not in test:
        test = load_test(test)
    os.makedirs(workdir, exist_ok=True)
    workdir = os.path.abspath(workdir)
    progdata, layout, guards = build_progdata(test)
    syms = assemble(workdir, progdata)
    image_size = os.path.getsize(os.path.join(workdir, "guest.bin"))
    dump_end = syms["oracle_end"] + 3
    if any(l["fmt"] == 0 for l in layout) and dump_end >= (1 << 24):
        raise OracleError("format-0 CCWs need buffers below 16M; image too big")
    result = {"test": test["name"], "device": test["device"],
              "devnum": "%04X" % test["devnum"],
              "tape": test.get("tape", "empty") if not isinstance(
                  test.get("tape"), dict) else "generated",
              "device_options": test.get("device_options", []),
              "emulator": "Hercules 3.13 (Debian hercules package)",
              "workdir": workdir}
    timeout = float(test.get("hercules_timeout_s", timeout))
    state = run_hercules(test, workdir, image_size, dump_end, timeout,
                         dump_method)
    mem = state["dump"]
    result["startup_log"] = [l for l in state["startup"]
                             if l.startswith("HHCTA")]
    result["final_wait_psw"] = state["wait"]
    if mem[H_MAGIC:H_MAGIC + 4] != b"ORCL":
        raise OracleError("storage dump does not contain the guest header")
    result["subchannel"] = "%08X" % be32(mem, H_SID)
    if state["error"]:
        result["error"] = state["error"]
        result["failed_in_program"] = be32(mem, H_STATE)
        if "program check" in state["error"]:
            result["program_check"] = {
                "old_psw": mem[H_PGMOLD:H_PGMOLD + 8].hex().upper(),
                "interruption_id": mem[H_PGMCODE:H_PGMCODE + 4].hex().upper()}
    result["programs"] = decode_results(test, layout, syms, mem,
                                        state["plog"], full_data)
    bad = [g[:-3] for g in guards
           if mem[syms[g]:syms[g] + 8] != bytes([GUARD_BYTE]) * 8]
    if bad:
        result["storage_guard_violations"] = sorted(set(bad))
    result["host_seconds"] = state.get("guest_seconds")
    if state["aws"] and os.path.exists(state["aws"]):
        with open(state["aws"], "rb") as f:
            img = f.read()
        result["aws"] = {"file": state["aws"], "size": len(img),
                         "sha256": hashlib.sha256(img).hexdigest(),
                         "blocks": aws_decode(img, full_aws_hex)}
    else:
        result["aws"] = None
    with open(os.path.join(workdir, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def pretty(obj, ind=0, width=140):
    """JSON with short lists/objects kept on one line."""
    one = json.dumps(obj)
    if len(one) + ind <= width or not isinstance(obj, (dict, list)) or \
            not obj:
        return one
    pad = " " * (ind + 1)
    if isinstance(obj, list):
        items = [pad + pretty(v, ind + 1, width) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * ind + "]"
    items = [pad + json.dumps(k) + ": " + pretty(v, ind + 1, width)
             for k, v in obj.items()]
    return "{\n" + ",\n".join(items) + "\n" + " " * ind + "}"


def sanitize(res):
    """Drop timings and host paths so results of two runs can be diffed."""
    wd = res.get("workdir", "")

    def walk(o):
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()
                    if k not in ("elapsed_us", "host_seconds", "workdir")}
        if isinstance(o, list):
            return [walk(v) for v in o]
        if isinstance(o, str):
            if wd:
                o = o.replace(wd, "<workdir>")
            return re.sub(r"tid=[0-9A-F]+, pid=\d+", "tid=*, pid=*", o)
        return o
    return walk(res)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("test", help="test description (JSON)")
    ap.add_argument("--workdir", help="where to keep the generated files, "
                    "the Hercules log, the storage dump and the final AWS "
                    "image (default: tools/guest/out/<test name>)")
    ap.add_argument("--timeout", type=float, default=120,
                    help="seconds before Hercules is shut down / killed")
    ap.add_argument("--dump", choices=("savecore", "r"), default="savecore",
                    help="how guest storage is read back")
    ap.add_argument("--full-aws-hex", action="store_true",
                    help="include the data of every AWS block in hex")
    ap.add_argument("--full-data", action="store_true",
                    help="do not abbreviate long read buffers")
    ap.add_argument("--compact", action="store_true",
                    help="one-line JSON")
    ap.add_argument("--sanitize", action="store_true",
                    help="leave out timings and host paths (for diffing)")
    ap.add_argument("--device-line", metavar="LINE",
                    help="device statement after the device number, replacing "
                    "'TYPE image options', e.g. 'CTAPE 127.0.0.1:7490 {tape}' "
                    "to run the test through an external device module; "
                    "{tape} stands for the prepared image or *, {options} for the "
                    "test's device_options, {type} for its device type")
    ap.add_argument("--module-dir", metavar="DIR",
                    help="folder with extra Hercules device modules "
                    "(put on LD_LIBRARY_PATH)")
    a = ap.parse_args(argv)
    global MODULE_DIR
    MODULE_DIR = os.path.abspath(a.module_dir) if a.module_dir else None
    label = a.test
    try:
        test = load_test(a.test)
        if a.device_line:
            test["_device_line"] = a.device_line
        label = test["name"]
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test["name"])
        workdir = a.workdir or os.path.join(HERE, "out", safe)
        res = run_test(test, workdir, a.timeout, a.dump, a.full_aws_hex,
                       a.full_data)
    except OracleError as e:
        print(json.dumps({"test": label, "error": str(e)}, indent=1))
        return 2
    if a.sanitize:
        res = sanitize(res)
    print(json.dumps(res) if a.compact else pretty(res))
    return 1 if "error" in res else 0


if __name__ == "__main__":
    sys.exit(main())
