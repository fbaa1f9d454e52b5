#!/usr/bin/env python3
"""Compares a reference-runner result obtained through the bridge module with another result of
the same test, field by field, on what the guest sees, and judges the differences against the
deviation registry (tests/golden/deviations.json, described in tests/golden/README.md).

    compare_results.py EXPECTED.json ACTUAL.json [--deviations FILE --against native|bridge]
                       [--test NAME]

--against native  EXPECTED is native Hercules 3.13's result: registry entries of scope device,
                  bridge, bridge-channel and bridge-timing apply.
--against bridge  EXPECTED is a run through the bridge with write-behind and read-ahead off,
                  ACTUAL the same with them on (run-e2e.sh --streaming-check): scope bridge-timing.
--test NAME       the golden test's name (default: EXPECTED's file name without .json).

Compared: per program everything the guest observes (completion, every SCSW with status,
residual and CCW address, the data read, the sense after a unit check, unsolicited status
found before the program) and the final wait PSW, the subchannel and storage guard
violations. Not compared: Hercules' own log lines (native tape messages such as HHCTA010I
come from Hercules' tape module, which the bridge replaces), the AWS image (the server owns
the volume) and timings, so registry entries for the final image do not apply here.

A difference that an entry covers is printed as "known:"; any other difference fails the
comparison, and so does a stale entry: one that applies here but covers no difference (unless
it is marked "varies": its difference depends on run-time accident). Exit status 0 = same up to
registered deviations, 1 = different or a stale entry, 2 = unusable input.
"""
import argparse
import json
import os
import sys

GUEST_VISIBLE = ("completion", "ssch_cc", "iterations", "interrupt_count", "unit_status",
                 "channel_status", "residual", "scsw", "unit_status_all", "channel_status_all",
                 "ended_at_ccw", "interrupts", "data", "sense_hex", "sense", "pending_before")
TOP_LEVEL = ("error", "final_wait_psw", "subchannel", "storage_guard_violations")

# Compared fields that repeat registry fields: a registered difference in the registry field
# shows here too (the SCSW and the interrupt list carry the status and residual, ...).
REPEATS = {
    "scsw": ("residual", "unit_status", "channel_status"),
    "interrupts": ("residual", "unit_status", "channel_status", "interrupt_count"),
    "unit_status_all": ("unit_status",),
    "channel_status_all": ("channel_status",),
    "sense": ("sense_hex",),
    "ssch_cc": ("completion",),
}

# Registry scopes each comparison applies (tests/golden/README.md, "Deviation registry").
SCOPES = {
    "native": ("device", "bridge", "bridge-channel", "bridge-timing"),
    "bridge": ("bridge-timing",),
}
KNOWN_SCOPES = ("device", "channel", "bridge", "bridge-channel", "bridge-timing")
ENTRY_KEYS = ("test", "programs", "fields", "scope", "anchor", "reason", "varies")


def read_registry(path, test, against):
    """The registry entries this comparison applies to TEST (final-image entries excluded)."""
    with open(path) as f:
        entries = json.load(f)["deviations"]
    applied = []
    for number, entry in enumerate(entries):
        unknown = set(entry) - set(ENTRY_KEYS)
        if unknown or entry.get("scope") not in KNOWN_SCOPES:
            raise ValueError("%s entry %d: unknown key(s) %s or scope %r"
                             % (path, number, sorted(unknown), entry.get("scope")))
        if entry["test"] == test and entry["scope"] in SCOPES[against] and entry["programs"]:
            applied.append(entry)
    return applied


def covers(entry, index, key):
    fields = entry["fields"]
    return index in entry["programs"] and (
        "*" in fields or key in fields or any(f in fields for f in REPEATS.get(key, ())))


def describe(entry):
    return "%s programs %s fields %s %s (%s)" % (entry["test"], entry["programs"], entry["fields"],
                                                 entry["scope"], entry["anchor"])


def differences(expected, actual, entries=()):
    """(differences no entry covers, covered differences, stale entries)."""
    out, accepted, used = [], [], set()
    for key in TOP_LEVEL:
        if expected.get(key) != actual.get(key):
            out.append("%s: expected %s, got %s" % (key, json.dumps(expected.get(key)),
                                                     json.dumps(actual.get(key))))
    ep, ap = expected.get("programs", []), actual.get("programs", [])
    if len(ep) != len(ap):
        out.append("programs: expected %d, got %d" % (len(ep), len(ap)))
    for e, a in zip(ep, ap):
        for key in GUEST_VISIBLE:
            if e.get(key) == a.get(key):
                continue
            line = "program %s (%s) %s: expected %s, got %s" % (
                e.get("index"), e.get("name"), key, json.dumps(e.get(key)), json.dumps(a.get(key)))
            covering = [n for n, entry in enumerate(entries) if covers(entry, e.get("index"), key)]
            if covering:
                accepted.append(line)
                used.update(covering)
            else:
                out.append(line)
    stale = [entry for n, entry in enumerate(entries) if n not in used and not entry.get("varies")]
    return out, accepted, stale


def main():
    parser = argparse.ArgumentParser(add_help=True, usage=__doc__.split("\n\n")[1].strip())
    parser.add_argument("expected")
    parser.add_argument("actual")
    parser.add_argument("--deviations")
    parser.add_argument("--against", choices=sorted(SCOPES))
    parser.add_argument("--test")
    args = parser.parse_args()
    if (args.deviations is None) != (args.against is None):
        parser.error("--deviations and --against go together")
    try:
        with open(args.expected) as f:
            expected = json.load(f)
        with open(args.actual) as f:
            actual = json.load(f)
        test = args.test or os.path.splitext(os.path.basename(args.expected))[0]
        entries = read_registry(args.deviations, test, args.against) if args.deviations else []
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("cannot read results or registry: %s" % e)
        return 2
    diffs, accepted, stale = differences(expected, actual, entries)
    for d in accepted:
        print("known: " + d)
    for entry in stale:
        print("stale: registered deviation shows no difference here: " + describe(entry))
    for d in diffs:
        print(d)
    return 1 if diffs or stale else 0


if __name__ == "__main__":
    sys.exit(main())
