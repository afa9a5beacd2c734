// Running the whole workflow through the service, and the runs it keeps.
// Each step's status and output arrive as NDJSON events and are kept per step id, so they stay when
// another step is selected; the last run's id is remembered, so a reload shows it again from the run store.

import { api, ApiError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { h, clear } from "./dom.js";

export const STATUS_TEXT = {
  pending: "Pending", running: "Running", succeeded: "Succeeded", failed: "Failed",
  outcome_unknown: "Outcome unknown", skipped: "Reused from the earlier run",
};
export const STATUS_ICON = { pending: "○", running: "◌", succeeded: "✓", failed: "✕", outcome_unknown: "?", skipped: "↻" };

function stepIdOf(record) {
  return record.step ?? record.step_id ?? record.id;
}

export class Runs extends EventTarget {
  constructor(workflow) {
    super();
    this.workflow = workflow;
    this.results = new Map(); // step id -> {status, output, error, duration_ms}
    this.run = null; // {id, status}
    this.busy = false;
  }

  emit(kind, detail = {}) {
    this.dispatchEvent(new CustomEvent("change", { detail: { kind, ...detail } }));
  }

  result(stepId) {
    return this.results.get(stepId) || null;
  }

  // A single "Run step" result is shown like a run's.
  setStepResult(stepId, result) {
    this.results.set(stepId, result);
    this.emit("step", { step: stepId });
  }

  onEvent(event) {
    if (event.event === "run_started") {
      this.run = { id: event.run_id, status: "running" };
      this.workflow.lastRunId = event.run_id;
      this.workflow.persist();
      this.emit("run");
    } else if (event.event === "step_started") {
      this.results.set(event.step, { status: "running" });
      this.emit("step", { step: event.step });
    } else if (event.event === "step_finished") {
      this.results.set(event.step, { status: event.status, output: event.output, error: event.error,
        duration_ms: event.duration_ms });
      this.emit("step", { step: event.step });
    } else if (event.event === "run_finished") {
      this.run = { ...(this.run || { id: event.run_id }), status: event.status };
      this.emit("run");
    }
  }

  async start(streamer) {
    if (this.busy) return;
    this.busy = true;
    this.emit("busy");
    try {
      await streamer((event) => this.onEvent(event));
    } finally {
      this.busy = false;
      this.emit("busy");
      this.emit("history");
    }
  }

  runAll(trigger = {}) {
    this.results.clear();
    for (const step of this.workflow.steps) this.results.set(step.id, { status: "pending" });
    this.run = null;
    this.emit("reset");
    return this.start((onEvent) => api.runWorkflow(this.workflow.toJSON(), trigger, onEvent));
  }

  resume(runId, retryUnknown = false) {
    return this.start((onEvent) => api.resumeRun(runId, retryUnknown, onEvent));
  }

  // Shows a recorded run: its statuses and outputs, per step id.
  async show(runId) {
    const record = await api.getRun(runId);
    this.results.clear();
    for (const step of record.steps || []) {
      this.results.set(stepIdOf(step), { status: step.status, output: step.output, error: step.error,
        duration_ms: step.duration_ms });
    }
    this.run = { id: record.id || runId, status: record.status };
    this.emit("reset");
    this.emit("run");
    return record;
  }
}

// The run history panel: past runs of this workflow, newest first; open one, resume a failed one.
export class RunHistory {
  constructor({ container, runs, workflow, open, notify }) {
    this.container = container;
    this.list = container.querySelector("#run-list");
    this.runs = runs;
    this.workflow = workflow;
    this.open = open;
    this.notify = notify;
    container.querySelector("#refresh-runs").addEventListener("click", () => this.refresh());
    runs.addEventListener("change", (e) => { if (e.detail.kind === "history") this.refresh(); });
  }

  async refresh() {
    let data;
    try {
      data = await api.runs(this.workflow.name, 20);
    } catch (err) {
      clear(this.list).append(h("li", { class: "muted" }, err instanceof ApiError ? err.message : String(err)));
      return;
    }
    clear(this.list);
    if (!data.runs.length) this.list.append(h("li", { class: "muted" }, "No runs yet: press Run workflow."));
    for (const run of data.runs) {
      const when = run.started_at ? new Date(run.started_at).toLocaleString() : "";
      const resumable = (run.status === "failed" || run.status === "outcome_unknown" || run.interrupted) && !run.resumed_by;
      const current = this.runs.run && this.runs.run.id === run.id;
      this.list.append(h("li", { class: `run-item ${run.status}${current ? " current" : ""}`, dataset: { runId: run.id } },
        h("span", { class: `status-badge ${run.status}` },
          h("span", { "aria-hidden": "true" }, STATUS_ICON[run.status] || "•"), ` ${STATUS_TEXT[run.status] || run.status}`),
        h("span", { class: "run-when" }, when, run.resumed_by ? " · resumed" : "", run.resumed_from ? " · a resume" : ""),
        h("div", { class: "run-actions" },
          h("button", { type: "button", class: "secondary small", "aria-label": `Open the run of ${when}`,
            onclick: () => this.open(run.id) }, "Open"),
          resumable ? h("button", { type: "button", class: "secondary small", "aria-label": `Resume the run of ${when}`,
            disabled: this.runs.busy, onclick: () => this.resume(run) }, "Resume") : null)));
    }
  }

  // A step whose outcome is unknown may have happened in the account: it is sent again only when the person
  // says so, after being told to check first.
  async resume(run) {
    try {
      await this.open(run.id);
      let retryUnknown = false;
      if (run.status === "outcome_unknown") {
        const step = this.workflow.step(run.stopped_at);
        const name = step ? step.name || this.workflow.titleOf?.(step.operation) || step.id : run.stopped_at;
        retryUnknown = await confirmDialog({
          title: "Send the unknown step again?",
          message: `The run stopped because nobody knows whether “${name}” happened in ActiveCampaign (the answer `
            + "was lost). Check the account first: sending it again may do it twice.",
          confirm: "Send it again", cancel: "Not now",
        });
        if (!retryUnknown) return;
      }
      await this.runs.resume(run.id, retryUnknown);
      this.notify(`Run resumed: ${STATUS_TEXT[this.runs.run?.status] || this.runs.run?.status}.`);
    } catch (err) {
      this.notify(`Could not resume the run: ${err.message}`);
    }
  }
}
