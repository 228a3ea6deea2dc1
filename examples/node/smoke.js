// Drives a running flexemu with the real twilio-node client, as a Flex
// developer's Node code would, and prints a JSON summary. Run by
// examples/node/node_test.go; FLEXEMU_URL, FLEXEMU_ACCOUNT_SID and
// FLEXEMU_AUTH_TOKEN say where and who.
"use strict";

const twilio = require("twilio");
const { client } = require("./flexemu");

async function main() {
  const url = process.env.FLEXEMU_URL;
  const sid = process.env.FLEXEMU_ACCOUNT_SID;
  const token = process.env.FLEXEMU_AUTH_TOKEN;
  const c = client(url, sid, token);
  const out = {};

  const [ws] = await c.taskrouter.v1.workspaces.list({ friendlyName: "Flex Task Assignment" });
  out.workspace = ws.friendlyName;
  const worker = await c.taskrouter.v1.workspaces(ws.sid).workers.create({
    friendlyName: "node-agent", attributes: JSON.stringify({ contact_uri: "client:node-agent" }) });
  out.workerSid = worker.sid;

  // A customer message through the emulator's control API.
  const res = await fetch(`${url}/emulator/v1/inbound`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ body: "hello from node" }) });
  const trace = await res.json();

  const tasks = await c.taskrouter.v1.workspaces(ws.sid).tasks.list({ assignmentStatus: ["reserved"] });
  out.tasks = tasks.length;
  out.queue = tasks[0].taskQueueFriendlyName;
  out.attributesConversation = JSON.parse(tasks[0].attributes).conversationSid === trace.conversation_sid;
  const reservations = await c.taskrouter.v1.workspaces(ws.sid).tasks(tasks[0].sid).reservations.list();
  const accepted = await c.taskrouter.v1.workspaces(ws.sid).tasks(tasks[0].sid)
    .reservations(reservations[0].sid).update({ reservationStatus: "accepted" });
  out.reservation = accepted.reservationStatus;
  out.worker = accepted.workerName;

  const participants = await c.conversations.v1.conversations(trace.conversation_sid).participants.list();
  out.participants = participants.map((p) => p.identity || p.messagingBinding.address).sort();

  const flows = await c.studio.v2.flows.list();
  out.flows = flows.map((f) => f.friendlyName);

  try {
    await c.taskrouter.v1.workspaces(ws.sid).tasks("WT00000000000000000000000000000000").fetch();
  } catch (e) {
    out.notFound = { status: e.status, code: e.code };
  }

  // The signature the emulator puts on webhooks validates with twilio-node too.
  const params = { EventType: "onMessageAdded", Body: "hi", State: "active", StateTo: "closed" };
  out.signatureValid = twilio.validateRequest(token, process.env.FLEXEMU_SIGNATURE, "https://example.com/hook?x=1", params);

  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
