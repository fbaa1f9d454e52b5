#!/usr/bin/env bash
# Obtains the configured Hercules 3.13 source tree that matches Debian's `hercules` package,
# which is what hercules/hdtctape.c is compiled against (neither Debian nor Hyperion installs
# Hercules headers). Steps, as verified in docs/reference/hercules-module.md §1:
#   1. a temporary deb-src entry under /etc/apt/sources.list.d/ (same archive and key as the
#      system's `deb` entry), `apt-get update`, `apt-get source --download-only hercules`;
#      Debian's hercules_3.13-7.debian.tar.xz is gone from the archive (404) - tolerated, only
#      the orig tarball is needed (apt has checked it against the .dsc hashes);
#   2. the entry is removed again (also on failure);
#   3. untar and `./configure` with the defaults (8 CPU engines, like Debian's build, so the
#      SYSBLK/REGS/DEVBLK sizes match and the HDL dependency check passes). No `make`.
# Output: .herc-src/hercules-3.13 at the repository root (git-ignored). Idempotent: a tree
# that is already configured is reused. Prints the tree's path as the last line.
# Needs root (or sudo) for the apt steps; runs them only when the tree is missing.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${HERC_SRC_DIR:-$repo/.herc-src}"
tree="$out/hercules-3.13"

if [ -f "$tree/config.h" ] && [ -f "$tree/hercules.h" ]; then
    echo "hercules-headers: using the configured tree already in place" >&2
    echo "$tree"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "hercules-headers: need root or sudo for apt" >&2; exit 1; }
    sudo_cmd=(sudo)
fi

mkdir -p "$out/download"
tarball="$(ls "$out"/download/hercules_3.13.orig.tar.gz 2>/dev/null || true)"

if [ -z "$tarball" ]; then
    # The deb-src stanza copies the system's `deb` stanza for the main archive.
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
    uris="http://deb.debian.org/debian"
    signed=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        # first stanza: the main archive (debian-security comes second in Debian's file)
        uris="$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources | head -n 1)"
        signed="$(sed -n 's/^Signed-By:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources | head -n 1)"
    fi
    entry="/etc/apt/sources.list.d/channeltape-hercules-src.sources"
    remove_entry() { "${sudo_cmd[@]}" rm -f "$entry"; }
    trap remove_entry EXIT
    {
        echo "Types: deb-src"
        echo "URIs: $uris"
        echo "Suites: $codename"
        echo "Components: main"
        [ -n "$signed" ] && echo "Signed-By: $signed"
    } | "${sudo_cmd[@]}" tee "$entry" >/dev/null

    # apt's lists lock may be held by another apt run for a while: retry, bounded.
    for attempt in 1 2 3 4 5 6; do
        if "${sudo_cmd[@]}" apt-get update -qq; then break; fi
        [ "$attempt" -eq 6 ] && { echo "hercules-headers: apt-get update failed" >&2; exit 1; }
        sleep 10
    done
    # --download-only: fetch .dsc, orig tarball and debian tarball without unpacking. The
    # debian tarball 404s (see above), which makes apt-get exit non-zero: judge by the file.
    (cd "$out/download" && apt-get source --download-only hercules) \
        || echo "hercules-headers: apt-get source reported an error (the debian.tar.xz 404 is expected)" >&2
    remove_entry
    trap - EXIT
    tarball="$(ls "$out"/download/hercules_3.13.orig.tar.gz 2>/dev/null || true)"
    [ -n "$tarball" ] || { echo "hercules-headers: hercules_3.13.orig.tar.gz was not downloaded" >&2; exit 1; }
fi

rm -rf "$tree"
tar -xzf "$tarball" -C "$out"
[ -d "$tree" ] || { echo "hercules-headers: $tarball did not unpack to hercules-3.13" >&2; exit 1; }
# Default configure = Debian's layout (MAX_CPU_ENGINES 8); only config.h is used.
(cd "$tree" && ./configure >"$out/configure.log" 2>&1) \
    || { echo "hercules-headers: ./configure failed, see $out/configure.log" >&2; exit 1; }
[ -f "$tree/config.h" ] || { echo "hercules-headers: configure produced no config.h" >&2; exit 1; }
echo "$tree"
