// Workflows saved on the service (GET/PUT/DELETE /api/workflows/{name}): what triggers, the CLI and
// programs run by name. Save stores the workflow on the canvas; Open lists the saved ones in a dialog.

import { api } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { h, clear } from "./dom.js";

export class SavedWorkflows {
  constructor({ workflow, notify, onOpen }) {
    this.workflow = workflow;
    this.notify = notify;
    this.onOpen = onOpen;
  }

  async save() {
    const document = this.workflow.toJSON();
    try {
      const saved = await api.saveWorkflow(document.name, document);
      const problems = saved.check && !saved.check.ok ? saved.check.errors.length : 0;
      this.notify(problems ? `Saved “${document.name}” on the service; ${problems} problem${problems > 1 ? "s" : ""} `
        + "to fix before it can run." : `Saved “${document.name}” on the service.`);
    } catch (err) {
      const first = err.fieldErrors && err.fieldErrors[0];
      this.notify(`Not saved: ${first ? first.message : err.message}`);
    }
  }

  async open(opener) {
    let listed;
    try {
      listed = (await api.savedWorkflows()).workflows;
    } catch (err) {
      this.notify(`The saved workflows cannot be read: ${err.message}`);
      return;
    }
    const dialog = h("dialog", { class: "confirm-dialog", "aria-labelledby": "saved-title" });
    const close = () => { dialog.close(); dialog.remove(); if (opener) opener.focus(); };
    const list = h("ul", { class: "run-list" });
    const draw = () => {
      clear(list);
      if (!listed.length) list.append(h("li", { class: "muted" }, "Nothing saved on this service yet: press Save."));
      for (const item of listed) {
        list.append(h("li", { class: "run-item" },
          h("strong", {}, item.name), h("span", { class: "run-when" }, `${item.steps} step${item.steps === 1 ? "" : "s"}`),
          h("div", { class: "run-actions" },
            h("button", { type: "button", class: "secondary small", "aria-label": `Open ${item.name}`, onclick: async () => {
              close();
              await this.load(item.name);
            } }, "Open"),
            h("button", { type: "button", class: "secondary small", "aria-label": `Delete ${item.name}`, onclick: async () => {
              const ok = await confirmDialog({ title: `Delete “${item.name}” from the service?`,
                message: "Its runs stay in the history. Programs and triggers can no longer run it by name.",
                confirm: "Delete", cancel: "Keep it", danger: true });
              if (!ok) return;
              await api.deleteSavedWorkflow(item.name);
              listed = listed.filter((w) => w.name !== item.name);
              draw();
            } }, "Delete"))));
      }
    };
    draw();
    dialog.append(h("div", { class: "confirm-body" }, h("h2", { id: "saved-title" }, "Workflows saved on the service"), list,
      h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "secondary", onclick: close }, "Close"))));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); close(); });
    document.body.append(dialog);
    dialog.showModal();
    (list.querySelector("button") || dialog.querySelector("button")).focus();
  }

  async load(name) {
    try {
      const saved = await api.savedWorkflow(name);
      this.onOpen(saved.document);
      this.notify(`Opened “${name}” from the service.`);
    } catch (err) {
      this.notify(`Could not open “${name}”: ${err.message}`);
    }
  }
}
