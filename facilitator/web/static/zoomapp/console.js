// The host console inside Zoom: a thin relay between the server and the Zoom Apps SDK.
// The server decides every step and sends SDK calls by name; this page runs them and answers with
// the SDK's result or error code. Each command id runs once: a repeated id gets the first answer.
import zoomSdk from "./appssdk/sdk.es.js";

const APIS = [
  "getBreakoutRoomList", "getMeetingParticipants", "configureBreakoutRooms", "openBreakoutRooms",
  "closeBreakoutRooms", "assignParticipantToBreakoutRoom", "sendMessageToChat",
];
const token = document.querySelector('meta[name="console-token"]').content;
const answers = new Map();
const $ = (id) => document.getElementById(id);
let socket = null;

async function sdkInfo() {
  try {
    const cfg = await zoomSdk.config({ version: "0.16", capabilities: [...APIS, "getUserContext"] });
    const user = await zoomSdk.getUserContext();
    return { clientVersion: cfg.clientVersion || "", unsupportedApis: cfg.unsupportedApis || [],
             runningContext: cfg.runningContext || "", role: user.role || "" };
  } catch (err) {
    // Outside Zoom's client the SDK cannot run: the console still shows the session, read-only.
    return { clientVersion: "", unsupportedApis: APIS, runningContext: "", role: "", error: String(err) };
  }
}

async function run(cmd) {
  if (answers.has(cmd.id)) return answers.get(cmd.id);
  let answer;
  if (!APIS.includes(cmd.api)) {
    answer = { type: "ack", id: cmd.id, ok: false, message: "not an allowed call" };
  } else {
    try {
      const data = cmd.data || {};
      const result = Object.keys(data).length ? await zoomSdk[cmd.api](data) : await zoomSdk[cmd.api]();
      answer = { type: "ack", id: cmd.id, ok: true, result: result ?? null };
    } catch (err) {
      const code = Number.isInteger(err && err.code) ? err.code : (Number.parseInt(err && err.code, 10) || null);
      answer = { type: "ack", id: cmd.id, ok: false, code, message: String((err && err.message) || err) };
    }
  }
  answers.set(cmd.id, answer);
  return answer;
}

function text(el, value) { el.textContent = value; }

function item(parent, tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  parent.appendChild(el);
  return el;
}

function options(select, entries) {
  const keep = select.value;
  select.replaceChildren();
  for (const [value, label] of entries) {
    const o = document.createElement("option");
    o.value = value; o.textContent = label;
    select.appendChild(o);
  }
  if (entries.some(([v]) => v === keep)) select.value = keep;
}

function render(state) {
  text($("mode"), state.mode === "control"
    ? (state.paused ? "In control — automation paused" : "In control — automation running")
    : "Read-only: another console controls this meeting");
  const at = state.next_at ? ` at ${new Date(state.next_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}` : "";
  text($("now"), state.now); text($("next"), state.next + at); text($("strategy"), state.strategy);
  const warnings = $("warnings"); warnings.replaceChildren();
  for (const w of state.warnings) item(warnings, "li", w);
  const rooms = $("rooms"); rooms.replaceChildren();
  for (const r of state.rooms) {
    const tr = document.createElement("tr");
    item(tr, "th", r.name).scope = "row";
    item(tr, "td", String(r.count));
    item(tr, "td", r.physicians.join(", ") || "—");
    rooms.appendChild(tr);
  }
  const itin = $("itineraries"); itin.replaceChildren();
  for (const f of state.itineraries) {
    const stops = f.stops.map((s) => `round ${s.round}: ${s.room}${s.arrived ? " (arrived)" : ""}`);
    item(itin, "li", `${f.name} — ${stops.join("; ")}`);
  }
  const who = state.itineraries.map((f) => [f.id, f.name]);
  options($("move-who"), who); options($("identify-who"), who);
  options($("identify-as"), state.participants.map((p) => [p.uuid, `${p.name} (${p.role})`]));
  const log = $("log"); log.replaceChildren();
  for (const a of state.log.slice().reverse()) {
    const when = new Date(a.at).toLocaleTimeString();
    item(log, "li", `${when} ${a.what}: ${a.detail}`, a.ok ? "" : "failed");
  }
  for (const el of document.querySelectorAll("button, select")) el.disabled = state.mode !== "control";
}

function send(message) { if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message)); }

function control(action, args) { send({ type: "control", action, args: args || {} }); }

async function connect() {
  const sdk = await sdkInfo();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/zoomapp/ws`);
  socket.addEventListener("open", () => send({ type: "hello", token, sdk }));
  socket.addEventListener("message", async (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === "command") send(await run(msg));
    else if (msg.type === "state") render(msg);
    else if (msg.type === "control") text($("outcome"), `${msg.action}: ${msg.outcome}`);
    else if (msg.type === "error") text($("outcome"), msg.reason);
    else if (msg.type === "welcome") document.body.dataset.mode = msg.mode;
  });
  socket.addEventListener("close", () => text($("mode"), "Disconnected: reopen the app to reconnect."));
}

for (const button of document.querySelectorAll("button[data-action]")) {
  button.addEventListener("click", () => control(button.dataset.action));
}
$("move-form").addEventListener("submit", (e) => {
  e.preventDefault(); control("move", { facilitator: $("move-who").value });
});
$("identify-form").addEventListener("submit", (e) => {
  e.preventDefault(); control("identify", { facilitator: $("identify-who").value, participant: $("identify-as").value });
});
window.__consoleAnswers = answers;
connect();
