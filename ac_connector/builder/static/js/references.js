// References between steps, as the page sees them: "$.steps.<id>.<path>" or "$.trigger.<path>".
// Only data paths: nothing here (or in the service) ever evaluates a value.
// The picker's choices come from the earlier steps' OUTPUT schemas and the trigger's schema.

const WHOLE = /^\$\.(steps\.[a-z][a-z0-9_]*|trigger)((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)$/;

export function isReference(value) {
  return typeof value === "string" && WHOLE.test(value);
}

// "$.steps.step_1.contact.id" -> {source: "step_1", path: ["contact", "id"]}; trigger: source null.
export function parseReference(ref) {
  const m = WHOLE.exec(ref);
  if (!m) return null;
  const source = m[1] === "trigger" ? null : m[1].slice("steps.".length);
  const path = [...m[2].matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map((p) => (p[1] !== undefined ? p[1] : Number(p[2])));
  return { source, path };
}

export function pathText(path) {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

function typeOf(schema) {
  let t = schema.type;
  if (Array.isArray(t)) {
    const real = t.filter((x) => x !== "null");
    t = real.length === 1 ? real[0] : real.join(" or ");
  }
  if (!t && schema.properties) t = "object";
  if (!t && schema.items) t = "array";
  return t || "any";
}

// A local "$ref": "#/$defs/x" of the schema's root, merged with the keywords beside it.
function resolve(schema, root) {
  if (!schema || typeof schema !== "object" || typeof schema.$ref !== "string" || !schema.$ref.startsWith("#/")) {
    return schema;
  }
  let target = root;
  for (const part of schema.$ref.slice(2).split("/")) target = target && typeof target === "object" ? target[part] : undefined;
  const { $ref, ...beside } = schema;
  void $ref;
  return { ...resolve(target || {}, root), ...beside };
}

// Every field an output schema promises, depth first: objects by property (the alternatives of a oneOf or
// anyOf together), arrays by their first item.
export function fieldsOf(schema, path = [], depth = 0, out = [], root = schema, seen = new Set()) {
  schema = resolve(schema, root);
  if (!schema || typeof schema !== "object" || depth > 6 || out.length > 400) return out;
  const key = path.join(".");
  if (path.length && !seen.has(key)) {
    seen.add(key);
    out.push({ path, type: typeOf(schema), title: schema.title || "" });
  }
  for (const alternative of [...(schema.oneOf || []), ...(schema.anyOf || []), ...(schema.allOf || [])]) {
    fieldsOf(alternative, path, depth, out, alternative && alternative.$defs ? alternative : root, seen);
  }
  const props = schema.properties || {};
  for (const [name, sub] of Object.entries(props)) fieldsOf(sub, [...path, name], depth + 1, out, root, seen);
  if (schema.items && typeof schema.items === "object") fieldsOf(schema.items, [...path, 0], depth + 1, out, root, seen);
  return out;
}

// What the picker offers for the step at `index`: the trigger's fields, then each earlier step's.
export async function referenceChoices(workflow, index, describe) {
  const groups = [];
  const triggerSchema = workflow.triggerSchema ? workflow.triggerSchema() : workflow.trigger?.input_schema;
  const triggerFields = fieldsOf(triggerSchema || {});
  groups.push({
    source: null, title: "Trigger",
    items: [{ ref: "$.trigger", path: [], type: "object", title: "All the trigger's data" },
      ...triggerFields.map((f) => ({ ...f, ref: `$.trigger${pathText(f.path)}` }))],
  });
  for (const step of workflow.steps.slice(0, Math.max(0, index))) {
    const title = stepLabel(workflow, step);
    if (!step.operation) {
      groups.push({ source: step.id, title, items: [], note: "Choose this step's operation first." });
      continue;
    }
    let spec;
    try {
      spec = await describe(step.operation);
    } catch {
      groups.push({ source: step.id, title, items: [], note: "Its output could not be read." });
      continue;
    }
    groups.push({ source: step.id, title,
      items: fieldsOf(spec.output || {}).map((f) => ({ ...f, ref: `$.steps.${step.id}${pathText(f.path)}` })) });
  }
  return groups;
}

export function stepLabel(workflow, step, titleOf = workflow.titleOf) {
  const n = workflow.steps.indexOf(step) + 1;
  const name = step.name || (step.operation && titleOf ? titleOf(step.operation) : "") || step.id;
  return `Step ${n} · ${name}`;
}

// "Step 1 · Create contact › contact › id" for a reference, from the workflow as it is now.
export function describeReference(workflow, ref) {
  const parsed = parseReference(ref);
  if (!parsed) return ref;
  const parts = parsed.path.map((p) => (typeof p === "number" ? `item ${p + 1}` : p));
  if (parsed.source === null) return ["Trigger", ...parts].join(" › ");
  const step = workflow.step(parsed.source);
  const head = step ? stepLabel(workflow, step) : `missing step “${parsed.source}”`;
  return [head, ...parts].join(" › ");
}
