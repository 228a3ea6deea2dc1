// The whole agent journey with the unmodified SDKs against a running flexemu,
// printed as one JSON line (agentsdk_test.go asserts on it):
//
//   FLEXEMU_URL=http://127.0.0.1:7070 CONVERSATIONS=3 node agent.js
//
// token → worker ready → a REST activity change pushed to the SDK → Available
// (from the SDK) → a customer sends "hello" → reservationCreated → accept →
// conversationJoined → the history shows "hello" → a second customer message
// arrives live → the agent's sendMessage reaches the customer → its delivery
// receipt → typing → read horizon → wrap up → complete → leave; then a badly
// signed token is refused by both SDKs.
//
// The summary's "ok" is false when a step failed: "failedStep" names the first
// one, "failed" all of them with their errors, "skipped" those whose required
// steps did not pass, "steps" those that passed, and "events" the desktop's
// last events. Steps that do not depend on a failed one still run.
"use strict";

const { Desktop, badlySigned, callJSON, stdoutForEventsOnly, errInfo } = require("./desktop");

const STEP_MS = Number(process.env.STEP_TIMEOUT_MS || 15000);
const TOTAL_MS = Number(process.env.TOTAL_TIMEOUT_MS || 55000);

const url = (process.env.FLEXEMU_URL || "http://127.0.0.1:7070").replace(/\/+$/, "");
const line = process.env.CONVERSATIONS || "3";
const identity = process.env.IDENTITY || "alice";
// A customer of its own per run, so that runs against one `emulator up` do not
// land in an earlier run's conversation.
const customer = process.env.CUSTOMER || `whatsapp:+1555${String(Date.now() % 1e7).padStart(7, "0")}`;

const summary = { ok: false, line, identity, customer, steps: [], failed: [], skipped: [] };
let current = "start";
let desktop;
let printed = false;

function finish(code) {
  if (printed) return;
  printed = true;
  if (desktop && !summary.ok) summary.events = desktop.events.map((e) => { const { t, ...rest } = e; return rest; }).slice(-60);
  if (!summary.ok) summary.failedStep = summary.failed.length ? summary.failed[0].step : current;
  summary.lastStep = summary.steps[summary.steps.length - 1] || null;
  process.stdout.write(JSON.stringify(summary) + "\n", () => process.exit(code));
}

// step runs f unless a step it requires did not pass; a failure is recorded
// and the journey goes on with the steps that do not depend on it, so one
// run shows everything that works and everything that does not.
async function step(name, requires, f) {
  current = name;
  const missing = requires.filter((r) => !summary.steps.includes(r));
  if (missing.length) {
    summary.skipped.push({ step: name, because: missing });
    return undefined;
  }
  try {
    const res = await f();
    summary.steps.push(name);
    return res;
  } catch (e) {
    summary.failed.push({ step: name, error: e && e.message ? e.message : String(e) });
    return undefined;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function command(cmd) {
  const ev = await desktop.command(cmd);
  if (!ev.ok) throw new Error(`${cmd.cmd}: ${JSON.stringify(ev.error)}`);
  return ev;
}

async function inbound(body) {
  const tr = await callJSON(url, "/emulator/v1/inbound", { method: "POST", body: { body, from: customer } });
  const task = (tr.entries || []).find((e) => e.type === "task.created");
  return { conversationSid: tr.conversation_sid, messageIndex: tr.message_index, taskSid: task && task.sid };
}

/** Waits until the customer's side of conv shows a message from author with body. */
async function customerReceives(conv, after, author, body) {
  const deadline = Date.now() + STEP_MS;
  let seen = [];
  while (Date.now() < deadline) {
    const res = await callJSON(url, `/emulator/v1/conversations/${conv}/messages?after=${after}&wait=2s`);
    seen = seen.concat(res.messages || []);
    const m = seen.find((x) => x.author === author && x.body === body);
    if (m) return m;
    if ((res.messages || []).length) after = Math.max(...res.messages.map((x) => x.index));
  }
  throw new Error(`the customer's conversation ${conv} never showed ${JSON.stringify(body)} from ${author}; saw ${JSON.stringify(seen)}`);
}

/** Did the message leave through the customer's channel (timeline message.sent)? */
async function sentToCustomerChannel(conv, body) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const tl = await callJSON(url, "/emulator/v1/timeline");
    const hit = (tl.entries || []).find((e) => e.type === "message.sent" && e.refs && e.refs.conversation_sid === conv &&
      String(e.summary || "").includes(JSON.stringify(body)));
    if (hit) return true;
    await sleep(200);
  }
  return false;
}

async function journey() {
  desktop = new Desktop({ url, identity, line });
  const d = desktop;
  const v = {}; // what earlier steps found

  await step("info", [], async () => { v.info = await callJSON(url, "/emulator/v1/info"); });

  await step("token", ["info"], async () => {
    await d.start();
    v.token = d.events.find((e) => e.event === "token");
    Object.assign(summary, { workerSid: v.token.workerSid, taskrouter: v.token.taskrouter, conversations: v.token.conversations });
  });

  await step("workerReady", ["token"], async () => {
    v.ready = await d.waitFor((e) => e.event === "ready", STEP_MS, "Worker ready");
    summary.initialActivity = v.ready.activity;
  });
  const actSid = (name) => (v.ready.activities.find((a) => a.name === name) || {}).sid;

  await step("clientInitialized", ["token"], async () => {
    const init = await d.waitFor((e) => (e.event === "stateChanged" && (e.state === "initialized" || e.state === "failed")) ||
      e.event === "initFailed", STEP_MS, "Client initialized");
    if (init.state !== "initialized") {
      await sleep(200);
      const why = d.events.filter((e) => e.event === "initFailed" || e.event === "connectionError" || e.event === "error");
      throw new Error(`Conversations client did not initialize: ${JSON.stringify(init)} ${JSON.stringify(why)}`);
    }
    summary.clientUser = init.user;
  });

  // A REST activity change (what a supervisor or a backend does) is pushed to the SDK.
  await step("restActivityPushed", ["workerReady"], async () => {
    const mark = d.events.length;
    const auth = "Basic " + Buffer.from(`${v.info.account_sid}:${v.info.auth_token}`).toString("base64");
    await callJSON(url, `/taskrouter/v1/Workspaces/${v.token.workspaceSid}/Workers/${v.token.workerSid}`,
      { method: "POST", form: { ActivitySid: actSid("Break") }, headers: { Authorization: auth } });
    const ev = await d.waitFor((e) => d.events.indexOf(e) >= mark && e.event === "activityUpdated" && e.activity === "Break",
      STEP_MS, "activityUpdated Break after the REST change");
    summary.restActivity = ev.activity;
  });

  await step("available", ["workerReady"], async () => {
    const mark = d.events.length;
    const res = await command({ cmd: "setActivity", name: "Available" });
    summary.activity = res.activity;
    if (res.activity !== "Available") throw new Error(`setActivity resolved with the worker in ${res.activity}`);
    // The SDK's own change also comes back as a push.
    const pushed = await d.waitFor((e) => d.events.indexOf(e) >= mark && e.event === "activityUpdated" && e.activity === "Available",
      3000, "activityUpdated Available").catch(() => null);
    summary.availablePushed = !!pushed;
  });

  await step("customerHello", ["info"], async () => {
    v.hello = await inbound("hello");
    summary.conversationSid = v.hello.conversationSid;
    summary.taskSid = v.hello.taskSid;
  });

  await step("reservationCreated", ["available", "customerHello"], async () => {
    v.created = await d.waitFor((e) => e.event === "reservationCreated" &&
      (e.conversationSid === v.hello.conversationSid || e.taskSid === v.hello.taskSid), STEP_MS, `reservationCreated for ${v.hello.conversationSid}`);
    Object.assign(summary, { reservationSid: v.created.sid, reservationTaskSid: v.created.taskSid,
      reservationConversationSid: v.created.conversationSid, reservationStatus: v.created.status });
  });

  await step("accept", ["reservationCreated"], async () => {
    const res = await command({ cmd: "accept", reservationSid: v.created.sid });
    summary.acceptedStatus = res.status;
    await d.waitFor((e) => e.event === "reservation.accepted" && e.sid === v.created.sid, STEP_MS, "reservation accepted event");
  });

  await step("conversationJoined", ["accept", "clientInitialized"], async () => {
    const joined = await d.waitFor((e) => e.event === "conversationJoined" && e.sid === v.hello.conversationSid, STEP_MS,
      `conversationJoined ${v.hello.conversationSid}`);
    summary.joined = joined.sid;
  });

  await step("history", ["conversationJoined"], async () => {
    const res = await command({ cmd: "getMessages", conversationSid: v.hello.conversationSid });
    summary.history = res.messages.map((m) => m.body);
    summary.historyAuthors = res.messages.map((m) => m.author);
    if (!summary.history.includes("hello")) throw new Error(`history lacks "hello": ${JSON.stringify(res.messages)}`);
  });

  const second = "is anyone there?";
  await step("liveMessage", ["conversationJoined"], async () => {
    const tr = await inbound(second);
    if (tr.conversationSid !== v.hello.conversationSid) throw new Error(`the second message went to ${tr.conversationSid}, not ${v.hello.conversationSid}`);
    const ev = await d.waitFor((e) => e.event === "messageAdded" && e.conversationSid === v.hello.conversationSid && e.body === second,
      STEP_MS, "messageAdded for the second customer message");
    summary.live = { body: ev.body, index: ev.index, author: ev.author };
  });

  const reply = "Hi, this is Alice. How can I help?";
  await step("sendMessage", ["conversationJoined"], async () => {
    const res = await command({ cmd: "sendMessage", conversationSid: v.hello.conversationSid, body: reply });
    summary.sentIndex = res.index;
    const own = await d.waitFor((e) => e.event === "messageAdded" && e.conversationSid === v.hello.conversationSid && e.body === reply,
      STEP_MS, "messageAdded for the agent's own message").catch(() => null);
    summary.ownMessageAdded = !!own;
  });

  await step("customerReceived", ["sendMessage"], async () => {
    const m = await customerReceives(v.hello.conversationSid, -1, identity, reply);
    summary.customerReceived = { author: m.author, body: m.body, index: m.index };
    summary.sentToChannel = await sentToCustomerChannel(v.hello.conversationSid, reply);
  });

  await step("deliveryReceipts", ["customerReceived"], async () => {
    const res = await command({ cmd: "getDeliveryReceipts", conversationSid: v.hello.conversationSid, index: summary.sentIndex });
    summary.deliveryReceipts = res.receipts;
  });

  await step("typing", ["conversationJoined"], async () => {
    await command({ cmd: "typing", conversationSid: v.hello.conversationSid });
  });

  await step("readHorizon", ["conversationJoined"], async () => {
    const mark = d.events.length;
    await command({ cmd: "setReadHorizon", conversationSid: v.hello.conversationSid });
    // The SDK learns its new horizon from the Sync push, not from the POST's answer.
    const ev = await d.waitFor((e) => d.events.indexOf(e) >= mark && e.event === "conversationUpdated" && e.sid === v.hello.conversationSid &&
      (e.updateReasons || []).includes("lastReadMessageIndex"), STEP_MS, "conversationUpdated lastReadMessageIndex");
    summary.readHorizonPushed = !!ev;
  });

  await step("wrapup", ["accept"], async () => {
    await command({ cmd: "wrapup", reservationSid: v.created.sid });
    const ev = await d.waitFor((e) => e.event === "reservation.wrapup" && e.sid === v.created.sid, STEP_MS, "reservation wrapup event");
    summary.wrapupStatus = ev.status;
    summary.wrapupTaskStatus = ev.taskStatus;
  });

  await step("complete", ["wrapup"], async () => {
    await command({ cmd: "complete", reservationSid: v.created.sid, reason: "resolved" });
    const ev = await d.waitFor((e) => e.event === "reservation.completed" && e.sid === v.created.sid, STEP_MS, "reservation completed event");
    summary.completedStatus = ev.status;
    summary.completedTaskStatus = ev.taskStatus;
  });

  // Completing the task through TaskRouter leaves the agent in the
  // conversation (as on Twilio, where Flex's Interactions API removes her);
  // leaving is the SDK's own call.
  await step("leave", ["conversationJoined", "complete"], async () => {
    await command({ cmd: "leave", conversationSid: v.hello.conversationSid });
    await d.waitFor((e) => e.event === "conversationLeft" && e.sid === v.hello.conversationSid, STEP_MS, "conversationLeft");
  });

  await step("badTokenRefused", ["token"], async () => {
    const refusals = {};
    const badDesk = new Desktop({ url, identity, line, token: badlySigned(d.token), label: "bad" });
    try {
      await badDesk.start();
      const wErr = badDesk.waitFor((e) => e.event === "error" && e.source === "worker", STEP_MS, "Worker error for the badly signed token")
        .then((e) => e, (e) => ({ timeout: e.message }));
      const cErr = badDesk.waitFor((e) => e.event === "initFailed" || e.event === "connectionError" ||
        (e.event === "connectionStateChanged" && e.state === "denied"), STEP_MS, "Client refusal for the badly signed token")
        .then((e) => e, (e) => ({ timeout: e.message }));
      const [we, ce] = await Promise.all([wErr, cErr]);
      await sleep(300);
      refusals.worker = we.timeout ? { timeout: we.timeout } : we.error;
      refusals.workerReady = badDesk.events.some((e) => e.event === "ready");
      refusals.client = ce.timeout ? { timeout: ce.timeout } : { event: ce.event, state: ce.state, error: ce.error };
      refusals.clientConnected = badDesk.events.some((e) => e.event === "connectionStateChanged" && e.state === "connected");
      refusals.clientInitialized = badDesk.events.some((e) => e.event === "stateChanged" && e.state === "initialized");
    } finally {
      summary.badToken = refusals;
      summary.badTokenEvents = badDesk.events.map((e) => { const { t, ...rest } = e; return rest; }).slice(0, 20);
      await badDesk.stop();
    }
    if (refusals.workerReady || refusals.clientConnected || refusals.clientInitialized || refusals.worker.timeout || refusals.client.timeout) {
      throw new Error(`a badly signed token was not refused by both SDKs: ${JSON.stringify(refusals)}`);
    }
  });

  summary.uncaught = d.events.filter((e) => e.event === "error" && /uncaught|unhandled/i.test(e.source || "")).map((e) => e.error);
  summary.ok = summary.failed.length === 0 && summary.skipped.length === 0;
  current = "done";
  await d.stop();
}

stdoutForEventsOnly();
process.on("unhandledRejection", (e) => { if (desktop) desktop.emit({ event: "error", source: "unhandledRejection", error: errInfo(e) }); });
process.on("uncaughtException", (e) => { if (desktop) desktop.emit({ event: "error", source: "uncaughtException", error: errInfo(e) }); });
setTimeout(() => { summary.error = `journey took longer than ${TOTAL_MS} ms`; finish(1); }, TOTAL_MS);
journey().then(() => finish(0), (e) => { summary.error = e && e.message ? e.message : String(e); finish(1); });
