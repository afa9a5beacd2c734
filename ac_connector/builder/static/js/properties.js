// The Properties tab: name the step, pick its operation, fill the form built from its input schema
// (values, typed ids or fields mapped from earlier steps), run it alone, and see its last output or
// each error next to its field.

import { api, ApiError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { h, clear, focusIfLost } from "./dom.js";
import { describeReference, referenceChoices } from "./references.js";
import { STATUS_ICON, STATUS_TEXT } from "./runs.js";
import { SchemaForm } from "./schemaform.js";

const hasReference = (value) => JSON.stringify(value ?? null).includes("$.steps.")
  || JSON.stringify(value ?? null).includes("$.trigger");

export class PropertiesPanel {
  constructor({ tab, manifest, workflow, runs, checker }) {
    this.tab = tab;
    this.workflow = workflow;
    this.runs = runs;
    this.checker = checker;
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
    this.picker.addEventListener("change", () => this.switchOperation(this.picker.value));
    this.runButton.addEventListener("click", () => this.run());
    runs.addEventListener("change", (e) => {
      const step = workflow.current;
      if (step && (e.detail.kind === "reset" || e.detail.step === step.id)) this.showResult(step);
    });
    checker.addEventListener("change", () => this.showCheck());
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
    if (!this.described.has(name)) {
      const pending = api.describe(name);
      this.described.set(name, pending);
      pending.catch(() => this.described.delete(name));
    }
    return this.described.get(name);
  }

  // Switching the operation keeps the inputs the new operation also has, and asks before dropping the rest.
  async switchOperation(operation) {
    const step = this.workflow.current;
    if (!step) return;
    const turn = (this.switching = (this.switching || 0) + 1); // type-ahead in the picker switches several times
    const before = step.operation;
    let kept = {};
    if (operation && Object.keys(step.input || {}).length) {
      let spec;
      try {
        spec = await this.describe(operation);
      } catch (err) {
        this.showError(err);
        this.picker.value = before;
        return;
      }
      const fits = spec.input.properties || {};
      kept = Object.fromEntries(Object.entries(step.input).filter(([key]) => key in fits));
      const dropped = Object.keys(step.input).filter((key) => !(key in fits));
      if (dropped.length) {
        const ok = await confirmDialog({
          title: `Switch to “${this.title(operation)}”?`,
          message: `${this.title(operation)} has no ${dropped.map((k) => `“${k}”`).join(", ")}: `
            + `${dropped.length === 1 ? "that input is" : "those inputs are"} dropped. The others are kept.`,
          confirm: "Switch and drop", cancel: "Keep the current operation",
        });
        if (!ok) {
          this.picker.value = before;
          focusIfLost(this.picker);
          return;
        }
      }
    }
    const labels = Object.fromEntries(Object.entries(step.labels || {}).filter(([p]) => p.split("/")[1] in kept));
    this.workflow.update(step.id, { operation, input: kept, labels }, "operation");
    this.runs.results.delete(step.id);
    await this.render(this.workflow.current);
    if (turn === this.switching) focusIfLost(this.picker);
  }

  async render(step) {
    this.form = null;
    clear(this.formSlot);
    this.clearResult();
    if (!step) return;
    this.picker.value = step.operation || "";
    this.runButton.disabled = !step.operation;
    this.description.textContent = "";
    this.showResult(step);
    this.showCheck();
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
    const form = new SchemaForm({
      operation, schema: spec.input, lookups: spec.lookups, value: step.input, labels: { ...step.labels },
      getAuthentication: () => this.workflow.current?.authentication || "",
      customField: (id) => this.customField(id),
      references: {
        choices: () => referenceChoices(this.workflow, this.workflow.steps.indexOf(step), (op) => this.describe(op)),
        describe: (ref) => describeReference(this.workflow, ref),
      },
      // A form being thrown away (another step or operation) may still fire a change: it is not this step's anymore.
      onChange: () => {
        if (this.form === form) this.workflow.update(step.id, { input: form.value(), labels: { ...form.labels } }, "input");
      },
    });
    this.form = form;
    this.formSlot.append(this.form.element);
    this.formSlot.dataset.operation = operation;
    this.showCheck();
  }

  // A contact custom field's type and options, read once per authentication with list_custom_fields.
  customField(id) {
    const authentication = this.workflow.current?.authentication;
    if (!authentication) return Promise.resolve(null);
    if (!this.customFields || this.customFields.authentication !== authentication) {
      const loading = api.run("list_custom_fields", { input: { return_all: true }, authentication }).then(({ output }) => {
        const byId = new Map(output.fields.map((f) => [String(f.id), { title: f.title, type: f.type, options: [] }]));
        for (const o of output.fieldOptions || []) byId.get(String(o.field))?.options.push({ value: o.value, label: o.label });
        return byId;
      });
      loading.catch(() => { this.customFields = null; });
      this.customFields = { authentication, loading };
    }
    return this.customFields.loading.then((byId) => byId.get(String(id)) || null);
  }

  // The check's errors for this step, on their fields (and cleared as soon as they are fixed).
  showCheck() {
    const step = this.workflow.current;
    const problems = document.querySelector("#step-problems");
    const general = step ? this.checker.errorsFor(step.id).filter((e) => e.pointer.startsWith("@")) : [];
    const words = { "@operation": "Operation", "@authentication": "Authentication", "@id": "Step id", "@name": "Step name" };
    const plain = (e) => (e.pointer === "@operation" && !step.operation ? "Choose an operation in the Properties tab"
      : `${words[e.pointer] || "This step"}: ${e.message}`);
    // Rewritten only when the problems changed: an unchanged list is not announced or laid out again.
    const said = JSON.stringify(general.map((e) => [e.warning, plain(e)]));
    if (problems.dataset.said !== said) {
      problems.dataset.said = said;
      problems.replaceChildren(...general.map((e) => h("li", { class: e.warning ? "warned" : "error" },
        h("span", { "aria-hidden": "true" }, "⚠ "), plain(e))));
    }
    problems.hidden = !general.length;
    if (!step || !this.form) return;
    const items = this.checker.errorsFor(step.id).filter((e) => !e.pointer.startsWith("@"));
    this.form.showErrors(items, { scroll: false });
  }

  showResult(step) {
    const result = step ? this.runs.result(step.id) : null;
    this.errorBox.hidden = true;
    clear(this.errorBox);
    const pending = result && (result.status === "running" || result.status === "pending");
    this.outputSection.hidden = !result || (!pending && (result.output === undefined || result.output === null));
    if (!result) return;
    const status = this.outputSection.querySelector(".timing");
    status.dataset.status = result.status;
    status.textContent = `${STATUS_ICON[result.status] || ""} ${STATUS_TEXT[result.status] || result.status}`
      + (result.duration_ms !== undefined && result.duration_ms !== null ? ` in ${Math.round(result.duration_ms)} ms` : "");
    this.output.textContent = result.output !== undefined && result.output !== null
      ? JSON.stringify(result.output, null, 2)
      : result.status === "running" || result.status === "pending" ? "…" : "(no output)";
    if (result.error) this.showError(new ApiError(0, result.error));
  }

  refreshReferences() {
    if (this.form) this.form.refreshReferences();
  }

  clearResult() {
    this.errorBox.hidden = true;
    clear(this.errorBox);
    this.output.textContent = "";
    this.outputSection.hidden = true;
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
    this.form.clearErrors();
    const input = this.form.value();
    this.workflow.update(step.id, { input, labels: { ...this.form.labels } }, "input");
    if (hasReference(input)) {
      this.showError(new ApiError(0, { type: "mapped", message:
        "This step maps fields from earlier steps, which have values only while the workflow runs: use Run workflow." }));
      return;
    }
    this.runButton.disabled = true;
    this.runButton.textContent = "Running…";
    const started = performance.now();
    try {
      const body = step.authentication ? { input, authentication: step.authentication } : { input };
      const result = await api.run(step.operation, body);
      this.runs.setStepResult(step.id, { status: "succeeded", output: result.output,
        duration_ms: performance.now() - started });
    } catch (err) {
      this.runs.setStepResult(step.id, { status: "failed" });
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
      focusIfLost(this.runButton); // disabling it during the run dropped the focus
    }
  }
}
