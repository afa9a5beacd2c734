// The "Map from an earlier step" picker: a searchable list of the trigger's and earlier steps' output
// fields, grouped by source. Keyboard: type to filter, arrows to move, Enter to pick, Escape or Tab to close
// (focus returns to the button that opened it).

import { h, clear, uid } from "./dom.js";

export class ReferencePicker {
  constructor({ groups, hint, onPick, returnFocus }) {
    this.onPick = onPick;
    this.returnFocus = returnFocus;
    this.active = -1;
    const listId = uid("refs");
    this.search = h("input", { type: "search", class: "ref-search", placeholder: "Search fields…",
      "aria-label": "Search the fields of earlier steps", "aria-controls": listId, autocomplete: "off",
      role: "combobox", "aria-expanded": "true", "aria-autocomplete": "list",
      oninput: () => this.draw(), onkeydown: (e) => this.onKey(e) });
    this.list = h("ul", { class: "ref-options", role: "listbox", id: listId, "aria-label": "Fields of earlier steps" });
    this.groups = groups;
    this.element = h("div", { class: "ref-panel", role: "dialog", "aria-label": "Map a field from an earlier step" },
      h("p", { class: "ref-hint" }, hint), this.search, this.list);
    this.onOutside = (e) => { if (!this.element.contains(e.target)) this.close(false); };
    this.draw();
  }

  open(container) {
    container.append(this.element);
    document.addEventListener("mousedown", this.onOutside);
    this.search.focus();
  }

  close(refocus = true) {
    document.removeEventListener("mousedown", this.onOutside);
    this.element.remove();
    if (refocus && this.returnFocus) this.returnFocus.focus();
  }

  draw() {
    const term = this.search.value.trim().toLowerCase();
    clear(this.list);
    this.options = [];
    this.active = -1;
    this.search.removeAttribute("aria-activedescendant");
    for (const group of this.groups) {
      const items = group.items.filter((it) => !term
        || `${group.title} ${it.path.join(" ")} ${it.title}`.toLowerCase().includes(term));
      if (!items.length && (term || !group.note)) continue;
      const groupId = uid("refgroup");
      const ul = h("ul", { role: "group", "aria-labelledby": groupId, class: "ref-group" });
      this.list.append(h("li", { role: "presentation" },
        h("div", { class: "ref-group-title", id: groupId }, group.title), ul));
      if (!items.length) ul.append(h("li", { role: "presentation", class: "muted ref-note" }, group.note));
      for (const item of items) {
        const label = item.path.length ? item.path.map((p) => (typeof p === "number" ? "first item" : p)).join(" › ")
          : item.title;
        const li = h("li", { role: "option", class: "ref-option", id: uid("ref"), "aria-selected": "false",
          dataset: { ref: item.ref }, onmousedown: (e) => e.preventDefault(), onclick: () => this.pick(item.ref) },
        h("span", { class: "ref-path" }, h("span", { class: "visually-hidden" }, `${group.title} › `), label),
        h("span", { class: "ref-type" }, item.title && item.path.length ? `${item.title} · ${item.type}` : item.type));
        ul.append(li);
        this.options.push(li);
      }
    }
    if (!this.options.length && term) this.list.append(h("li", { role: "presentation", class: "muted ref-note" }, "No field matches."));
  }

  onKey(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!this.options.length) return;
      this.active = Math.max(0, Math.min(this.options.length - 1, this.active + (e.key === "ArrowDown" ? 1 : -1)));
      this.options.forEach((li, i) => {
        li.classList.toggle("active", i === this.active);
        li.setAttribute("aria-selected", String(i === this.active));
      });
      this.options[this.active].scrollIntoView({ block: "nearest" });
      this.search.setAttribute("aria-activedescendant", this.options[this.active].id);
    } else if (e.key === "Enter") {
      e.preventDefault();
      const li = this.options[this.active] || (this.options.length === 1 ? this.options[0] : null);
      if (li) this.pick(li.dataset.ref);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    } else if (e.key === "Tab") {
      this.close(false);
    }
  }

  pick(ref) {
    this.close();
    this.onPick(ref);
  }
}
