// The workflow being built: the workflow document the service runs (version 1: a name, a trigger and
// ordered steps, each with a stable id, a human name, an operation, an authentication NAME and an input).
// Save writes exactly that document; the page's own extras (dropdown labels, the last run) stay in
// localStorage. It never holds a key.

const STORAGE_KEY = "ac-connector-builder:workflow";
const STEP_ID = /^[a-z][a-z0-9_]{0,62}$/;

export class Workflow extends EventTarget {
  constructor() {
    super();
    this.name = "Untitled workflow";
    this.trigger = { type: "manual" };
    this.steps = [];
    this.selected = null;
    this.lastRunId = null;
    this.defaultAuthentication = () => "";
  }

  emit(kind, extra = {}) {
    this.dispatchEvent(new CustomEvent("change", { detail: { kind, ...extra } }));
    this.persist();
  }

  persist() {
    try {
      const labels = Object.fromEntries(this.steps.map((s) => [s.id, s.labels || {}]));
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ document: this.toJSON(), labels, lastRunId: this.lastRunId }));
    } catch {
      /* private mode or full storage: saving to a file still works */
    }
  }

  get current() {
    return this.steps.find((s) => s.id === this.selected) || null;
  }

  step(id) {
    return this.steps.find((s) => s.id === id) || null;
  }

  indexOf(id) {
    return this.steps.findIndex((s) => s.id === id);
  }

  // Ids are step_1, step_2, ...: never reused while the step exists, unchanged by renames and moves,
  // so references ($.steps.step_1...) keep pointing at the same step.
  newId() {
    const taken = new Set(this.steps.map((s) => s.id));
    let n = this.steps.length + 1;
    while (taken.has(`step_${n}`)) n += 1;
    return `step_${n}`;
  }

  add(connector, index = this.steps.length) {
    const step = { id: this.newId(), name: "", connector, operation: "", authentication: this.defaultAuthentication(),
      input: {}, labels: {} };
    this.insert(step, index);
    return step;
  }

  insert(step, index) {
    this.steps.splice(Math.max(0, Math.min(index, this.steps.length)), 0, step);
    this.selected = step.id;
    this.emit("steps");
  }

  remove(id) {
    const index = this.indexOf(id);
    if (index < 0) return null;
    const [step] = this.steps.splice(index, 1);
    if (this.selected === id) this.selected = this.steps[Math.min(index, this.steps.length - 1)]?.id ?? null;
    this.emit("steps");
    return { step, index };
  }

  moveTo(id, index) {
    const from = this.indexOf(id);
    if (from < 0) return;
    const [step] = this.steps.splice(from, 1);
    this.steps.splice(Math.max(0, Math.min(index, this.steps.length)), 0, step);
    this.emit("steps");
  }

  move(id, delta) {
    const from = this.indexOf(id);
    if (from < 0) return;
    this.moveTo(id, from + delta);
  }

  select(id) {
    this.selected = id;
    this.emit("selection");
  }

  update(id, patch, kind = "step") {
    const step = this.step(id);
    if (!step) return;
    Object.assign(step, patch);
    this.emit(kind, { step: id });
  }

  toJSON() {
    return {
      version: 1, name: this.name, trigger: this.trigger,
      steps: this.steps.map(({ id, name, operation, authentication, input }) => {
        const out = { id, name: name || id, operation };
        if (authentication) out.authentication = authentication;
        out.input = input || {};
        return out;
      }),
    };
  }

  // Reads a workflow document (or a file saved by the builder before workflows had a version).
  load(data, labels = {}) {
    if (!data || typeof data !== "object" || !Array.isArray(data.steps)) {
      throw new Error("This file is not a workflow document (it has no steps).");
    }
    this.name = typeof data.name === "string" && data.name ? data.name : "Untitled workflow";
    this.trigger = data.trigger && typeof data.trigger === "object" ? data.trigger : { type: "manual" };
    this.steps = [];
    for (const s of data.steps) {
      const id = typeof s.id === "string" && STEP_ID.test(s.id) && !this.step(s.id) ? s.id : this.newId();
      const name = typeof s.name === "string" ? s.name : "";
      this.steps.push({
        id, name: name === id ? "" : name,
        connector: String(s.connector || "activecampaign"),
        operation: typeof s.operation === "string" ? s.operation : "",
        authentication: typeof s.authentication === "string" ? s.authentication : "",
        input: s.input && typeof s.input === "object" && !Array.isArray(s.input) ? s.input : {},
        labels: (labels[s.id] || s.labels) && typeof (labels[s.id] || s.labels) === "object" ? (labels[s.id] || s.labels) : {},
      });
    }
    this.selected = this.steps[0]?.id ?? null;
    this.emit("load");
  }

  restore() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (!saved) return;
      if (saved.document) {
        this.lastRunId = saved.lastRunId || null;
        this.load(saved.document, saved.labels || {});
      } else {
        this.load(saved);
      }
    } catch {
      /* an unreadable autosave is ignored */
    }
  }
}
