// An agent desktop built on the unmodified agent SDKs, pointed at flexemu:
// twilio-taskrouter's Worker (the event bridge) and @twilio/conversations'
// Client (twilsock), with a token from flexemu's control API.
//
// As a process (what the Godog steps spawn):
//
//   FLEXEMU_URL=http://127.0.0.1:7070 IDENTITY=alice CONVERSATIONS=3 node desktop.js
//
// reads newline-delimited JSON commands on stdin and writes newline-delimited
// JSON events on stdout, one object per line with an "event" field:
//
//   {"cmd":"setActivity","name":"Available","id":1}
//   {"cmd":"accept","reservationSid":"WR…"}            (default: the newest pending one)
//   {"cmd":"reject","reservationSid":"WR…"}
//   {"cmd":"wrapup","taskSid":"WT…"}                   (or reservationSid; default: the newest accepted)
//   {"cmd":"complete","taskSid":"WT…","reason":"resolved"}
//   {"cmd":"sendMessage","conversationSid":"CH…","body":"hi"}
//   {"cmd":"getDeliveryReceipts","conversationSid":"CH…","index":2}
//   {"cmd":"getMessages","conversationSid":"CH…"}      (→ result with messages [{index,author,body}])
//   {"cmd":"typing","conversationSid":"CH…"}
//   {"cmd":"setReadHorizon","conversationSid":"CH…","index":3}   (no index: all read)
//   {"cmd":"leave","conversationSid":"CH…"}
//   {"cmd":"getConversations"}  {"cmd":"updateToken"}  {"cmd":"exit"}
//
// Every command is answered by {"event":"result","cmd":…,"id":…,"ok":true|false,…}.
// SDK events: ready, activityUpdated, reservationCreated {sid,taskSid,conversationSid},
// reservation.accepted/.wrapup/.completed/…, stateChanged, connectionStateChanged,
// conversationJoined {sid}, messageAdded {conversationSid,index,author,body},
// participantJoined, typingStarted, error, tokenExpired, … An SDK error never
// ends the process: it is printed as an event.
//
// TOKEN_TTL (seconds) asks for a shorter-lived token, to see tokenAboutToExpire,
// tokenExpired and the updateToken command at work.
//
// CONVERSATIONS picks the Conversations SDK line: "3" (@twilio/conversations
// 3.0.1, the default) or "2" (2.5.0, the line Flex UI 2.x bundles, installed
// under the npm alias "conversations2").
//
// As a module (agent.js): const { Desktop } = require("./desktop");
"use strict";

const readline = require("readline");
const util = require("util");

const LINES = { "3": "@twilio/conversations", "2": "conversations2" };

/** The Conversations SDK package and its version for a line ("3" or "2"). */
function conversationsSDK(line) {
  const pkg = LINES[String(line || "3")];
  if (!pkg) throw new Error(`CONVERSATIONS=${line}: want "3" or "2"`);
  return { sdk: require(pkg), version: require(`${pkg}/package.json`).version, pkg };
}

/** Calls flexemu's control API (or any JSON endpoint under url). */
async function callJSON(url, path, { method = "GET", body, headers = {}, form } = {}) {
  const h = { ...headers };
  let payload;
  if (form) {
    h["Content-Type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(form).toString();
  } else if (body !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(url.replace(/\/+$/, "") + path, { method, headers: h, body: payload });
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : {}; } catch { data = { raw: text }; }
  if (!res.ok) {
    const err = new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

/** Mints an agent token through POST /emulator/v1/tokens. */
function fetchToken(url, identity, ttl) {
  const body = { identity };
  if (ttl) body.ttl = ttl;
  return callJSON(url, "/emulator/v1/tokens", { method: "POST", body });
}

/** The same token with a different signature: what a wrong secret signs. */
function badlySigned(token) {
  const [h, p, s] = token.split(".");
  const sig = Buffer.from(s, "base64url");
  sig[0] ^= 0xff;
  return [h, p, sig.toString("base64url")].join(".");
}

function errInfo(e) {
  if (e === undefined || e === null) return { message: String(e) };
  if (typeof e !== "object") return { message: String(e) };
  const out = { message: e.message || e.description || (e.error && e.error.message) || util.inspect(e, { depth: 2 }).slice(0, 500) };
  for (const k of ["code", "name", "status", "terminal", "errorCode", "description"]) {
    if (e[k] !== undefined && typeof e[k] !== "object") out[k] = e[k];
  }
  if (e.error && typeof e.error === "object") out.error = errInfo(e.error);
  if (e.body !== undefined) out.body = e.body;
  return out;
}

function taskAttributes(task) {
  const a = task && task.attributes;
  if (typeof a === "string") { try { return JSON.parse(a); } catch { return {}; } }
  return a || {};
}

function reservationInfo(r) {
  const task = r.task || {};
  const attrs = taskAttributes(task);
  return { sid: r.sid, status: r.status, taskSid: task.sid, taskStatus: task.status,
    conversationSid: attrs.conversationSid || attrs.conversation_sid, channel: task.taskChannelUniqueName };
}

function messageInfo(m) {
  return { conversationSid: m.conversation && m.conversation.sid, sid: m.sid, index: m.index, author: m.author, body: m.body,
    participantSid: m.participantSid, type: m.type };
}

function participantInfo(p) {
  return { conversationSid: p.conversation && p.conversation.sid, sid: p.sid, identity: p.identity, type: p.type };
}

/**
 * One agent's desktop: a Worker and a Client for identity. emit(obj) gets
 * every event; events also stay in this.events for waitFor.
 */
class Desktop {
  constructor({ url, identity = "alice", line = "3", emit = () => {}, token, ttl, worker = true, client = true, label } = {}) {
    this.url = url;
    this.ttl = ttl;
    this.identity = identity;
    this.line = String(line);
    this._emit = emit;
    this.tokenOverride = token;
    this.wantWorker = worker;
    this.wantClient = client;
    this.label = label;
    this.events = [];
    this._waiters = [];
    this.reservations = new Map(); // sid → Reservation, in arrival order
    this.conversations = new Map(); // sid → Conversation
    this.worker = null;
    this.client = null;
  }

  emit(ev) {
    const e = { ...ev, t: Date.now() };
    if (this.label) e.desktop = this.label;
    this.events.push(e);
    try { this._emit(e); } catch (_) { /* a broken sink must not stop the desktop */ }
    for (const w of this._waiters.slice()) {
      if (w.pred(e)) { this._waiters.splice(this._waiters.indexOf(w), 1); clearTimeout(w.timer); w.resolve(e); }
    }
  }

  /** Resolves with the first event (already seen or future) matching pred. */
  waitFor(pred, timeoutMs = 15000, what = "event") {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this._waiters.push(w);
    });
  }

  async start() {
    let tok;
    try {
      tok = await fetchToken(this.url, this.identity, this.ttl);
    } catch (e) {
      this.emit({ event: "tokenFailed", error: errInfo(e) });
      throw e;
    }
    this.info = tok;
    this.token = this.tokenOverride || tok.token;
    const { version, pkg } = conversationsSDK(this.line);
    this.emit({ event: "token", identity: tok.identity, workerSid: tok.worker_sid, workspaceSid: tok.workspace_sid,
      accountSid: tok.account_sid, chatServiceSid: tok.chat_service_sid, badlySigned: !!this.tokenOverride,
      taskrouter: require("twilio-taskrouter/package.json").version, conversations: version, conversationsPackage: pkg });
    if (this.wantWorker) this.startWorker();
    if (this.wantClient) await this.startClient();
    return this;
  }

  startWorker() {
    const { Worker } = require("twilio-taskrouter");
    let w;
    try {
      // enableVersionCheck: every update carries If-Match with the SDK's own copy of the version,
      // so the journey also checks that flexemu versions workers, tasks and reservations as the SDK expects.
      w = new Worker(this.token, { ebServer: this.info.event_bridge_url, wsServer: this.info.event_bridge_ws_url,
        enableVersionCheck: true, logLevel: "error" });
    } catch (e) {
      this.emit({ event: "error", source: "worker", phase: "constructor", error: errInfo(e) });
      return;
    }
    this.worker = w;
    const on = (name, f) => w.on(name, (...a) => { try { f(...a); } catch (e) { this.emit({ event: "error", source: "desktop", in: name, error: errInfo(e) }); } });
    on("ready", () => {
      const activities = [];
      for (const a of w.activities.values()) activities.push({ sid: a.sid, name: a.name, available: a.available });
      for (const r of w.reservations.values()) this.trackReservation(r, "reservationExisting");
      this.emit({ event: "ready", sid: w.sid, activity: w.activity && w.activity.name, activitySid: w.activity && w.activity.sid,
        available: w.available, activities, channels: w.channels ? w.channels.size : 0, reservations: w.reservations.size });
    });
    on("activityUpdated", (wk) => this.emit({ event: "activityUpdated", activity: wk.activity && wk.activity.name, activitySid: wk.activity && wk.activity.sid, available: wk.available }));
    on("attributesUpdated", (wk) => this.emit({ event: "attributesUpdated", attributes: wk.attributes }));
    on("reservationCreated", (r) => this.trackReservation(r, "reservationCreated"));
    on("reservationFailed", (p) => this.emit({ event: "reservationFailed", payload: p }));
    on("disconnected", (p) => this.emit({ event: "disconnected", source: "worker", message: p && (p.message || p.reason) }));
    on("connected", () => this.emit({ event: "connected", source: "worker" }));
    on("error", (e) => this.emit({ event: "error", source: "worker", error: errInfo(e) }));
    on("tokenExpired", () => this.emit({ event: "tokenExpired", source: "worker" }));
    on("tokenUpdated", () => this.emit({ event: "tokenUpdated", source: "worker" }));
  }

  trackReservation(r, event) {
    if (this.reservations.get(r.sid) === r) return; // listening already (a reconnect's ready)
    this.reservations.set(r.sid, r);
    this.emit({ event, ...reservationInfo(r) });
    for (const name of ["accepted", "rejected", "timeout", "canceled", "rescinded", "wrapup", "completed"]) {
      r.on(name, (rr) => {
        try { this.emit({ event: "reservation." + name, ...reservationInfo(rr || r) }); } catch (e) { this.emit({ event: "error", source: "desktop", error: errInfo(e) }); }
      });
    }
    const task = r.task;
    if (task && typeof task.on === "function") {
      for (const name of ["updated", "canceled", "completed", "wrapup"]) {
        task.on(name, (t) => this.emit({ event: "task." + name, sid: (t || task).sid, status: (t || task).status, reservationSid: r.sid }));
      }
    }
  }

  async startClient() {
    const { sdk } = conversationsSDK(this.line);
    const Client = sdk.Client || sdk.default || sdk;
    const opts = { Twilsock: { uri: this.info.twilsock_url }, logLevel: "error" };
    let c;
    try {
      c = new Client(this.token, opts);
    } catch (e) {
      // Lines whose constructor is not public build through Client.create.
      if (typeof Client.create !== "function") {
        this.emit({ event: "error", source: "client", phase: "constructor", error: errInfo(e) });
        return;
      }
      try {
        c = await Client.create(this.token, opts);
      } catch (e2) {
        this.emit({ event: "initFailed", source: "client", phase: "create", error: errInfo(e2) });
        return;
      }
    }
    this.client = c;
    const on = (name, f) => c.on(name, (...a) => { try { f(...a); } catch (e) { this.emit({ event: "error", source: "desktop", in: name, error: errInfo(e) }); } });
    on("stateChanged", (s) => {
      const ev = { event: "stateChanged", state: s };
      if (s === "initialized") ev.user = c.user && { identity: c.user.identity, friendlyName: c.user.friendlyName };
      this.emit(ev);
    });
    on("initialized", () => this.emit({ event: "initialized" }));
    on("initFailed", (p) => this.emit({ event: "initFailed", error: errInfo(p && p.error ? p.error : p) }));
    on("connectionStateChanged", (s) => this.emit({ event: "connectionStateChanged", state: s }));
    on("connectionError", (e) => this.emit({ event: "connectionError", error: errInfo(e) }));
    on("tokenAboutToExpire", (ttl) => this.emit({ event: "tokenAboutToExpire", source: "client", ttl }));
    on("tokenExpired", () => this.emit({ event: "tokenExpired", source: "client" }));
    on("conversationAdded", (conv) => this.emit({ event: "conversationAdded", sid: conv.sid }));
    on("conversationJoined", (conv) => {
      this.conversations.set(conv.sid, conv);
      this.emit({ event: "conversationJoined", sid: conv.sid, friendlyName: conv.friendlyName, uniqueName: conv.uniqueName,
        state: conv.state && conv.state.current, attributes: conv.attributes, status: conv.status });
    });
    on("conversationLeft", (conv) => { this.conversations.delete(conv.sid); this.emit({ event: "conversationLeft", sid: conv.sid }); });
    on("conversationRemoved", (conv) => { this.conversations.delete(conv.sid); this.emit({ event: "conversationRemoved", sid: conv.sid }); });
    on("conversationUpdated", ({ conversation, updateReasons }) => this.emit({ event: "conversationUpdated", sid: conversation.sid, updateReasons,
      state: conversation.state && conversation.state.current }));
    on("messageAdded", (m) => this.emit({ event: "messageAdded", ...messageInfo(m) }));
    on("messageUpdated", ({ message, updateReasons }) => this.emit({ event: "messageUpdated", ...messageInfo(message), updateReasons }));
    on("messageRemoved", (m) => this.emit({ event: "messageRemoved", ...messageInfo(m) }));
    on("participantJoined", (p) => this.emit({ event: "participantJoined", ...participantInfo(p) }));
    on("participantLeft", (p) => this.emit({ event: "participantLeft", ...participantInfo(p) }));
    on("participantUpdated", ({ participant, updateReasons }) => this.emit({ event: "participantUpdated", ...participantInfo(participant), updateReasons,
      lastReadMessageIndex: participant.lastReadMessageIndex }));
    on("typingStarted", (p) => this.emit({ event: "typingStarted", ...participantInfo(p) }));
    on("typingEnded", (p) => this.emit({ event: "typingEnded", ...participantInfo(p) }));
  }

  pickReservation({ reservationSid, taskSid } = {}, statuses) {
    if (reservationSid) {
      const r = this.reservations.get(reservationSid) || (this.worker && this.worker.reservations.get(reservationSid));
      if (!r) throw new Error(`no reservation ${reservationSid}`);
      return r;
    }
    const all = [...this.reservations.values()].reverse();
    const r = all.find((x) => (!taskSid || (x.task && x.task.sid === taskSid)) && (!statuses || statuses.includes(x.status)))
      || all.find((x) => !taskSid || (x.task && x.task.sid === taskSid));
    if (!r) throw new Error(taskSid ? `no reservation for task ${taskSid}` : "no reservation");
    return r;
  }

  async conversation(sid) {
    if (!this.client) throw new Error("no Conversations client");
    if (!sid) {
      const all = [...this.conversations.values()];
      if (all.length === 0) throw new Error("no conversation joined");
      return all[all.length - 1];
    }
    return this.conversations.get(sid) || this.client.getConversationBySid(sid);
  }

  requireWorker() {
    if (!this.worker) throw new Error("no Worker");
    return this.worker;
  }

  /** Runs one command and resolves with the fields of its result. */
  async run(cmd) {
    switch (cmd.cmd) {
      case "setActivity": {
        const w = this.requireWorker();
        const want = cmd.sid || cmd.name;
        const a = [...w.activities.values()].find((x) => x.sid === want || x.name === want);
        if (!a) throw new Error(`no activity ${want}`);
        await a.setAsCurrent();
        return { activity: w.activity && w.activity.name };
      }
      case "accept": {
        const r = this.pickReservation(cmd, ["pending"]);
        await r.accept();
        return reservationInfo(r);
      }
      case "reject": {
        const r = this.pickReservation(cmd, ["pending"]);
        await r.reject(cmd.activitySid ? { activitySid: cmd.activitySid } : {});
        return reservationInfo(r);
      }
      case "wrapup": {
        const r = this.pickReservation(cmd, ["accepted"]);
        if (cmd.via === "reservation") await r.wrap(); else await r.task.wrapUp();
        return reservationInfo(r);
      }
      case "complete": {
        const r = this.pickReservation(cmd, ["wrapping", "accepted"]);
        if (cmd.via === "reservation") await r.complete(); else await r.task.complete(cmd.reason || "resolved");
        return reservationInfo(r);
      }
      case "sendMessage": {
        const conv = await this.conversation(cmd.conversationSid);
        const index = await conv.sendMessage(cmd.body);
        return { conversationSid: conv.sid, index };
      }
      case "getMessages": {
        const conv = await this.conversation(cmd.conversationSid);
        const page = await conv.getMessages(cmd.pageSize || 100);
        return { conversationSid: conv.sid, messages: page.items.map((m) => ({ index: m.index, author: m.author, body: m.body, sid: m.sid })) };
      }
      case "getDeliveryReceipts": {
        // What a Flex UI shows under an agent's message: the SDK's detailed
        // delivery receipts, one per channel recipient.
        const conv = await this.conversation(cmd.conversationSid);
        const page = await conv.getMessages(cmd.pageSize || 100);
        const m = page.items.find((x) => x.index === cmd.index);
        if (!m) throw new Error(`no message ${cmd.index} in ${conv.sid}`);
        const receipts = await m.getDetailedDeliveryReceipts();
        return { conversationSid: conv.sid, messageSid: m.sid, receipts: receipts.map((r) => ({
          sid: r.sid, messageSid: r.messageSid, participantSid: r.participantSid, status: r.status, errorCode: r.errorCode })) };
      }
      case "getParticipants": {
        const conv = await this.conversation(cmd.conversationSid);
        const ps = await conv.getParticipants();
        return { conversationSid: conv.sid, participants: ps.map((p) => ({ sid: p.sid, identity: p.identity, type: p.type })) };
      }
      case "typing": {
        const conv = await this.conversation(cmd.conversationSid);
        await conv.typing();
        return { conversationSid: conv.sid };
      }
      case "setReadHorizon": {
        const conv = await this.conversation(cmd.conversationSid);
        const unread = cmd.index === undefined ? await conv.setAllMessagesRead() : await conv.updateLastReadMessageIndex(cmd.index);
        return { conversationSid: conv.sid, unread, lastReadMessageIndex: conv.lastReadMessageIndex };
      }
      case "leave": {
        const conv = await this.conversation(cmd.conversationSid);
        await conv.leave();
        return { conversationSid: conv.sid };
      }
      case "getConversations": {
        if (!this.client) throw new Error("no Conversations client");
        const page = await this.client.getSubscribedConversations();
        return { conversations: page.items.map((c) => ({ sid: c.sid, status: c.status, friendlyName: c.friendlyName })) };
      }
      case "updateToken": {
        const tok = await fetchToken(this.url, this.identity, cmd.ttl || this.ttl);
        this.token = tok.token;
        if (this.worker) this.worker.updateToken(tok.token);
        if (this.client) await this.client.updateToken(tok.token);
        return { expiresAt: tok.expires_at };
      }
      case "events":
        return { events: this.events.length };
      case "exit":
        await this.stop();
        return {};
      default:
        throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
    }
  }

  /** Runs cmd and emits its result event; never throws. */
  async command(cmd) {
    const base = { event: "result", cmd: cmd && cmd.cmd };
    if (cmd && cmd.id !== undefined) base.id = cmd.id;
    try {
      const res = await this.run(cmd || {});
      const ev = { ...base, ok: true, ...res };
      this.emit(ev);
      return ev;
    } catch (e) {
      const ev = { ...base, ok: false, error: errInfo(e) };
      this.emit(ev);
      return ev;
    }
  }

  async stop() {
    const quiet = async (f) => { try { await Promise.race([f(), new Promise((r) => setTimeout(r, 2000))]); } catch (_) { /* shutting down */ } };
    if (this.worker) await quiet(() => this.worker.disconnect());
    if (this.client) await quiet(() => this.client.shutdown());
  }
}

/** Keeps SDK log lines (console.log/info/debug) off stdout, which carries events only. */
function stdoutForEventsOnly() {
  const toStderr = (...a) => process.stderr.write(util.format(...a) + "\n");
  console.log = console.info = console.debug = toStderr;
}

async function main() {
  stdoutForEventsOnly();
  const write = (e) => process.stdout.write(JSON.stringify(e) + "\n");
  const url = process.env.FLEXEMU_URL || "http://127.0.0.1:7070";
  const d = new Desktop({ url, identity: process.env.IDENTITY || "alice", line: process.env.CONVERSATIONS || "3", emit: write,
    ttl: Number(process.env.TOKEN_TTL) || undefined });
  process.on("unhandledRejection", (e) => d.emit({ event: "error", source: "unhandledRejection", error: errInfo(e) }));
  process.on("uncaughtException", (e) => d.emit({ event: "error", source: "uncaughtException", error: errInfo(e) }));
  let exiting = false;
  const exit = async (code) => {
    if (exiting) return;
    exiting = true;
    await d.stop();
    d.emit({ event: "exited" });
    process.stdout.write("", () => process.exit(code)); // SDK timers would keep Node alive
  };
  const rl = readline.createInterface({ input: process.stdin });
  const queue = [];
  let started = null;
  rl.on("line", (line) => {
    if (!line.trim()) return;
    let cmd;
    try { cmd = JSON.parse(line); } catch (e) { d.emit({ event: "result", ok: false, error: { message: `bad command JSON: ${e.message}` } }); return; }
    if (cmd.cmd === "exit") { exit(0); return; }
    // Commands run in order, each after the previous one's result.
    queue.push(cmd);
    if (queue.length === 1) drain();
  });
  rl.on("close", () => exit(0)); // the parent went away
  async function drain() {
    while (queue.length) {
      await started;
      await d.command(queue[0]);
      queue.shift();
    }
  }
  started = d.start().catch((e) => { d.emit({ event: "error", source: "start", error: errInfo(e) }); });
  await started;
  d.emit({ event: "started" });
}

module.exports = { Desktop, fetchToken, badlySigned, callJSON, conversationsSDK, errInfo, stdoutForEventsOnly };

if (require.main === module) main();
