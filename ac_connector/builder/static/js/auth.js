// The Authenticate tab: choose an authentication for the step, test it, add one in a two-page dialog
// (name and type; then URL and API key), edit it (name, type, URL, the key entered again) or delete it.
// Keys are sent, never shown again. Each test result belongs to the authentication it tested.

import { api, ApiError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { h, clear, uid } from "./dom.js";

const LAST_USED = "ac-connector-builder:last-authentication";

export class AuthPanel {
  constructor({ tab, dialog, manifest, workflow, service }) {
    this.service = service || {};
    this.tab = tab;
    this.dialog = dialog;
    this.manifest = manifest;
    this.workflow = workflow;
    this.authentications = [];
    this.select = tab.querySelector("#auth-select");
    this.result = tab.querySelector("#auth-test-result");
    this.select.addEventListener("change", () => {
      const step = workflow.current;
      if (step) workflow.update(step.id, { authentication: this.select.value }, "authentication");
      this.remember(this.select.value);
      this.showVerdict();
      this.renderActions();
    });
    this.verdicts = new Map(); // authentication name -> {node, at}
    tab.querySelector("#add-auth").addEventListener("click", () => this.openDialog());
    tab.querySelector("#test-auth").addEventListener("click", () => this.test());
    this.editButton = tab.querySelector("#edit-auth");
    this.deleteButton = tab.querySelector("#delete-auth");
    this.editButton.addEventListener("click", () => this.openDialog(this.chosen()));
    this.deleteButton.addEventListener("click", () => this.remove());
    this.buildDialog();
  }

  // The authentication last chosen is what a new step starts with.
  remember(name) {
    try {
      if (name) localStorage.setItem(LAST_USED, name);
    } catch {
      /* no storage: new steps start without one */
    }
  }

  lastUsed() {
    let name = null;
    try {
      name = localStorage.getItem(LAST_USED);
    } catch {
      name = null;
    }
    return name && this.authentications.some((a) => a.name === name) ? name : "";
  }

  async refresh() {
    this.authentications = await api.authentications();
    this.render(this.workflow.current);
    return this.authentications;
  }

  render(step) {
    const chosen = step ? step.authentication : "";
    clear(this.select).append(h("option", { value: "" }, "— choose an authentication —"),
      ...this.authentications.map((a) => h("option", { value: a.name },
        `${a.name}${a.sandbox ? " (local sandbox)" : ` (${a.type === "organisational" ? "Organisational" : "Personal"})`}`)));
    if (chosen && !this.authentications.some((a) => a.name === chosen)) {
      this.select.append(h("option", { value: chosen }, `${chosen} (not found)`));
    }
    this.select.value = chosen || "";
    this.showVerdict();
    this.renderActions();
  }

  chosen() {
    return this.authentications.find((a) => a.name === this.select.value) || null;
  }

  // Edit and Delete apply to stored authentications; the offered sandbox is neither editable nor removable.
  renderActions() {
    const auth = this.chosen();
    const editable = Boolean(auth && !auth.sandbox);
    this.editButton.hidden = !editable;
    this.deleteButton.hidden = !editable;
    if (editable) {
      this.editButton.setAttribute("aria-label", `Edit ${auth.name}`);
      this.deleteButton.setAttribute("aria-label", `Delete ${auth.name}`);
    }
  }

  // The last test result shown is the one of the authentication chosen now, with when it was taken.
  showVerdict() {
    const verdict = this.verdicts.get(this.select.value);
    this.result.replaceChildren(...(verdict ? [verdict.node, h("p", { class: "muted" },
      `Tested “${this.select.value}” at ${verdict.at.toLocaleTimeString()}.`)] : []));
  }

  async test() {
    const name = this.select.value;
    this.result.replaceChildren();
    if (!name) {
      this.result.append(h("p", { class: "error" }, "Choose an authentication to test."));
      return;
    }
    this.result.append(h("p", { class: "muted" }, `Testing “${name}”…`));
    let node;
    try {
      const verdict = await api.testAuthentication(name);
      node = verdict.ok
        ? h("p", { class: "ok" }, h("span", { "aria-hidden": "true" }, "✓ "),
          `Works: signed in as ${verdict.user.username || verdict.user.email || "a user"} at ${verdict.url}.`)
        : h("p", { class: "error" }, h("span", { "aria-hidden": "true" }, "✕ "), verdict.error.advice || verdict.error.message);
    } catch (err) {
      node = h("p", { class: "error" }, h("span", { "aria-hidden": "true" }, "✕ "), err.message);
    }
    this.verdicts.set(name, { node, at: new Date() });
    if (this.select.value === name) this.showVerdict();
  }

  async remove() {
    const auth = this.chosen();
    if (!auth || auth.sandbox) return;
    const using = this.workflow.steps.filter((s) => s.authentication === auth.name).length;
    const ok = await confirmDialog({
      title: `Delete “${auth.name}”?`,
      message: `Its URL and key are forgotten by this service.${using ? ` ${using} step${using > 1 ? "s" : ""} of this `
        + "workflow use it and will need another authentication." : ""} This cannot be undone.`,
      confirm: "Delete", cancel: "Keep it", danger: true,
    });
    if (!ok) return;
    try {
      await api.removeAuthentication(auth.name);
      this.verdicts.delete(auth.name);
      await this.refresh();
      this.result.replaceChildren(h("p", { class: "muted" }, `Deleted “${auth.name}”.`));
    } catch (err) {
      this.result.replaceChildren(h("p", { class: "error" }, err.message));
    }
    this.select.focus();
  }

  buildDialog() {
    const auth = this.manifest.authentication;
    const fields = auth.fields.properties || {};
    const required = new Set(auth.fields.required || []);
    const field = (pointer, labelText, control, help) => h("div", { class: "field", dataset: { pointer } },
      h("label", { class: "field-label", for: control.id }, labelText,
        h("span", { class: "required", "aria-hidden": "true" }, " *")),
      control, help ? h("p", { class: "field-description" }, help) : null,
      h("p", { class: "field-error", hidden: true }));

    this.nameInput = h("input", { id: uid("auth"), name: "name", type: "text", maxlength: 100, autocomplete: "off",
      placeholder: "e.g. Marketing account" });
    this.typeInputs = auth.types.map((t, i) => h("input", { type: "radio", name: "auth-type", value: t.value,
      id: `auth-type-${t.value}`, checked: i === 0 }));
    const typeLabel = uid("auth-type-label");
    const typeField = h("div", { class: "field", dataset: { pointer: "/type" } },
      h("span", { class: "field-label", id: typeLabel }, "Type"),
      h("div", { class: "radios", role: "radiogroup", "aria-labelledby": typeLabel, "aria-describedby": "auth-type-help" },
        auth.types.map((t, i) => h("label", { class: "radio" }, this.typeInputs[i], ` ${t.title}`))),
      h("p", { class: "field-description", id: "auth-type-help" }, "A label for you and your team: Personal for "
        + "an account of your own, Organisational for one your team shares. This service does not keep them apart: "
        + "everyone who can open this page can use every authentication stored here (never see its key)."),
      h("p", { class: "field-error", hidden: true }));
    this.pageOne = h("section", { class: "dialog-page", dataset: { page: "1" } },
      field("/name", "Authentication name", this.nameInput, "A name to recognise this account by."), typeField);

    this.fieldInputs = {};
    const pageTwoFields = Object.entries(fields).map(([key, schema]) => {
      const input = h("input", { id: uid("auth"), name: key, type: schema.writeOnly ? "password" : "text",
        autocomplete: schema.writeOnly ? "new-password" : "off", spellcheck: "false", maxlength: schema.maxLength ?? null,
        "aria-required": required.has(key) ? "true" : null });
      this.fieldInputs[key] = input;
      return field(`/${key}`, schema.title || key, input, schema.description);
    });
    this.pageTwo = h("section", { class: "dialog-page", dataset: { page: "2" }, hidden: true },
      auth.help ? h("p", { class: "help" }, auth.help) : null, pageTwoFields);
    this.dialogError = h("p", { class: "error", role: "alert", hidden: true });

    this.back = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => this.page(1) }, "Back");
    this.next = h("button", { type: "button", class: "primary", onclick: () => this.goNext() }, "Next");
    this.create = h("button", { type: "button", class: "primary", hidden: true, onclick: () => this.submit() },
      "Create authentication");
    this.heading = h("h2", {}, `New ${this.manifest.title} authentication`);
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => this.dialog.close() }, "Cancel");
    clear(this.dialog).append(h("form", { method: "dialog", class: "auth-form", onsubmit: (e) => e.preventDefault() },
      this.heading,
      this.pageOne, this.pageTwo, this.dialogError,
      h("div", { class: "dialog-actions" }, cancel, this.back, this.next, this.create)));
  }

  // Without an authentication: add one. With one: edit it (its key is never shown; leave it empty to keep it).
  openDialog(editing = null) {
    this.editing = editing;
    this.nameInput.value = editing ? editing.name : "";
    for (const [key, input] of Object.entries(this.fieldInputs)) {
      const secret = input.type === "password";
      input.value = editing && !secret ? editing[key] || "" : "";
      input.placeholder = editing && secret ? "Leave empty to keep the stored key" : "";
      input.setAttribute("aria-required", editing && secret ? "false" : "true");
    }
    this.typeInputs.forEach((r, i) => { r.checked = editing ? r.value === editing.type : i === 0; });
    this.heading.textContent = editing ? `Edit “${editing.name}”` : `New ${this.manifest.title} authentication`;
    this.dialog.setAttribute("aria-label", editing ? `Edit authentication ${editing.name}` : "Add new authentication");
    this.create.textContent = editing ? "Save changes" : "Create authentication";
    this.clearErrors();
    this.page(1);
    this.dialog.showModal();
    this.nameInput.focus();
  }

  page(n) {
    this.pageOne.hidden = n !== 1;
    this.pageTwo.hidden = n !== 2;
    this.back.hidden = n !== 2;
    this.next.hidden = n !== 1;
    this.create.hidden = n !== 2;
    const first = n === 1 ? this.nameInput : Object.values(this.fieldInputs)[0];
    if (first) first.focus();
  }

  goNext() {
    this.clearErrors();
    if (!this.nameInput.value.trim()) {
      this.showErrors([{ pointer: "/name", message: "Give the authentication a name." }]);
      return;
    }
    this.page(2);
  }

  clearErrors() {
    for (const el of this.dialog.querySelectorAll(".field-error")) { el.textContent = ""; el.hidden = true; }
    for (const el of this.dialog.querySelectorAll(".field.invalid")) el.classList.remove("invalid");
    this.dialogError.hidden = true;
  }

  showErrors(errors) {
    let page = 2;
    for (const err of errors) {
      const el = this.dialog.querySelector(`.field[data-pointer="${CSS.escape(err.pointer || "")}"]`);
      if (!el) {
        this.dialogError.textContent = err.message;
        this.dialogError.hidden = false;
        continue;
      }
      el.classList.add("invalid");
      const slot = el.querySelector(".field-error");
      slot.textContent = err.message;
      slot.hidden = false;
      if (this.pageOne.contains(el)) page = 1;
    }
    this.page(page);
  }

  async submit() {
    this.clearErrors();
    const type = this.typeInputs.find((r) => r.checked)?.value || "personal";
    const body = { name: this.nameInput.value.trim(), type };
    for (const [key, input] of Object.entries(this.fieldInputs)) body[key] = input.value.trim();
    const editing = this.editing;
    if (editing) { // only what changed; an empty key field keeps the stored key
      for (const key of Object.keys(body)) {
        if (body[key] === "" || body[key] === editing[key]) delete body[key];
      }
    }
    this.create.disabled = true;
    try {
      const stored = editing ? await api.editAuthentication(editing.name, body) : await api.addAuthentication(body);
      if (editing && stored.name !== editing.name) {
        for (const s of this.workflow.steps) if (s.authentication === editing.name) s.authentication = stored.name;
        this.verdicts.delete(editing.name);
        this.workflow.emit("steps");
      }
      if (editing) this.verdicts.delete(stored.name); // the old verdict no longer says anything about it
      for (const input of Object.values(this.fieldInputs)) input.value = ""; // do not keep the key in the page
      this.dialog.close();
      await this.refresh();
      const step = this.workflow.current;
      if (step && !editing) this.workflow.update(step.id, { authentication: stored.name }, "authentication");
      this.select.value = step ? step.authentication : stored.name;
      this.renderActions();
      this.showVerdict();
      this.remember(stored.name);
      (editing ? this.editButton : this.select).focus();
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length) this.showErrors(err.fieldErrors);
      else if (err instanceof ApiError && err.error.type === "conflict") this.showErrors([{ pointer: "/name", message: err.message }]);
      else this.showErrors([{ pointer: "", message: err.message }]);
    } finally {
      this.create.disabled = false;
    }
  }
}
