// The workflow being built: ordered steps, each an operation with an authentication name and an input.
// It is what Save writes and Load reads; it never holds a key (authentications are referred to by name).

export const FORMAT = "ac-connector-workflow";
const STORAGE_KEY = "ac-connector-builder:workflow";

let nextId = 1;
const newId = () => `step-${Date.now().toString(36)}-${(nextId++).toString(36)}`;

export class Workflow extends EventTarget {
  constructor() {
    super();
    this.name = "Untitled workflow";
    this.steps = [];
    this.selected = null;
    this.defaultAuthentication = () => "";
  }

  emit(kind) {
    this.dispatchEvent(new CustomEvent("change", { detail: { kind } }));
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(this.toJSON()));
    } catch {
      /* private mode or full storage: saving to a file still works */
    }
  }

  get current() {
    return this.steps.find((s) => s.id === this.selected) || null;
  }

  add(connector, index = this.steps.length) {
    const step = { id: newId(), connector, operation: "", authentication: this.defaultAuthentication(), input: {},
      labels: {} };
    this.steps.splice(Math.max(0, Math.min(index, this.steps.length)), 0, step);
    this.selected = step.id;
    this.emit("steps");
    return step;
  }

  remove(id) {
    const index = this.steps.findIndex((s) => s.id === id);
    if (index < 0) return;
    this.steps.splice(index, 1);
    if (this.selected === id) this.selected = this.steps[Math.min(index, this.steps.length - 1)]?.id ?? null;
    this.emit("steps");
  }

  moveTo(id, index) {
    const from = this.steps.findIndex((s) => s.id === id);
    if (from < 0) return;
    const [step] = this.steps.splice(from, 1);
    this.steps.splice(Math.max(0, Math.min(index, this.steps.length)), 0, step);
    this.emit("steps");
  }

  move(id, delta) {
    const from = this.steps.findIndex((s) => s.id === id);
    if (from < 0) return;
    this.moveTo(id, from + delta);
  }

  select(id) {
    this.selected = id;
    this.emit("selection");
  }

  update(id, patch, kind = "step") {
    const step = this.steps.find((s) => s.id === id);
    if (!step) return;
    Object.assign(step, patch);
    this.emit(kind);
  }

  toJSON() {
    return {
      format: FORMAT, version: 1, name: this.name,
      steps: this.steps.map(({ id, connector, operation, authentication, input, labels }) =>
        ({ id, connector, operation, authentication, input, labels })),
    };
  }

  load(data) {
    if (!data || data.format !== FORMAT || !Array.isArray(data.steps)) {
      throw new Error("This file is not a workflow saved by this builder.");
    }
    this.name = typeof data.name === "string" && data.name ? data.name : "Untitled workflow";
    this.steps = data.steps.map((s) => ({
      id: typeof s.id === "string" && s.id ? s.id : newId(),
      connector: String(s.connector || "activecampaign"),
      operation: typeof s.operation === "string" ? s.operation : "",
      authentication: typeof s.authentication === "string" ? s.authentication : "",
      input: s.input && typeof s.input === "object" && !Array.isArray(s.input) ? s.input : {},
      labels: s.labels && typeof s.labels === "object" ? s.labels : {},
    }));
    this.selected = this.steps[0]?.id ?? null;
    this.emit("load");
  }

  restore() {
    try {
      const saved = localStorage.getItem(STORAGE_KEY);
      if (saved) this.load(JSON.parse(saved));
    } catch {
      /* an unreadable autosave is ignored */
    }
  }
}
