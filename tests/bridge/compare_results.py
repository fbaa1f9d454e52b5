#!/usr/bin/env python3
"""Compares a reference-runner result obtained through the bridge module with the native
Hercules 3.13 result of the same test, field by field, on what the guest sees.

    compare_results.py EXPECTED.json ACTUAL.json [--known FILE]

Compared: per program everything the guest observes (completion, every SCSW with status,
residual and CCW address, the data read, the sense after a unit check, unsolicited status
found before the program) and the final wait PSW, the subchannel and storage guard
violations. Not compared: Hercules' own log lines (native tape messages such as HHCTA010I
come from Hercules' tape module, which the bridge replaces), the AWS image (the server owns
the volume) and timings. Exit status 0 = same, 1 = different, 2 = unusable input.

--known FILE lists accepted deviations, one per line: `SAMPLE PROGRAM FIELD  reason...`
(PROGRAM = the program's index; # starts a comment). A listed field that differs is reported
as "known:" and does not fail the comparison; every other field still must be equal.
"""
import json
import os
import sys

GUEST_VISIBLE = ("completion", "ssch_cc", "iterations", "interrupt_count", "unit_status",
                 "channel_status", "residual", "scsw", "unit_status_all", "channel_status_all",
                 "ended_at_ccw", "interrupts", "data", "sense_hex", "sense", "pending_before")
TOP_LEVEL = ("error", "final_wait_psw", "subchannel", "storage_guard_violations")


def read_known(path, sample):
    known = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[0] == sample:
                known[(int(parts[1]), parts[2])] = parts[3] if len(parts) > 3 else ""
    return known


def differences(expected, actual, known=None):
    known = known or {}
    out, accepted = [], []
    for key in TOP_LEVEL:
        if expected.get(key) != actual.get(key):
            out.append("%s: expected %s, got %s" % (key, json.dumps(expected.get(key)),
                                                     json.dumps(actual.get(key))))
    ep, ap = expected.get("programs", []), actual.get("programs", [])
    if len(ep) != len(ap):
        out.append("programs: expected %d, got %d" % (len(ep), len(ap)))
    for e, a in zip(ep, ap):
        related = {key for (index, key) in known if index == e.get("index")}
        for key in GUEST_VISIBLE:
            if e.get(key) != a.get(key):
                line = "program %s (%s) %s: expected %s, got %s" % (
                    e.get("index"), e.get("name"), key, json.dumps(e.get(key)),
                    json.dumps(a.get(key)))
                # the SCSW and the interrupt list repeat the residual and status fields
                base = {"scsw": ("residual", "unit_status", "channel_status"),
                        "interrupts": ("residual", "unit_status", "channel_status")}.get(key, ())
                if key in related or any(b in related for b in base):
                    accepted.append(line)
                else:
                    out.append(line)
    return out, accepted


def main():
    args = sys.argv[1:]
    known_file = None
    if len(args) == 4 and args[2] == "--known":
        known_file = args[3]
        args = args[:2]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        with open(args[0]) as f:
            expected = json.load(f)
        with open(args[1]) as f:
            actual = json.load(f)
        sample = os.path.splitext(os.path.basename(args[0]))[0]
        known = read_known(known_file, sample) if known_file else {}
    except (OSError, ValueError) as e:
        print("cannot read results: %s" % e)
        return 2
    diffs, accepted = differences(expected, actual, known)
    for d in accepted:
        print("known: " + d)
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
