// A confirmation asked in the page's own words (a modal <dialog>, keyboard-friendly: focus starts on the
// safe choice, Escape cancels), and the toast that offers to undo what was just done.

import { h } from "./dom.js";

export function confirmDialog({ title, message, confirm = "OK", cancel = "Cancel", danger = false }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = `confirm-title-${Date.now()}`;
    const dialog = h("dialog", { class: "confirm-dialog", "aria-labelledby": titleId });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    };
    const no = h("button", { type: "button", class: "secondary", onclick: () => done(false) }, cancel);
    const yes = h("button", { type: "button", class: danger ? "danger" : "primary", onclick: () => done(true) }, confirm);
    dialog.append(h("div", { class: "confirm-body" }, h("h2", { id: titleId }, title), h("p", {}, message),
      h("div", { class: "dialog-actions" }, no, yes)));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

let current = null;

// A short message at the bottom of the page, with an optional action (e.g. Undo), gone after a while.
export function toast(message, action = null, ms = 8000) {
  if (current) current.remove();
  const box = h("div", { class: "toast", role: "status" }, h("span", {}, message),
    action ? h("button", { type: "button", class: "link toast-action", onclick: () => { box.remove(); action.run(); } },
      action.label) : null);
  document.body.append(box);
  current = box;
  setTimeout(() => { if (box.isConnected) box.remove(); }, ms);
  return box;
}
