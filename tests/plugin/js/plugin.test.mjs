// The generated plugin's JavaScript, run by Node's own test runner on the tool
// results a real openclaw@2026.9.6 gateway sent a scripted model
// (fixtures/plugin/, saved by bench/real_plugin.py --save).
//
// tests/plugin/test_plugin_js.py writes the plugin twice (new names; --resumable) and
// runs this file with PLUGIN_NEW, PLUGIN_RESUMABLE, FRAMES and VERSIONS set.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, test } from "node:test";

const load = (dir) => import(pathToFileURL(join(dir, "index.js")).href);
const plain = await load(process.env.PLUGIN_NEW);
const resumable = await load(process.env.PLUGIN_RESUMABLE);
const frame = (name) => JSON.parse(readFileSync(join(process.env.FRAMES, `${name}.json`), "utf8"));
const GATEWAY = "2026.9.6";
const SESSION = "agent:main:main";

// The result the middleware is handed, rebuilt from what the model was sent:
// the content text as it came, and the details it was rendered from (the
// bridge renders {tool, result}; sessions_list renders its payload).
function eventFrom(name) {
  const text = frame(name).tool_result;
  const details = JSON.parse(text);
  const toolName = "tool" in details ? "tool_call" : "sessions_list";
  const args = toolName === "tool_call" ? { id: "sessions_list", args: {} } : {};
  return { toolName, args, toolCallId: "call1", result: { content: [{ type: "text", text }], details } };
}

// The check's own turn sets its session's updatedAt: the one value that
// differs between two runs of the gateway. Take it from the input.
function rows(text) {
  const doc = JSON.parse(text);
  return "tool" in doc ? doc.result.details.sessions : doc.sessions;
}
function aligned(expected, input) {
  const stamp = (text) => String(rows(text).find((r) => r.key === SESSION).updatedAt);
  return expected.replaceAll(stamp(expected), stamp(input));
}

async function served(plugin, name) {
  const event = eventFrom(name);
  const out = await plugin.createMiddleware(plugin.vocabularyFor(GATEWAY))(event);
  assert.ok(out, "the middleware changed nothing");
  return { event, out: out.result };
}

describe("on the frames of a real 2026.9.6 gateway", () => {
  for (const [input, want, plugin, label] of [
    ["without", "with", plain, "Tool Search bridge: new names"],
    ["direct-without", "direct-with", plain, "sessions_list direct: new names"],
    ["without", "resumable", resumable, "--resumable: old names plus resumable and a note"],
  ]) {
    test(`${label}: the text is what the gateway sent the model with the plugin`, async () => {
      const { event, out } = await served(plugin, input);
      assert.equal(out.content[0].text, aligned(frame(want).tool_result, event.result.content[0].text));
      assert.equal(out.content.length, 1);
    });
  }

  test("details are rewritten like the text, inside the bridge's envelope", async () => {
    const { out } = await served(plain, "without");
    const fromText = JSON.parse(out.content[0].text);
    assert.deepEqual(out.details, fromText);
    const statuses = out.details.result.details.sessions.map((r) => r.status ?? null);
    assert.deepEqual(statuses, ["running", "interrupted", "waiting_for_response", "interrupted", "halted",
      "interrupted", "agent_responded", "agent_responded", null]);
  });

  test("--resumable marks exactly the rows a sessions_send resumes", async () => {
    const { out } = await served(resumable, "without");
    const marked = out.details.result.details.sessions.map((r) => [r.status ?? null, r.resumable ?? false]);
    assert.deepEqual(marked, [["running", false], ["failed", true], ["timeout", true], ["failed", true],
      ["killed", false], ["failed", true], ["done", true], ["done", true], [null, false]]);
    const inner = JSON.parse(out.details.result.content[0].text);
    assert.deepEqual(inner, out.details.result.details);
  });

  test("the input event is left as it was (the middleware works on a copy)", async () => {
    const event = eventFrom("without");
    const before = structuredClone(event);
    await plain.createMiddleware("new")(event);
    assert.deepEqual(event, before);
  });

  test("a result already served is not changed again", async () => {
    for (const plugin of [plain, resumable]) {
      const { event, out } = await served(plugin, "without");
      const again = await plugin.createMiddleware(plugin.vocabularyFor(GATEWAY))({ ...event, result: out });
      assert.equal(again, undefined);
    }
  });
});

describe("what passes untouched", () => {
  const result = (payload) => ({ content: [{ type: "text", text: JSON.stringify(payload, null, 2) }], details: payload });

  test("other tools, though their results say failed, timeout or done", async () => {
    const middleware = plain.createMiddleware("new");
    for (const [toolName, payload] of [
      ["sessions_send", { status: "timeout", runId: "r1" }],
      ["subagents", { sessions: [{ key: "a", status: "done" }, { key: "b", status: "failed" }] }],
      ["agents_wait", { sessions: [{ key: "a", status: "killed" }] }],
    ]) {
      assert.equal(await middleware({ toolName, args: {}, result: result(payload) }), undefined, toolName);
    }
  });

  test("the bridge calling another tool", async () => {
    const payload = { sessions: [{ key: "a", status: "done" }] };
    const envelope = { tool: { id: "openclaw:core:subagents", name: "subagents", source: "openclaw" }, result: result(payload) };
    const out = await plain.createMiddleware("new")({ toolName: "tool_call", args: { id: "subagents" }, result: result(envelope) });
    assert.equal(out, undefined);
  });

  test("other statuses in the same sessions_list result", async () => {
    const payload = {
      status: "done",
      count: 1,
      sessions: [{ key: "a", status: "failed", acp: { state: "error", status: "timeout" }, outcome: { status: "killed" } }],
    };
    const { result: out } = await plain.createMiddleware("new")({ toolName: "sessions_list", args: {}, result: result(payload) });
    const want = structuredClone(payload);
    want.sessions[0].status = "interrupted";
    assert.deepEqual(out.details, want);
    assert.deepEqual(JSON.parse(out.content[0].text), want);
  });

  test("prose and broken results: the gateway's own result, never an error", async () => {
    const middleware = plain.createMiddleware("new");
    const prose = { content: [{ type: "text", text: 'no sessions; "status" unknown' }] };
    assert.equal(await middleware({ toolName: "sessions_list", result: prose }), undefined);
    assert.equal(await middleware({ toolName: "sessions_list", result: null }), undefined);
    const unclonable = { content: [], details: { sessions: [{ status: "failed", f: () => 1 }] } };
    assert.equal(await middleware({ toolName: "sessions_list", result: unclonable }), undefined);
  });
});

describe("versions, as migrator orders them", () => {
  const cases = JSON.parse(process.env.VERSIONS);
  for (const [plugin, key] of [[plain, "new"], [resumable, "resumable"]]) {
    test(`vocabularyFor matches negotiate() (${key})`, () => {
      for (const [version, want] of cases[key]) assert.equal(plugin.vocabularyFor(version), want, String(version));
    });
  }
});

describe("the prompt guidance", () => {
  const system = (name) => frame(name).system_prompt_tooling;

  test("goes right under the tool heading, in the names the agent is shown", () => {
    for (const [plugin, want] of [[plain, "with"], [resumable, "resumable"]]) {
      const { from, to } = plugin.promptTransform(plugin.vocabularyFor(GATEWAY));
      const once = system("without").replace(from, to);
      assert.equal(once, system(want));
      assert.equal(once.replace(from, to), once, "applied twice, added twice");
    }
  });

  test("leaves message texts without the heading line alone", () => {
    const { from, to } = plain.promptTransform("new");
    for (const text of ["check ## Tooling here", frame("without").tool_result, "## Tooling section"]) {
      assert.equal(text.replace(from, to), text);
    }
  });

  test("is the manifest's sentence with the resumable names listed", () => {
    assert.equal(plain.guidanceFor("new"),
      "A session's `status` only describes its last turn; `interrupted`, `waiting_for_response` and " +
      "`agent_responded` sessions can be resumed with `sessions_send`; resume before you spawn.");
    assert.equal(resumable.guidanceFor("old"),
      "A session's `status` only describes its last turn; `failed`, `timeout` and `done` sessions can be " +
      "resumed with `sessions_send`; resume before you spawn.");
  });
});

describe("register", () => {
  function fakeApi(version) {
    const calls = { middleware: [], transforms: [] };
    return {
      calls,
      runtime: { version },
      registerAgentToolResultMiddleware: (handler, options) => calls.middleware.push({ handler, options }),
      registerTextTransforms: (transforms) => calls.transforms.push(transforms),
    };
  }

  test("asks for sessions_list and the Tool Search bridge, on the declared runtime", () => {
    const api = fakeApi(GATEWAY);
    plain.default.register(api);
    assert.deepEqual(api.calls.middleware.map((c) => c.options), [{ runtimes: ["openclaw"], matcher: ["sessions_list", "tool_call"] }]);
    assert.equal(api.calls.transforms.length, 1);
    assert.equal(api.calls.transforms[0].input.length, 1);
    assert.equal(plain.default.id, "migrator-session-status");
  });

  test("--resumable past sunset serves new names: the window is closed", async () => {
    const api = fakeApi("2027.4.0");
    resumable.default.register(api);
    const [{ from, to }] = api.calls.transforms[0].input;
    assert.match("x\n## Tooling\ny".replace(from, to), /`interrupted`, `waiting_for_response` and `agent_responded`/);
    const event = eventFrom("without");
    const { result } = await api.calls.middleware[0].handler(event);
    const row = result.details.result.details.sessions[1];
    assert.deepEqual([row.status, row.resumable], ["interrupted", true]);
  });
});
