#!/usr/bin/env bash
# Debian packages the tests need: Hercules 3.13 (hercules, with hetinit/hetmap/tapemap/tapecopy/hetget),
# the s390 assembler the reference runner uses, a C compiler and make for the Hercules bridge module
# (its `make check` runs in the test suite), OpenSSL for the module's secrets and TLS, and Chromium
# with its WebDriver for the status page tests (StatusPageBrowserTests, tests/bridge/run-ops-e2e.sh).
set -euo pipefail
need=()
command -v hercules >/dev/null 2>&1 || need+=(hercules)
command -v s390x-linux-gnu-as >/dev/null 2>&1 || need+=(binutils-s390x-linux-gnu)
command -v gcc >/dev/null 2>&1 || need+=(build-essential)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
# the module's secrets and TLS (hercules/ctsec.c) and the bridge's TLS check (tests/bridge/secure-e2e.sh)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# the sync point test watches ctape serve's fsync calls (tests/ChannelTape.Cli.Tests/SyncPointTests.cs)
command -v strace >/dev/null 2>&1 || need+=(strace)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi
echo "installing: ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
