// The official AG-UI client (@ag-ui/client's HttpAgent) runs a conversation against an AG-UI endpoint.
//
//   node run_agui.mjs URL QUESTION [FOLLOW-UP ...]
//
// Each question is one run on the same thread, as a chat frontend sends it: the
// conversation so far plus the new question. The client checks every event as it
// arrives (its verifyEvents: RUN_STARTED first, nothing left open at RUN_FINISHED,
// no content for a message that is not open, ...) and rebuilds the messages from
// them. Prints one JSON report on stdout; exits 1 if a run failed, with the error.
// Used by environments/test_agui_client.py.
import { randomUUID } from "node:crypto";
import { HttpAgent } from "@ag-ui/client";

const [url, ...questions] = process.argv.slice(2);
const deadline = setTimeout(() => fail("timed out after 120 s"), 120_000);

function fail(message) {
  console.log(JSON.stringify({ error: message }));
  process.exit(1);
}

const agent = new HttpAgent({ url, threadId: randomUUID() });
const runs = [];
for (const question of questions) {
  agent.addMessage({ id: randomUUID(), role: "user", content: question });
  const types = [];
  const failures = [];
  let outcome;
  try {
    outcome = await agent.runAgent({ runId: randomUUID() }, {
      onEvent: ({ event }) => { types.push(event.type); },
      onRunFailed: ({ error }) => { failures.push(String(error?.message ?? error)); },
    });
  } catch (error) {
    fail(`the client reported: ${error?.message ?? error}`);
  }
  if (failures.length) fail(`the client reported: ${failures.join("; ")}`);
  runs.push({ question, types, result: outcome.result, newMessages: outcome.newMessages });
}
clearTimeout(deadline);
console.log(JSON.stringify({ threadId: agent.threadId, runs, messages: agent.messages }));
