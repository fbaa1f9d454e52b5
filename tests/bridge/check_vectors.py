#!/usr/bin/env python3
"""The test peer's codec (tests/bridge/ctproto.py, used by fake_server.py) against the wire
vectors in tests/protocol/vectors (format: its README.md), which the C# and C codecs are
checked against too. Python 3 standard library only.

    tests/bridge/check_vectors.py [VECTOR-DIR]

Every valid vector must decode to its fields and encode from them to exactly its frame (unless
decode-only); every malformed one must be refused with its error ("differs py": must still be
accepted); frame headers in frames.vec must be refused. Prints one FAIL line per failed vector
and "check_vectors: N passed, N failed"; exit status 1 when any failed.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctproto  # noqa: E402
import ctproto_defs as D  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ERRORS = D.ENUMS["ProtocolErrorCode"]


def hexbytes(text):
    """Pairs of hex digits, blanks between tokens, HHxN = N bytes HH."""
    out = bytearray()
    for tok in text.split():
        if len(tok) > 3 and tok[2] == "x":
            out += bytes([int(tok[:2], 16)]) * int(tok[3:])
        else:
            out += bytes.fromhex(tok)
    return bytes(out)


def read_vectors(path):
    """(message, [vector dicts]) of one .vec file."""
    message, vectors, cur = None, [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            word, _, rest = line.partition(" ")
            if word == "message":
                message = rest
            elif word in ("valid", "malformed"):
                cur = {"valid": word == "valid", "title": rest, "frame": "", "fields": {}, "entries": [],
                       "decode_only": False, "error": None, "differs": set()}
                vectors.append(cur)
            elif word == "frame":
                cur["frame"] += " " + rest
            elif word == "field":
                name, _, value = rest.partition(" ")
                cur["fields"][name] = value
            elif word == "entry":
                b = hexbytes(rest)
                cur["entries"].append((struct.unpack(">I", b[:4])[0], b[4:], None))
            elif word == "entry-ref":
                b = hexbytes(rest)
                cur["entries"].append((struct.unpack(">I", b[:4])[0], None, struct.unpack(">Q", b[4:12])[0]))
            elif word == "decode-only":
                cur["decode_only"] = True
            elif word == "error":
                cur["error"] = rest
            elif word == "differs":
                cur["differs"].add(rest.split(" ", 1)[0])
            else:
                raise ValueError("%s: a line this reader does not know: %s" % (path, line))
    for v in vectors:
        v["frame"] = hexbytes(v["frame"])
    return message, vectors


def typed_fields(message, v):
    """The vector's fields as decode() gives them: ints, bytes, str, and Entries."""
    types = {fname: ftype for fname, ftype, _extra in D.MESSAGES[message][2]}
    out = {}
    for name, text in v["fields"].items():
        if name not in types:
            raise ValueError("%s has no field %s" % (message, name))
        if types[name] == "string":
            out[name] = text[text.index('"') + 1:text.rindex('"')]
        elif types[name] == "bytes":
            out[name] = hexbytes(text)
        else:
            out[name] = int.from_bytes(hexbytes(text), "big")
    if v["entries"]:
        out["Entries"] = v["entries"]
    return out


def check(message, v):
    """A list of what is wrong with the codec for this vector."""
    problems = []
    frame = v["frame"]
    if message == "*":
        try:
            ctproto.check_header(frame)
            problems.append("header accepted, expected %s" % v["error"])
        except ctproto.ProtocolError as e:
            if e.code != ERRORS[v["error"]]:
                problems.append("refused with %d, expected %s" % (e.code, v["error"]))
        return problems
    length, mtype = ctproto.check_header(frame)
    if mtype != D.MESSAGES[message][0] or length != len(frame) - D.FRAME_LENGTH_SIZE:
        return ["the vector's header is not a whole %s frame" % message]
    body = frame[D.FRAME_HEADER_SIZE:]
    if not v["valid"]:
        try:
            ctproto.decode(message, body)
            if "py" not in v["differs"]:
                problems.append("accepted, expected %s" % v["error"])
        except ctproto.ProtocolError as e:
            if "py" in v["differs"]:
                problems.append("refused now (%s): remove 'differs py'" % e)
            elif e.code != ERRORS[v["error"]]:
                problems.append("refused with %d, expected %s" % (e.code, v["error"]))
        return problems
    want = typed_fields(message, v)
    try:
        got = ctproto.decode(message, body)
    except ctproto.ProtocolError as e:
        return ["refused: %s" % e]
    if got != want:
        for k in sorted(set(got) | set(want)):
            if got.get(k) != want.get(k):
                problems.append("%s decoded as %r, the vector says %r" % (k, got.get(k), want.get(k)))
    if not v["decode_only"]:
        encoded = ctproto.frame(message, want)
        if encoded != frame:
            problems.append("encoded to %s, the vector's frame is %s" % (encoded.hex().upper()[:80], frame.hex().upper()[:80]))
    return problems


def main(argv):
    vector_dir = argv[1] if len(argv) > 1 else os.path.join(REPO, "tests", "protocol", "vectors")
    passed = failed = 0
    covered = set()
    files = sorted(f for f in os.listdir(vector_dir) if f.endswith(".vec"))
    for name in files:
        message, vectors = read_vectors(os.path.join(vector_dir, name))
        for v in vectors:
            problems = check(message, v)
            if v["valid"] and not problems:
                covered.add(message)
            if problems:
                failed += 1
                print("FAIL %s: %s %s" % (name, "valid" if v["valid"] else "malformed", v["title"]))
                for p in problems:
                    print("    " + p)
            else:
                passed += 1
    missing = sorted(set(D.MESSAGES) - covered)
    if missing or not files:
        failed += 1
        print("FAIL every message type has a valid vector that passes: not %s" % ", ".join(missing or ["(no files)"]))
    else:
        passed += 1
    print("check_vectors: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
