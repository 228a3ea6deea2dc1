// Run by cmd/emulator/exec_test.go as `emulator exec -- node exec-node.js`:
// twilio-node (examples/node's, through its flexemu.js helper) creates a
// TaskRouter task with the credentials exec exports, and prints its SID.
"use strict";

const { client } = require("../../../examples/node/flexemu");

async function main() {
  const c = client(process.env.FLEXEMU_URL, process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN);
  const ws = process.env.FLEXEMU_WORKSPACE_SID;
  const task = await c.taskrouter.v1.workspaces(ws).tasks.create({
    attributes: JSON.stringify({ from: "exec-node" }) });
  const fetched = await c.taskrouter.v1.workspaces(ws).tasks(task.sid).fetch();
  if (JSON.parse(fetched.attributes).from !== "exec-node") {
    throw new Error(`task ${task.sid} attributes ${fetched.attributes}`);
  }
  console.log(task.sid);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
