#!/usr/bin/env python3
"""Writes the protocol definitions of the C module and of the Python test peer from
protocol/wire.json (see protocol/README.md). Python 3 standard library only.

    protocol/generate.py            write hercules/ctproto_defs.h and tests/bridge/ctproto_defs.py
    protocol/generate.py --check    write nothing; exit 1 (naming the files) when either differs
                                    from what the description gives

The description is checked first: field offsets must follow one another and every message's
fixed_size must be the size of its fixed fields, so a wrong number stops here rather than in a
peer. tests/ChannelTape.Protocol.Tests checks the description against the C# definitions and
runs --check.
"""
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DESCRIPTION = os.path.join(REPO, "protocol", "wire.json")
C_HEADER = os.path.join(REPO, "hercules", "ctproto_defs.h")
PY_MODULE = os.path.join(REPO, "tests", "bridge", "ctproto_defs.py")

WIDTH = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}
DIRECTIONS = {"host-to-server": 1, "server-to-host": 2, "either": 3}


class DescriptionError(Exception):
    pass


def snake(name):
    """ReadAheadByReference -> READ_AHEAD_BY_REFERENCE"""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def number(v):
    return int(v, 0) if isinstance(v, str) else int(v)


def fixed_width(field):
    """Bytes a field takes in the fixed part: a string's length prefix, a sized byte field;
    0 for fields whose size depends on the message."""
    t = field["type"]
    if t in WIDTH:
        return WIDTH[t]
    if t == "string":
        return 2
    if t == "bytes" and "size" in field:
        return field["size"]
    return 0


def check_layout(owner, fields):
    """Offsets must follow one another (absolute ones from 0, relative ones from the end of the
    field they are after); returns the size of the fixed fields."""
    end = {None: 0}             # next free offset of the absolute part and of each relative part
    base_of = {}
    size = 0
    names = set()
    for f in fields:
        if f["name"] in names:
            raise DescriptionError("%s: field %s twice" % (owner, f["name"]))
        names.add(f["name"])
        if f["type"] not in WIDTH and f["type"] not in ("string", "bytes", "entries"):
            raise DescriptionError("%s.%s: unknown type %s" % (owner, f["name"], f["type"]))
        if "offset" not in f:
            continue            # follows the previous field; no fixed position
        base = f.get("after")
        if base is not None and base not in names:
            raise DescriptionError("%s.%s: after unknown field %s" % (owner, f["name"], base))
        expected = end.get(base, 0)
        if f["offset"] != expected:
            raise DescriptionError("%s.%s: offset %d, the previous field ends at %d"
                                   % (owner, f["name"], f["offset"], expected))
        end[base] = f["offset"] + fixed_width(f)
        base_of[f["name"]] = base
        if base is None:
            size = max(size, end[None])
    for base, e in end.items():
        if base is not None:
            # a relative part starts where its variable field ends: after the absolute part
            size = max(size, end[None] + e)
    return size


def load():
    with open(DESCRIPTION, encoding="utf-8") as f:
        d = json.load(f)
    enums = {e["name"]: e for e in d["enums"]}
    codes = set()
    for m in d["messages"]:
        code = number(m["code"])
        if code in codes:
            raise DescriptionError("%s: type %02X twice" % (m["name"], code))
        codes.add(code)
        if m["direction"] not in DIRECTIONS:
            raise DescriptionError("%s: direction %s" % (m["name"], m["direction"]))
        if "same_layout_as" in m:
            same = [x for x in d["messages"] if x["name"] == m["same_layout_as"]]
            if not same:
                raise DescriptionError("%s: same_layout_as unknown %s" % (m["name"], m["same_layout_as"]))
            m["fields"] = same[0]["fields"]
        size = check_layout(m["name"], m["fields"])
        if size != m["fixed_size"]:
            raise DescriptionError("%s: fixed_size %d, its fixed fields take %d" % (m["name"], m["fixed_size"], size))
        for f in m["fields"]:
            if "enum" in f and f["enum"] not in enums:
                raise DescriptionError("%s.%s: unknown enum %s" % (m["name"], f["name"], f["enum"]))
    for r in d["records"]:
        size = check_layout(r["name"], r["fields"])
        if "size" in r and size != r["size"]:
            raise DescriptionError("%s: size %d, its fields take %d" % (r["name"], r["size"], size))
    for e in d["enums"]:
        for mem in e["members"]:
            if number(mem["value"]) >= 1 << (8 * WIDTH[e["type"]]):
                raise DescriptionError("%s.%s does not fit %s" % (e["name"], mem["name"], e["type"]))
    return d


def direction_name(direction):
    """host-to-server -> HOST_TO_SERVER"""
    return direction.replace("-", "_").upper()


def offset_name(owner, f):
    n = "%s_%s_OFFSET" % (snake(owner), snake(f["name"]))
    return n + ("_AFTER_" + snake(f["after"]) if f.get("after") else "")


def c_value(v, hexa, digits=2, unsigned=False):
    """A C literal: hex with at least digits digits or decimal; u for a u32 value or one above
    INT_MAX, so that it compares with the uint32_t fields it is meant for without surprise."""
    s = ("0x%0*X" % (digits, v)) if hexa else str(v)
    return s + ("u" if unsigned or v > 0x7FFFFFFF else "")


def py_value(v, hexa):
    return ("0x%02X" % v) if hexa else str(v)


HEADER_NOTE = "GENERATED by protocol/generate.py from protocol/wire.json: do not edit; change the description and run the generator."


def c_header(d):
    out = []
    w = out.append
    w("/* ctproto_defs.h - the ChannelTape wire protocol's numbers (docs/protocol.md, version %d)." % d["version"])
    w(" * " + HEADER_NOTE)
    w(" * Offsets are from the start of a message's body (after the 5-byte frame header); an")
    w(" * ..._OFFSET_AFTER_X is from the end of the variable-length field X. */")
    w("#ifndef CTPROTO_DEFS_H")
    w("#define CTPROTO_DEFS_H")
    w("")
    w("/* ---- constants ---- */")
    for c in d["constants"]:
        v = number(c["value"])
        w("#define CT_%-40s %-12s /* %s */" % (snake(c["name"]), c_value(v, isinstance(c["value"], str)), c["doc"]))
    w("")
    w("/* ---- enumerations and flags ---- */")
    for e in d["enums"]:
        w("/* %s: %s%s */" % (e["name"], e["doc"], ", bits" if e.get("flags") else ""))
        width = WIDTH[e["type"]]
        for m in e["members"]:
            name = "CT_%s_%s" % (e["prefix"], snake(m["name"]))
            doc = ("   /* %s */" % m["doc"]) if m.get("doc") else ""
            w("#define %-48s %s%s" % (name, c_value(number(m["value"]), True, 2 * width, width == 4), doc))
    w("")
    w("/* ---- message types (§3): CT_MSG_x, and CT_FOR_EACH_MESSAGE(X) calling")
    w("        X(code, name, direction) for each ---- */")
    for k, v in DIRECTIONS.items():
        w("#define CT_DIRECTION_%-20s %d" % (direction_name(k), v))
    for m in d["messages"]:
        w("#define CT_MSG_%-30s 0x%02X   /* %s */" % (snake(m["name"]), number(m["code"]), m["direction"]))
    w("#define CT_FOR_EACH_MESSAGE(X) \\")
    for i, m in enumerate(d["messages"]):
        end = " \\" if i + 1 < len(d["messages"]) else ""
        w("    X(0x%02X, \"%s\", CT_DIRECTION_%s)%s" % (number(m["code"]), m["name"],
                                                    direction_name(m["direction"]), end))
    w("")
    w("/* ---- message layouts ---- */")
    for m in d["messages"]:
        sec = (" (%s)" % m["doc"]) if m.get("doc") else ""
        w("/* %s (%02X), %s%s%s */" % (m["name"], number(m["code"]), m["direction"], sec,
                                    ": the layout of " + m["same_layout_as"] if "same_layout_as" in m else ""))
        if "same_layout_as" not in m:
            for f in m["fields"]:
                if "offset" in f:
                    w("#define CT_%-48s %d" % (offset_name(m["name"], f), f["offset"]))
                if f["type"] == "bytes" and "size" in f:
                    w("#define CT_%-48s %d" % ("%s_%s_SIZE" % (snake(m["name"]), snake(f["name"])), f["size"]))
        w("#define CT_%-48s %d" % (snake(m["name"]) + "_FIXED_SIZE", m["fixed_size"]))
    w("")
    w("/* ---- records inside messages ---- */")
    for r in d["records"]:
        w("/* %s: %s */" % (r["name"], r["doc"]))
        for f in r["fields"]:
            w("#define CT_%-48s %d" % (offset_name(r["name"], f), f["offset"]))
    w("")
    w("#endif /* CTPROTO_DEFS_H */")
    return "\n".join(out) + "\n"


def py_module(d):
    out = []
    w = out.append
    w('"""The ChannelTape wire protocol\'s numbers (docs/protocol.md, version %d).' % d["version"])
    w("")
    w(HEADER_NOTE)
    w("Offsets are from the start of a message's body; X_OFFSET_AFTER_Y from the end of field Y.")
    w('"""')
    w("")
    w("# constants")
    for c in d["constants"]:
        v = number(c["value"])
        w("%s = %s  # %s" % (snake(c["name"]), py_value(v, isinstance(c["value"], str)), c["doc"]))
    w("")
    w("# enumerations and flags")
    for e in d["enums"]:
        w("# %s: %s" % (e["name"], e["doc"]))
        for m in e["members"]:
            w("%s_%s = 0x%02X" % (e["prefix"], snake(m["name"]), number(m["value"])))
    w("")
    w("# message types (§3)")
    for m in d["messages"]:
        w("%-28s = 0x%02X  # %s" % (snake(m["name"]), number(m["code"]), m["direction"]))
    w("")
    w("# message layouts")
    for m in d["messages"]:
        if "same_layout_as" not in m:
            for f in m["fields"]:
                if "offset" in f:
                    w("%s = %d" % (offset_name(m["name"], f), f["offset"]))
        w("%s_FIXED_SIZE = %d" % (snake(m["name"]), m["fixed_size"]))
    for r in d["records"]:
        for f in r["fields"]:
            w("%s = %d" % (offset_name(r["name"], f), f["offset"]))
    w("")
    w("# every message: name -> (type, direction, fields); a field is (name, type, extra) where extra")
    w("# holds offset/after/length/size/count/optional/present_if/enum as in protocol/wire.json")
    w("MESSAGES = {")
    for m in d["messages"]:
        fields = []
        for f in m["fields"]:
            extra = {k: v for k, v in f.items() if k not in ("name", "type", "doc", "cs")}
            fields.append((f["name"], f["type"], extra))
        w("    %r: (0x%02X, %r, %r)," % (m["name"], number(m["code"]), m["direction"], fields))
    w("}")
    w("MESSAGE_NAMES = {code: name for name, (code, _direction, _fields) in MESSAGES.items()}")
    w("ENUMS = {")
    for e in d["enums"]:
        w("    %r: {%s}," % (e["name"], ", ".join("%r: 0x%02X" % (m["name"], number(m["value"])) for m in e["members"])))
    w("}")
    return "\n".join(out) + "\n"


def defined_names(text):
    """The names a generated C header defines, each once: two would be a clash of the naming rules."""
    names = re.findall(r"^#define (\w+)", text, re.M)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DescriptionError("names defined twice: " + ", ".join(twice))
    return names


def main(argv):
    check = "--check" in argv[1:]
    try:
        d = load()
    except (DescriptionError, KeyError, ValueError) as e:
        print("protocol/wire.json: %s" % e, file=sys.stderr)
        return 2
    header = c_header(d)
    try:
        defined_names(header)
    except DescriptionError as e:
        print("protocol/wire.json: %s" % e, file=sys.stderr)
        return 2
    stale = []
    for path, text in ((C_HEADER, header), (PY_MODULE, py_module(d))):
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale.append(os.path.relpath(path, REPO))
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote " + os.path.relpath(path, REPO))
    if stale:
        print("not generated from protocol/wire.json as it is now: %s (run protocol/generate.py)"
              % ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
