// Check as you type: the workflow is sent to POST /api/workflows/check (the same check the service and
// the CLI run before anything is sent) a moment after each change; its errors are kept per step and per
// field pointer, so the page shows each one on its field and the step cards count them.

import { api } from "./api.js";

const STEP_POINTER = /^\/steps\/(\d+)(\/.*)?$/;

export class Checker extends EventTarget {
  constructor(workflow, delay = 350) {
    super();
    this.workflow = workflow;
    this.delay = delay;
    this.byStep = new Map(); // step id -> [{pointer (inside its input, or "@operation"...), keyword, message, warning}]
    this.general = [];
    this.timer = null;
    this.controller = null;
    this.available = true;
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), this.delay);
  }

  errorsFor(stepId) {
    return this.byStep.get(stepId) || [];
  }

  async check() {
    if (!this.available) return;
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const document = this.workflow.toJSON();
    let verdict;
    try {
      verdict = await api.checkWorkflow(document, controller.signal);
    } catch (err) {
      if (err.name === "AbortError") return;
      if (err.status === 404 || err.status === 405) this.available = false; // a service without workflows
      return;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
    this.byStep = new Map();
    this.general = [];
    const place = (item, warning) => {
      const m = STEP_POINTER.exec(item.pointer || "");
      const step = m ? document.steps[Number(m[1])] : null;
      if (!step) {
        this.general.push({ ...item, warning });
        return;
      }
      const rest = m[2] || "";
      const pointer = rest.startsWith("/input") ? rest.slice("/input".length) : `@${rest.slice(1) || "step"}`;
      if (!this.byStep.has(step.id)) this.byStep.set(step.id, []);
      this.byStep.get(step.id).push({ ...item, pointer, warning });
    };
    for (const e of verdict.errors || []) place(e, false);
    for (const w of verdict.warnings || []) place(typeof w === "string" ? { pointer: "", message: w } : w, true);
    this.dispatchEvent(new CustomEvent("change"));
  }
}
