// ChannelTape status page: reads the management API (docs/operations.md) and follows its events live
// (server-sent events; polling where the browser needs a token, since EventSource sends no header).
"use strict";

const state = { token: sessionStorage.getItem("ctape-token"), lastEvent: 0, live: null, drivesTimer: null };

const $ = (id) => document.getElementById(id);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(path) {
  const headers = state.token ? { Authorization: "Bearer " + state.token } : {};
  const response = await fetch(path, { headers, cache: "no-store" });
  if (response.status === 401) {
    $("login").hidden = false;
    throw new Error("a token is needed");
  }
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

function bytes(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}

function time(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function renderDrives(drives) {
  $("drive-count").textContent = "(" + drives.length + ")";
  const grid = $("drives");
  grid.replaceChildren(...drives.map((d) => {
    const volume = d.volume ? (d.volume.volser || d.volume.image) + (d.volume.readOnly ? " (R/O)" : "") : "—";
    const host = d.host ? (d.host.name ? d.host.name + " " : "") + d.host.address : "not attached";
    const rate = d.throughput.readBytesPerSecond + d.throughput.writeBytesPerSecond > 0
      ? "read " + bytes(d.throughput.readBytesPerSecond) + "/s · write " + bytes(d.throughput.writeBytesPerSecond) + "/s"
      : "idle";
    return el("article", { class: "drive " + d.state, "data-device": d.device, "aria-label": "drive " + d.device },
      el("div", { class: "head" }, el("span", { class: "device" }, d.device), el("span", { class: "state" }, d.state)),
      el("dl", {},
        el("dt", {}, "volume"), el("dd", { class: "volume" }, volume),
        d.pending ? el("dt", {}, "waiting for") : null,
        d.pending ? el("dd", { class: "pending" }, d.pending.request + (d.pending.reason ? " — " + d.pending.reason : "")) : null,
        el("dt", {}, "host"), el("dd", { class: "host" }, host),
        el("dt", {}, "now"), el("dd", { class: "throughput" }, rate),
        el("dt", {}, "total"), el("dd", {}, "read " + bytes(d.counters.bytesRead) + " · written " + bytes(d.counters.bytesWritten)),
        d.position ? el("dt", {}, "position") : null,
        d.position ? el("dd", {}, "file " + d.position.file + ", block " + d.position.block) : null,
        d.display ? el("dt", {}, "display") : null,
        d.display ? el("dd", {}, el("code", {}, d.display)) : null));
  }));
}

function renderPending(mounts) {
  const list = $("pending");
  list.replaceChildren(...(mounts.pending.length === 0
    ? [el("li", { class: "none" }, "none")]
    : mounts.pending.map((p) => el("li", { "data-device": p.device },
        el("strong", {}, p.device), " waits for ", el("code", {}, p.request), p.reason ? " — " + p.reason : ""))));
}

function renderPools(pools) {
  $("pools").replaceChildren(...pools.map((p) => {
    const used = p.capacityBytes > 0 ? Math.min(100, (100 * p.bytesUsed) / p.capacityBytes) : 0;
    return el("div", { class: "pool", "data-pool": p.name },
      el("h3", {}, p.name, " ", el("small", {}, p.media + " " + p.labels)),
      el("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": used.toFixed(1),
        "aria-label": "capacity used" }, el("span", { style: "width:" + used.toFixed(1) + "%" })),
      el("p", {}, bytes(p.bytesUsed) + " of " + bytes(p.capacityBytes) + " used (" + used.toFixed(1) + " %)"),
      el("p", {}, p.scratch + " scratch · " + p.private + " private · " + p.mounted + " mounted · " + p.volumes + " volumes"));
  }));
}

function eventItem(e) {
  return el("li", { class: e.level, "data-id": String(e.id), "data-type": e.type },
    el("time", { datetime: e.time }, time(e.time)), e.message);
}

function addEvents(events) {
  // events: oldest first
  for (const e of events) {
    if (e.id <= state.lastEvent) continue;
    state.lastEvent = e.id;
    prepend($("events"), eventItem(e), 50);
    if (e.level === "warning" || e.level === "error" || e.level === "critical") prepend($("errors"), eventItem(e), 20);
  }
}

function prepend(list, item, keep) {
  const none = list.querySelector(".none");
  if (none) none.remove();
  list.prepend(item);
  while (list.children.length > keep) list.lastElementChild.remove();
}

async function refreshDrives() {
  const [drives, mounts] = await Promise.all([api("/api/drives"), api("/api/mounts")]);
  renderDrives(drives);
  renderPending(mounts);
}

async function refreshPools() {
  renderPools(await api("/api/pools"));
}

let driveRefresh = null;
function soon() {
  // Several events come together (requested, mounted): one refresh for all of them.
  if (driveRefresh) return;
  driveRefresh = setTimeout(() => { driveRefresh = null; refreshDrives().catch(showOffline); refreshPools().catch(() => {}); }, 50);
}

function setLive(mode) {
  const live = $("live");
  live.className = "live " + mode;
  live.textContent = mode === "on" ? "live" : mode === "polling" ? "polling" : "offline";
}

function showOffline() { setLive("off"); }

function follow() {
  if (state.token || !window.EventSource) {
    setLive("polling");
    setInterval(async () => {
      try {
        const events = await api("/api/events?after=" + state.lastEvent + "&limit=500");
        if (events.length > 0) { addEvents(events.reverse()); soon(); }
        setLive("polling");
      } catch { showOffline(); }
    }, 1000);
    return;
  }
  const source = new EventSource("/api/events/stream");
  source.onopen = () => setLive("on");
  source.onerror = () => setLive("off");
  source.addEventListener("tape", (message) => {
    const e = JSON.parse(message.data);
    addEvents([e]);
    if (e.device || /Mount|Unload|Scratch|LibraryChanged|Attached|Detached/.test(e.type)) soon();
  });
}

async function start() {
  try {
    const server = await api("/api/server");
    $("server").textContent = server.name + " · tape " + server.listen + " · " + server.drives + " drives";
    await Promise.all([refreshDrives(), refreshPools()]);
    addEvents((await api("/api/events?limit=50")).reverse());
    follow();
    setInterval(() => refreshDrives().catch(showOffline), 2000);
    setInterval(() => refreshPools().catch(() => {}), 10000);
  } catch (error) {
    $("server").textContent = String(error.message || error);
    showOffline();
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("token").value;
  sessionStorage.setItem("ctape-token", state.token);
  $("login").hidden = true;
  start();
});

start();
