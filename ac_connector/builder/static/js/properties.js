// The Properties tab: pick the step's operation, fill the form built from its input schema, run it,
// and see the output, or each error next to its field.

import { api, ApiError } from "./api.js";
import { h, clear } from "./dom.js";
import { SchemaForm } from "./schemaform.js";

export class PropertiesPanel {
  constructor({ tab, manifest, workflow }) {
    this.tab = tab;
    this.workflow = workflow;
    this.operations = manifest.operations;
    this.described = new Map();
    this.picker = tab.querySelector("#operation-select");
    this.description = tab.querySelector("#operation-description");
    this.formSlot = tab.querySelector("#input-form");
    this.runButton = tab.querySelector("#run-step");
    this.errorBox = tab.querySelector("#run-error");
    this.output = tab.querySelector("#run-output");
    this.outputSection = tab.querySelector("#output-section");
    this.form = null;
    this.fillPicker();
    this.picker.addEventListener("change", () => {
      const step = workflow.current;
      if (!step) return;
      workflow.update(step.id, { operation: this.picker.value, input: {}, labels: {}, status: "" }, "operation");
      this.render(workflow.current);
    });
    this.runButton.addEventListener("click", () => this.run());
  }

  fillPicker() {
    const groups = new Map();
    for (const op of this.operations) {
      const group = op.kind === "ddl" ? "Dropdown sources (DDL)" : op.group || "Other";
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(op);
    }
    const names = [...groups.keys()].sort((a, b) => (a.startsWith("Dropdown") ? 1 : 0) - (b.startsWith("Dropdown") ? 1 : 0)
      || a.localeCompare(b));
    clear(this.picker).append(h("option", { value: "" }, "— choose an operation —"),
      ...names.map((g) => h("optgroup", { label: g },
        groups.get(g).sort((a, b) => a.title.localeCompare(b.title)).map((op) => h("option", { value: op.name }, op.title)))));
  }

  title(name) {
    return this.operations.find((o) => o.name === name)?.title || name;
  }

  async describe(name) {
    if (!this.described.has(name)) this.described.set(name, api.describe(name));
    return this.described.get(name);
  }

  async render(step) {
    this.form = null;
    clear(this.formSlot);
    this.clearResult();
    if (!step) return;
    this.picker.value = step.operation || "";
    this.runButton.disabled = !step.operation;
    this.description.textContent = "";
    if (!step.operation) return;
    const operation = step.operation;
    let spec;
    try {
      spec = await this.describe(operation);
    } catch (err) {
      this.showError(err);
      return;
    }
    if (this.workflow.current !== step || step.operation !== operation) return; // the user moved on
    this.description.textContent = spec.description;
    this.form = new SchemaForm({
      operation, schema: spec.input, lookups: spec.lookups, value: step.input, labels: { ...step.labels },
      getAuthentication: () => this.workflow.current?.authentication || "",
      onChange: () => this.workflow.update(step.id, { input: this.form.value(), labels: { ...this.form.labels } }, "input"),
    });
    this.formSlot.append(this.form.element);
    this.formSlot.dataset.operation = operation;
  }

  clearResult() {
    this.errorBox.hidden = true;
    clear(this.errorBox);
    this.output.textContent = "";
    this.outputSection.hidden = true;
    if (this.form) this.form.clearErrors();
  }

  showError(err) {
    const e = err instanceof ApiError ? err.error : { type: "error", message: String(err.message || err) };
    clear(this.errorBox).append(h("div", {},
      h("strong", {}, e.type === "validation" ? "Some fields need attention." : `Error (${e.type})`),
      h("p", {}, e.message),
      e.retryable ? h("p", { class: "muted" }, "This may work if you try again later.") : null));
    this.errorBox.hidden = false;
    this.errorBox.dataset.type = e.type;
  }

  async run() {
    const step = this.workflow.current;
    if (!step || !step.operation || !this.form) return;
    this.clearResult();
    const input = this.form.value();
    this.workflow.update(step.id, { input, labels: { ...this.form.labels } }, "input");
    this.runButton.disabled = true;
    this.runButton.textContent = "Running…";
    const started = performance.now();
    try {
      const body = step.authentication ? { input, authentication: step.authentication } : { input };
      const result = await api.run(step.operation, body);
      this.output.textContent = JSON.stringify(result.output, null, 2);
      this.outputSection.hidden = false;
      this.outputSection.querySelector(".timing").textContent = `Succeeded in ${Math.round(performance.now() - started)} ms`;
      this.workflow.update(step.id, { status: "succeeded" }, "status");
    } catch (err) {
      this.workflow.update(step.id, { status: "failed" }, "status");
      if (err instanceof ApiError && err.fieldErrors.length && this.form) {
        const unplaced = this.form.showErrors(err.fieldErrors);
        this.showError(err);
        if (!unplaced.length) this.errorBox.querySelector("p").textContent = "Fix the highlighted fields and run again.";
      } else if (err instanceof ApiError && err.error.type === "authentication_missing") {
        this.showError(new ApiError(400, { ...err.error, message: "Choose an authentication in the Authenticate tab first." }));
      } else {
        this.showError(err);
      }
    } finally {
      this.runButton.disabled = false;
      this.runButton.textContent = "Run step";
    }
  }
}
