#!/usr/bin/env bash
# A single-node Ceph (one monitor, one OSD, one RADOS Gateway) on 127.0.0.1: a real S3 store for the
# shared-library tests and benchmarks (docs/scale-out.md).
#   scripts/ceph-rgw.sh start DIR [S3PORT] [STORE]  start it (default port 57480, STORE memstore or
#                                                   bluestore); prints the endpoint and the credentials as
#                                                   shell assignments (CTAPE_S3_ENDPOINT=... AWS_ACCESS_KEY_ID=...)
#   scripts/ceph-rgw.sh stop DIR                    stop the daemons by PID, one at a time: radosgw, OSD, monitor
#   scripts/ceph-rgw.sh stop-gateway|start-gateway DIR   take the S3 gateway away and back (its data stays)
# Installs Debian's ceph-mon, ceph-osd and radosgw when missing. Every file stays in DIR.
set -euo pipefail
command="${1:-}"; dir="${2:-}"
[ -n "$command" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR [S3PORT] [memstore|bluestore] | stop DIR" >&2; exit 2; }

access_key="CTAPETESTACCESSKEY01"
secret_key="ctape-test-secret-key-0000000000000000000"

stop_one() {
    local pidfile="$1" pid
    [ -f "$pidfile" ] || return 0
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        # A daemon that exited lingers as a zombie for a moment: it is gone once its state is Z.
        [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = "Z" ] && break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

case "$command" in
start)
    s3port="${3:-57480}"; objectstore="${4:-memstore}"
    if ! command -v radosgw >/dev/null 2>&1 || ! command -v ceph-osd >/dev/null 2>&1 || ! command -v ceph-mon >/dev/null 2>&1 \
        || ! command -v ss >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
        echo "ceph-rgw.sh: installing ceph-mon ceph-osd radosgw" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw iproute2 curl >/dev/null
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    rm -rf "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/monmap"
    mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/crash"
    fsid="$(cat /proc/sys/kernel/random/uuid)"
    monport=$((s3port + 1)); portmin=$((s3port + 2)); portmax=$((s3port + 40))
    conf="$dir/ceph.conf"
    cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$monport]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
ms bind port min = $portmin
ms bind port max = $portmax
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
ms mon service mode = crc
ms service mode = crc
ms cluster mode = crc
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
mon warn on pool no redundancy = false
paxos propose interval = 0.05
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
crash dir = $dir/crash
mon data = $dir/mon/\$name
osd data = $dir/osd/\$name
osd objectstore = $objectstore
memstore device bytes = 4294967296
bluestore block create = true
bluestore block size = 8589934592
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$s3port
rgw data = $dir/run/rgw
CONF
    export CEPH_CONF="$conf"
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$monport]" "$dir/monmap" >/dev/null
    ceph-mon --mkfs -i a --monmap "$dir/monmap" >/dev/null
    ceph-mon -i a 2>>"$dir/log/daemons.err"
    osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
    ceph osd new "$osd_uuid" >/dev/null
    mkdir -p "$dir/osd/osd.0"
    ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
    ceph-osd -i 0 2>>"$dir/log/daemons.err"
    mkdir -p "$dir/run/rgw"
    radosgw -n client.rgw.a 2>>"$dir/log/daemons.err"
    for _ in $(seq 1 300); do
        pid="$(cat "$dir/run/client.rgw.a.pid" 2>/dev/null || true)"
        # radosgw keeps running when its port is taken: the port must be its own.
        if [ -n "$pid" ] && ss -Hltnp "sport = :$s3port" 2>/dev/null | grep -q "pid=$pid," \
            && curl -fsS -o /dev/null "http://127.0.0.1:$s3port/"; then
            break
        fi
        sleep 0.1
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$s3port/" || { echo "ceph-rgw.sh: radosgw did not answer on 127.0.0.1:$s3port" >&2; tail -5 "$dir/log/client.rgw.a.log" >&2; exit 1; }
    radosgw-admin user create --uid=ctape --display-name=ctape --access-key="$access_key" --secret-key="$secret_key" >/dev/null
    echo "CTAPE_S3_ENDPOINT=http://127.0.0.1:$s3port AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key"
    ;;
stop-gateway)
    # The store goes away (connections refused) while its data stays: the shared-library tests' outage.
    stop_one "$dir/run/client.rgw.a.pid"
    ;;
start-gateway)
    export CEPH_CONF="$dir/ceph.conf"
    s3port="$(sed -n 's/^rgw frontends = beast endpoint=127.0.0.1:\([0-9]*\)$/\1/p' "$CEPH_CONF")"
    radosgw -n client.rgw.a 2>>"$dir/log/daemons.err"
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "http://127.0.0.1:$s3port/" 2>/dev/null && exit 0
        sleep 0.1
    done
    echo "ceph-rgw.sh: radosgw did not answer on 127.0.0.1:$s3port" >&2; exit 1
    ;;
stop)
    [ -d "$dir/run" ] || exit 0
    stop_one "$dir/run/client.rgw.a.pid"
    stop_one "$dir/run/osd.0.pid"
    stop_one "$dir/run/mon.a.pid"
    ;;
*)
    echo "usage: $0 start DIR [S3PORT] [memstore|bluestore] | stop DIR" >&2; exit 2 ;;
esac
