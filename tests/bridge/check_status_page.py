#!/usr/bin/env python3
"""Opens ChannelTape's status page in headless Debian chromium, driven through chromium-driver's
WebDriver HTTP interface (standard library only), and checks what a person sees: a tile for every
drive named on the command line, each showing a host, and VOLSER on the drive it is mounted on.
Saves a screenshot.

    check_status_page.py URL SCREENSHOT.png DEVICE... [--volume DEVICE=VOLSER]

Exit 0 when the page shows all of it within 20 s, 1 otherwise (with the page's text), 2 when chromium
or chromium-driver is missing.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}").get("value")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--volume")]
    volumes = dict(a.split("=", 1)[1].split("=") for a in sys.argv[1:] if a.startswith("--volume="))
    if len(args) < 3:
        print(__doc__)
        return 2
    url, screenshot, devices = args[0], args[1], args[2:]
    if not (os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)):
        print(f"check_status_page: {CHROMIUM} or {DRIVER} missing (scripts/install-prereqs.sh installs them)")
        return 2

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    driver = subprocess.Popen([DRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    session = None
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        profile = tempfile.mkdtemp(prefix="ctape-chromium-")
        capabilities = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--window-size=1280,1000",
                     f"--user-data-dir={profile}"]}}}}
        session = call(base, "POST", "/session", capabilities)["sessionId"]
        call(base, "POST", f"/session/{session}/url", {"url": url})

        # What the page shows, read in one go (the page redraws its tiles every few seconds).
        read = """return {
            drives: [...document.querySelectorAll('article.drive')].map(t => ({
                device: t.dataset.device,
                host: (t.querySelector('.host') || {}).textContent || '',
                volume: (t.querySelector('.volume') || {}).textContent || ''})),
            body: document.body.innerText};"""
        problems = ["the page did not load"]
        page = {"drives": [], "body": ""}
        deadline = time.time() + 20
        while time.time() < deadline:
            page = call(base, "POST", f"/session/{session}/execute/sync", {"script": read, "args": []})
            problems = []
            shown = [d["device"] for d in page["drives"]]
            if shown != devices:
                problems.append(f"drives shown {shown}, expected {devices}")
            for d in page["drives"]:
                if d["host"] in ("", "not attached"):
                    problems.append(f"drive {d['device']} shows no host")
                if d["device"] in volumes and d["volume"] != volumes[d["device"]]:
                    problems.append(f"drive {d['device']} shows volume {d['volume']!r}, not {volumes[d['device']]}")
            if not problems:
                break
            time.sleep(0.5)

        png = call(base, "GET", f"/session/{session}/screenshot")
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(png))
        if problems:
            print("check_status_page: " + "; ".join(problems))
            print(page["body"])
            return 1
        print(f"check_status_page: the page shows drives {' '.join(devices)}, each with its host"
              + (f", and {', '.join(f'{v} on {d}' for d, v in volumes.items())}" if volumes else "") + f"; screenshot {screenshot}")
        return 0
    finally:
        if session:
            try:
                call(base, "DELETE", f"/session/{session}")
            except OSError:
                pass
        driver.terminate()
        driver.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
