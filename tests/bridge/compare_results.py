#!/usr/bin/env python3
"""Compares a reference-runner result obtained through the bridge module with the native
Hercules 3.13 result of the same test, field by field, on what the guest sees.

    compare_results.py EXPECTED.json ACTUAL.json

Compared: per program everything the guest observes (completion, every SCSW with status,
residual and CCW address, the data read, the sense after a unit check, unsolicited status
found before the program) and the final wait PSW, the subchannel and storage guard
violations. Not compared: Hercules' own log lines (native tape messages such as HHCTA010I
come from Hercules' tape module, which the bridge replaces), the AWS image (the server owns
the volume) and timings. Exit status 0 = same, 1 = different, 2 = unusable input.
"""
import json
import sys

GUEST_VISIBLE = ("completion", "ssch_cc", "iterations", "interrupt_count", "unit_status",
                 "channel_status", "residual", "scsw", "unit_status_all", "channel_status_all",
                 "ended_at_ccw", "interrupts", "data", "sense_hex", "sense", "pending_before")
TOP_LEVEL = ("error", "final_wait_psw", "subchannel", "storage_guard_violations")


def differences(expected, actual):
    out = []
    for key in TOP_LEVEL:
        if expected.get(key) != actual.get(key):
            out.append("%s: expected %s, got %s" % (key, json.dumps(expected.get(key)),
                                                     json.dumps(actual.get(key))))
    ep, ap = expected.get("programs", []), actual.get("programs", [])
    if len(ep) != len(ap):
        out.append("programs: expected %d, got %d" % (len(ep), len(ap)))
    for e, a in zip(ep, ap):
        for key in GUEST_VISIBLE:
            if e.get(key) != a.get(key):
                out.append("program %s (%s) %s: expected %s, got %s" % (
                    e.get("index"), e.get("name"), key, json.dumps(e.get(key)),
                    json.dumps(a.get(key))))
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            expected = json.load(f)
        with open(sys.argv[2]) as f:
            actual = json.load(f)
    except (OSError, ValueError) as e:
        print("cannot read results: %s" % e)
        return 2
    diffs = differences(expected, actual)
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
