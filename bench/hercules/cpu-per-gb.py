#!/usr/bin/env python3
"""CPU seconds per GB written and read by a Hercules 3.13 guest, for Hercules' own 3490 or a device
module (hercules/hdtctape.so -> ctape serve): user + system time of the Hercules process (all its
threads, the module's included) and of the server process, taken from /proc/PID/stat while the guest
is paused just before and just after each channel program, so Hercules' start-up, IPL and storage
dump are not counted. Uses the reference runner (../shared/oracle/run.py), as bench.py does.

The guest writes BLOCKS chained blocks and one Write Tape Mark (a job closing its data set; the
server's default synchronisation point, docs/config.md `sync`), rewinds, and reads them back chained.

    cpu-per-gb.py --label NAME [--runs 3] [--warm-up 1] [--block 65535] [--blocks 4000] [--oracle DIR]
                  [--device-line LINE --module-dir DIR --server-pid PID] [--devnum 0580]
                  [--json FILE]

Prints one line per run and a median line; --json appends the figures to FILE (a JSON list). The
first --warm-up runs are not counted: a server just started spends most of its CPU in its first
runs compiling its hot paths again at tier 1 (.NET tiered compilation; docs/performance.md), which a
server that has been serving for minutes no longer does.
"""
import argparse
import json
import os
import statistics
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """(user, system) seconds of a process (all its threads); zeros without a process."""
    if not pid:
        return (0.0, 0.0)
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) / TICKS, int(fields[12]) / TICKS)


def per_gb(before, after, gb):
    """user + system seconds per GB between two snapshots, and the system share of them."""
    user, system = after[0] - before[0], after[1] - before[1]
    return round((user + system) / gb, 3), round(system / (user + system), 2) if user + system > 0 else 0.0


def chain(op, flags, count, n):
    """n CCWs of one kind, command-chained, sharing one buffer (as bench.py's)."""
    ccws = []
    if n > 1:
        ccws.append({"op": op, "flags": flags + ["CC"], "count": count, "pattern_hex": "C1C2C3C4", "repeat": n - 1})
    ccws.append({"op": op, "flags": flags, "count": count, "pattern_hex": "C1C2C3C4"})
    return ccws


def make_test(block, blocks, devnum, tape):
    write = chain("01", [], block, blocks)
    write[-1]["flags"] = write[-1]["flags"] + ["CC"]
    write.append({"op": "1F", "flags": ["SLI"], "count": 1})
    return {"name": "cpu-%d-%d" % (block, blocks), "device": "3490", "devnum": devnum, "tape": tape,
            "log_per_program": False, "timeout_s": 900, "hercules_timeout_s": 900,
            "programs": [
                {"name": "write", "pause_before": True, "ccws": write},
                {"name": "rewind", "pause_before": True, "ccws": [{"op": "07", "flags": ["SLI"], "count": 1}]},
                {"name": "read", "pause_before": True, "ccws": chain("02", ["SLI"], block, blocks)},
            ]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warm-up", type=int, default=1)
    ap.add_argument("--block", type=int, default=65535)
    ap.add_argument("--blocks", type=int, default=4000)
    ap.add_argument("--oracle", default=os.environ.get("CTAPE_ORACLE_DIR",
                                                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "oracle")))
    ap.add_argument("--device-line")
    ap.add_argument("--module-dir")
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--devnum", default="0580")
    ap.add_argument("--workdir", default="/tmp/ctape-cpu-per-gb")
    ap.add_argument("--json")
    a = ap.parse_args()

    sys.path.insert(0, os.path.abspath(a.oracle))
    import run  # the reference runner's harness

    if a.module_dir:
        run.MODULE_DIR = os.path.abspath(a.module_dir)
    snapshots = []
    send = run.Hercules.send

    def send_and_note(self, cmd):
        # "restart" resumes the guest at a pause (before each program); "stopall" follows the last one.
        if cmd in ("restart", "stopall"):
            snapshots.append((cpu_seconds(self.proc.pid), cpu_seconds(a.server_pid)))
        send(self, cmd)

    run.Hercules.send = send_and_note
    gb = a.block * a.blocks / 1e9
    rows = []
    for i in range(-a.warm_up, a.runs):
        # Every run starts with no dirty pages: what earlier runs (and their volumes) left for writeback
        # would otherwise be charged to whichever writer meets the kernel's dirty limits.
        os.sync()
        snapshots.clear()
        # Through the module the drive mounts what the device line asks for; Hercules' own drive gets an empty AWS file.
        t = run.load_test(make_test(a.block, a.blocks, a.devnum, "none" if a.device_line else "empty"))
        if a.device_line:
            t["_device_line"] = a.device_line
        # Hercules' console takes no quoting: the folder is named after the label without spaces or commas.
        folder = "".join(c if c.isalnum() or c in "-_" else "-" for c in a.label)
        res = run.run_test(t, os.path.join(a.workdir, folder), timeout=900)
        if "error" in res:
            raise SystemExit("run failed: %s" % res["error"])
        w, _, r = res["programs"]
        for p in res["programs"]:
            if p["completion"] != "ok" or p.get("unit_status") != "0C":
                raise SystemExit("unexpected status in %s: %s" % (p["name"], json.dumps(p)[:400]))
        if len(snapshots) < 4:
            raise SystemExit("expected 4 CPU snapshots (3 pauses and the stop), got %d" % len(snapshots))
        (h0, s0), (h1, s1), (h2, s2), (h3, s3) = snapshots[:4]
        row = {"write_MB_s": round(a.block * a.blocks / w["elapsed_us"], 1), "read_MB_s": round(a.block * a.blocks / r["elapsed_us"], 1)}
        for phase, hb, ha, sb, sa in (("write", h0, h1, s0, s1), ("read", h2, h3, s2, s3)):
            row[phase + "_hercules_s_per_GB"], row[phase + "_hercules_system_share"] = per_gb(hb, ha, gb)
            row[phase + "_server_s_per_GB"], row[phase + "_server_system_share"] = per_gb(sb, sa, gb)
        if res.get("aws") and res["aws"].get("file"):
            os.unlink(res["aws"]["file"])
        if i < 0:
            print("%s warm-up: %s" % (a.label, json.dumps(row)))
            continue
        rows.append(row)
        print("%s run %d: %s" % (a.label, i + 1, json.dumps(row)))
        sys.stdout.flush()
    median = {k: round(statistics.median(r[k] for r in rows), 3) for k in rows[0]}
    spread = {k: [min(r[k] for r in rows), max(r[k] for r in rows)] for k in rows[0]}
    print("%s median: %s" % (a.label, json.dumps(median)))
    if a.json:
        results = []
        if os.path.exists(a.json):
            with open(a.json) as f:
                results = json.load(f)
        results.append({"label": a.label, "block": a.block, "blocks": a.blocks, "runs": rows, "median": median, "range": spread,
                        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
