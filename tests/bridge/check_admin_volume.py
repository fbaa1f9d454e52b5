#!/usr/bin/env python3
"""Checks what a real Hercules guest read from the administrative volume #DRIVE through the
bridge (tests/bridge/cases/admin_drive_volume.json, run by run-admin-e2e.sh): the Load Display
mount raised device end, and plain Reads returned VOL1, HDR1, HDR2, a tape mark, fixed 160-byte
EBCDIC records with a header and one data record per drive, a tape mark, EOF1 with the block count
and EOF2. Prints PASS/FAIL lines; exit status 1 on any failure."""
import codecs
import json
import sys

result = json.load(open(sys.argv[1]))
drives = int(sys.argv[2]) if len(sys.argv) > 2 else 8
programs = {p["index"]: p for p in result["programs"]}
failures = []


def check(what, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    if not ok:
        failures.append(what)


def text(p):
    data = programs[p]["data"][0]
    return codecs.decode(bytes.fromhex(data.get("data_hex") or ""), "cp037"), data.get("transferred")


def status(p):
    return programs[p]["unit_status"]


check("Load Display accepted (CE DE)", status(0) == "0C", status(0))
pending = programs[1].get("pending_before") or {}
check("mount presented an unsolicited device end", any(s["unit_status"] == "04" for s in pending.get("statuses", [])), pending)
vol1, n = text(1)
check("VOL1 names #DRIVE", status(1) == "0C" and n == 80 and vol1.startswith("VOL1#DRIVE"), (status(1), n, vol1[:20]))
hdr1, n = text(2)
check("HDR1 holds CTAPE.STATUS.DRIVES (rightmost 17)", hdr1.startswith("HDR1APE.STATUS.DRIVES"), hdr1[:25])
hdr2, n = text(3)
check("HDR2 says RECFM=F BLKSIZE=32000 LRECL=160", hdr2.startswith("HDR2F3200000160"), hdr2[:15])
check("tape mark after the header labels (UX)", status(4) == "0D", status(4))
block, n = text(5)
records = [block[i:i + 160] for i in range(0, len(block), 160)]
check("data block is whole 160-byte records", n is not None and n % 160 == 0 and n > 0, n)
check("first record is the DRIVES header", records[0].startswith("H CTAPE-STATUS DRIVES"), records[0][:30])
data = [r for r in records if r.startswith("D ")]
check(f"one data record per drive ({drives})", len(data) == drives, len(data))
check("drive 0580 is listed", any(r[2:6] == "0580" for r in data), [r[:12] for r in data])
check("trailer counts the drives", records[-1].startswith(f"T {drives:012d}"), records[-1][:16])
check("tape mark after the data (UX)", status(6) == "0D", status(6))
eof1, n = text(7)
check("EOF1 counts one block", eof1.startswith("EOF1") and eof1[54:60] == "000001", eof1[:60])
eof2, n = text(8)
check("EOF2 follows", eof2.startswith("EOF2"), eof2[:5])
check("Rewind Unload ends with CE DE UC as Hercules", status(9) == "0E", status(9))
print(f"admin volume through Hercules: {'FAIL' if failures else 'PASS'} ({len(failures)} failed)")
sys.exit(1 if failures else 0)
