#!/usr/bin/env python3
"""Compares Hercules 3.13 CCW traces of one drive (t+CUU) in two Hercules logs, line for line.

    compare_ccw_traces.py CUU NATIVE.log CTAPE.log

Keeps the drive's trace lines (HHCCP048I CCW, HHCCP049I/075I status, 076I/077I sense, 066I
attention) and normalises what differs from run to run, or between Hercules' own tape and a device
module, without being the drive's behaviour:
- the data addresses in the CCWs and the CCW address in the ending status (where the OS's buffers lie);
- Hercules 3.13 starts an AWS tape's channel programs synchronously on the CPU thread (tapedev.c sets
  dev->syncio = 2) and, when a CCW would wait, runs the program again on a device thread
  (channel.c execute_ccw_chain, syncio_retry): it logs "CUU:synchronous I/O ccw addr" and the same
  HHCCP048I line twice. Those lines go, and a HHCCP048I line equal to the one before it counts once;
- HHCCP051I Test I/O: how often the OS polls a busy device is a matter of time, not of the drive;
- HHCCP048I shows 16 bytes of storage at the CCW's data address before the CCW runs: for a write or
  control CCW only its first `count` bytes are what the drive gets (the rest is whatever lies
  there), for a read the storage before the data came in (the data read is in HHCCP075I), for a TIC
  the CCWs it goes to, whose data addresses are the OS's buffers. So only the bytes sent stay, and a
  TIC's CCWs keep their command, flags and count.
The data, counts, unit and channel status and the sense stay. Prints the differences; exit 1 when
there are any (or no trace at all), 0 when the traces are equal."""
import difflib
import re
import sys

def trace(path, cuu):
    cuu = cuu.upper().rjust(4, "0")
    keep = re.compile(r"^HHCCP0(48|49|66|75|76|77)I (DEV)?%s:" % cuu)
    lines = []
    for line in open(path, encoding="latin-1"):
        line = line.rstrip("\n").rstrip()
        if not keep.match(line):
            continue
        line = re.sub(r"ccw addr [0-9a-fA-F]+", "ccw addr *", line)
        line = ccw_line(line)
        line = re.sub(r"  CCW=[0-9A-F]{6}$", "  CCW=******", line)                   # 049I: where the program ended
        if line.startswith("HHCCP048I") and lines and lines[-1] == line:
            continue                                                                 # the syncio retry
        lines.append(line)
    return lines

CCW = re.compile(r"^(HHCCP048I \S+:CCW=)([0-9A-F]{2})[0-9A-F]{6} ([0-9A-F]{4})([0-9A-F]{4})=>((?:[0-9A-F]{8} ?){4}).*$")

def ccw_line(line):
    """A HHCCP048I line without the data address and with only the storage that means something."""
    m = CCW.match(line)
    if not m:
        return line
    head, op, flags, count, dump = m.group(1), int(m.group(2), 16), m.group(3), int(m.group(4), 16), m.group(5).split()
    if op == 0x08:                                  # TIC: the CCWs at its address, addresses masked;
        shown = "%s****** %s" % (dump[0][:2], dump[1])  # the second only if the first chains to it
        if int(dump[1][:2], 16) & 0xC0:
            shown += " %s****** %s" % (dump[2][:2], dump[3])
    elif op & 0x03 in (0x01, 0x03):                 # write, control: the bytes the drive gets
        shown = "".join(dump)[:2 * min(count, 16)]
    else:                                           # read, read backward, sense: storage before the data
        shown = ""
    return "%s%02X****** %s%04X=>%s" % (head, op, flags, count, shown)

def main():
    cuu, native_path, ctape_path = sys.argv[1:4]
    native, ctape = trace(native_path, cuu), trace(ctape_path, cuu)
    if not native or not ctape:
        print("no CCW trace of %s in %s" % (cuu, native_path if not native else ctape_path))
        return 1
    diff = list(difflib.unified_diff(native, ctape, "native", "ctape", lineterm="", n=2))
    if diff:
        print("\n".join(diff[:200]))
        print("CCW traces of %s: %d lines native, %d ctape, DIFFERENT" % (cuu, len(native), len(ctape)))
        return 1
    print("CCW traces of %s: %d lines, equal" % (cuu, len(native)))
    return 0

if __name__ == "__main__":
    sys.exit(main())
