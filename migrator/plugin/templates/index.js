// An OpenClaw plugin written by `migrator plugin` from a rename manifest.
// Write it again with `migrator plugin` instead of editing it: PLAN below is
// the manifest's data, and every decision it holds was made by migrator.
//
// It shows agents what a session status means: the statuses in `sessions_list`
// results reach the model in the vocabulary migrator chose for this gateway's
// version, optionally with `resumable: true` and a note on each resumable row,
// and the agent's prompt gains one line of guidance. Nothing stored changes:
// only what the model is shown.

const PLAN = /* migrator:plan */ null;

// OpenClaw's own shapes, not the rename's. Tool Search (on by default) hides
// `sessions_list` behind its bridge tool `tool_call`, which wraps the result
// as {tool, result} in its details and as JSON text in its content.
const BRIDGE_TOOL = "tool_call";
// The system prompt's tool section heading: the guidance goes right under it.
// Text transforms also run over message texts, so the anchor must be a line
// only the system prompt carries.
const PROMPT_ANCHOR = /^## Tooling$/m;
const TEXT_PARTS = ["content", "*", "text"];
const INDENTED = /^[[{]\r?\n([ \t]+)/;

// --- versions ------------------------------------------------------------

// OpenClaw CalVer, ordered as migrator orders it (PEP 440's reading):
// 2026.4.12-alpha.1 < -beta.1 < -rc.1 < 2026.4.12 < 2026.4.12-1.
const VERSION = /^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(?:(alpha|beta|rc)\.?(\d*)|(\d+)|release\b.*))?$/;
const PRE = { alpha: 0, beta: 1, rc: 2 };

export function parseVersion(text) {
  const m = typeof text === "string" ? VERSION.exec(text.trim()) : null;
  if (!m) return null;
  const base = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  if (m[4]) return [...base, PRE[m[4]], Number(m[5] || 0)];
  if (m[6]) return [...base, 4, Number(m[6])];
  return [...base, 3, 0];
}

export function compareVersions(a, b) {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** The vocabulary the agent is shown on a gateway of this version. */
export function vocabularyFor(version) {
  const parsed = parseVersion(version);
  if (!parsed) return PLAN.unknownVersion;
  let vocabulary = PLAN.unknownVersion;
  for (const step of PLAN.schedule) {
    if (step.from === null || compareVersions(parsed, parseVersion(step.from)) >= 0) vocabulary = step.vocabulary;
  }
  return vocabulary;
}

// --- pointers ------------------------------------------------------------

function tokens(pointer) {
  return pointer.split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

// Yields [parent, key] for every value the pattern names (`*`: any one key).
function* matches(node, pattern, at = 0) {
  if (node === null || typeof node !== "object") return;
  const token = pattern[at];
  const keys = token === "*" ? Object.keys(node) : Object.hasOwn(node, token) ? [token] : [];
  for (const key of keys) {
    if (at === pattern.length - 1) yield [node, key];
    else yield* matches(node[key], pattern, at + 1);
  }
}

// --- rewriting -----------------------------------------------------------

// Rewrites the statuses `patterns` name in `doc`, in place; returns the count
// of values changed or rows annotated.
function rewriteDoc(doc, patterns, vocabulary) {
  const walk = PLAN.walk[vocabulary];
  const resumable = new Set(PLAN.resumable[vocabulary]);
  let changed = 0;
  for (const pattern of patterns) {
    for (const [row, key] of [...matches(doc, pattern)]) {
      const value = row[key];
      if (typeof value !== "string") continue;
      if (Object.hasOwn(walk, value)) {
        row[key] = walk[value];
        changed += 1;
      }
      if (PLAN.annotate && resumable.has(row[key]) && !Object.hasOwn(row, "resumable")) {
        row.resumable = true;
        row.note = PLAN.note;
        changed += 1;
      }
    }
  }
  return changed;
}

// Serialises `doc` the way `original` was written (OpenClaw renders tool
// results with JSON.stringify(value, null, 2)).
function dumpLike(original, doc) {
  const m = INDENTED.exec(original);
  const text = m ? JSON.stringify(doc, null, m[1]) : JSON.stringify(doc);
  return text + original.slice(original.trimEnd().length);
}

// Rewrites the JSON texts of a result's content parts through `edit(doc)`.
function rewriteTexts(result, edit) {
  let changed = 0;
  for (const [part, key] of [...matches(result, TEXT_PARTS)]) {
    const text = part[key];
    if (typeof text !== "string" || !text.includes(JSON.stringify(PLAN.field))) continue;
    let doc;
    try {
      doc = JSON.parse(text);
    } catch {
      continue; // prose, not the JSON rendering of the result
    }
    const count = edit(doc);
    if (count) {
      part[key] = dumpLike(text, doc);
      changed += count;
    }
  }
  return changed;
}

/** Rewrites a `sessions_list` result ({content, details}) in place. */
export function rewriteToolResult(result, vocabulary) {
  const pointers = PLAN.pointers.map(tokens);
  const textPointers = PLAN.textPointers.map(tokens);
  return rewriteDoc(result, pointers, vocabulary) + rewriteTexts(result, (doc) => rewriteDoc(doc, textPointers, vocabulary));
}

function bridged(envelope) {
  return envelope !== null && typeof envelope === "object" && envelope.tool?.name === PLAN.tool && envelope.result;
}

/** Rewrites a Tool Search `tool_call` result in place, when it wraps `sessions_list`. */
export function rewriteBridgeResult(result, vocabulary) {
  let changed = bridged(result.details) ? rewriteToolResult(result.details.result, vocabulary) : 0;
  changed += rewriteTexts(result, (doc) => (bridged(doc) ? rewriteToolResult(doc.result, vocabulary) : 0));
  return changed;
}

/** The middleware handler: a changed copy of the result, or nothing. */
export function createMiddleware(vocabulary) {
  return async (event) => {
    try {
      const rewrite = event.toolName === PLAN.tool ? rewriteToolResult : event.toolName === BRIDGE_TOOL ? rewriteBridgeResult : null;
      if (!rewrite || !event.result) return undefined;
      const copy = structuredClone(event.result);
      return rewrite(copy, vocabulary) ? { result: copy } : undefined;
    } catch {
      // A throwing middleware makes OpenClaw replace the result with an error
      // text: the agent is better served by the gateway's own result.
      return undefined;
    }
  };
}

/** The prompt guidance, in the names the agent is shown. */
export function guidanceFor(vocabulary) {
  const names = PLAN.resumable[vocabulary].map((name) => "`" + name + "`");
  const list = names.length > 1 ? names.slice(0, -1).join(", ") + " and " + names.at(-1) : names.join("");
  return PLAN.guidance.replace("{resumable}", list);
}

/** The text transform that puts the guidance under the anchor, once: a
 * prompt that already carries it right there is left as it is. */
export function promptTransform(vocabulary) {
  const guidance = guidanceFor(vocabulary);
  const escaped = guidance.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    from: new RegExp(PROMPT_ANCHOR.source + "(?!\\n" + escaped + ")", PROMPT_ANCHOR.flags),
    to: "$&\n" + guidance.replace(/\$/g, "$$$$"),
  };
}

export default {
  id: PLAN.id,
  name: PLAN.name,
  description: PLAN.description,
  register(api) {
    const vocabulary = vocabularyFor(api.runtime?.version);
    api.registerAgentToolResultMiddleware(createMiddleware(vocabulary), {
      runtimes: PLAN.runtimes,
      matcher: [PLAN.tool, BRIDGE_TOOL],
    });
    api.registerTextTransforms({ input: [promptTransform(vocabulary)] });
  },
};
