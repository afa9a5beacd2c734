// A searchable dropdown filled by a DDL operation through POST /api/operations/{op}/options.
// It loads one page at a time, loads more as the list is scrolled to its end (next_offset),
// searches on the server as the user types, and is reset when a field it depends on changes.

import { api } from "./api.js";
import { h, clear, uid, debounce } from "./dom.js";

export class LookupDropdown {
  constructor({ operation, field, labelId, getForm, getAuthentication, onChange, value, text, pattern, dependsOn }) {
    this.pattern = pattern ? new RegExp(pattern, "u") : /^\S+$/u; // what a typed id must look like
    this.dependsOn = dependsOn || []; // [{name, title}]: fields of the form this list needs first
    this.operation = operation; // the operation whose form holds the field
    this.field = field; // lookup pointer, "-" for array items
    this.getForm = getForm;
    this.getAuthentication = getAuthentication;
    this.onChange = onChange || (() => {});
    this.value = value === undefined || value === null ? "" : String(value);
    this.text = text || this.value;
    this.items = [];
    this.nextOffset = null;
    this.loaded = false;
    this.loading = null;
    this.generation = 0;
    this.active = -1;
    const listId = uid("lookup-list");

    const toggleId = uid("lookup-toggle");
    this.toggle = h("button", {
      type: "button", class: "lookup-toggle", id: toggleId, "aria-haspopup": "listbox", "aria-expanded": "false",
      "aria-labelledby": `${labelId} ${toggleId}`, // the field's label, then the chosen value
      onclick: () => (this.isOpen ? this.close() : this.open()),
    });
    this.search = h("input", {
      type: "search", class: "lookup-search", placeholder: "Search…", "aria-label": "Search choices",
      "aria-controls": listId, autocomplete: "off",
      oninput: debounce(() => this.reload(), 250),
      onkeydown: (e) => this.onKey(e),
    });
    this.list = h("ul", { class: "lookup-options", role: "listbox", id: listId, tabindex: "-1", "aria-labelledby": labelId });
    this.list.addEventListener("scroll", () => this.onScroll());
    this.status = h("div", { class: "lookup-status", "aria-live": "polite" });
    this.panel = h("div", { class: "lookup-panel", hidden: true }, this.search, this.list, this.status);
    this.clearButton = h("button", { type: "button", class: "lookup-clear", title: "Clear", "aria-label": "Clear",
      onclick: () => this.select("", "") }, "×");
    this.element = h("div", { class: "lookup" }, h("div", { class: "lookup-row" }, this.toggle, this.clearButton), this.panel);
    this.onOutside = (e) => { if (!this.element.contains(e.target)) this.close(); };
    this.renderToggle();
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  renderToggle() {
    this.toggle.textContent = this.value ? this.text || this.value : "Choose…";
    this.toggle.classList.toggle("placeholder", !this.value);
    this.clearButton.hidden = !this.value;
    this.element.dataset.value = this.value;
  }

  open() {
    this.panel.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    document.addEventListener("mousedown", this.onOutside);
    this.search.focus();
    if (!this.loaded) this.reload();
  }

  close() {
    this.panel.hidden = true;
    this.toggle.setAttribute("aria-expanded", "false");
    document.removeEventListener("mousedown", this.onOutside);
  }

  // Another account was chosen: the loaded choices are stale, the value is kept.
  invalidate() {
    this.generation += 1;
    this.loaded = false;
    this.items = [];
    this.nextOffset = null;
    clear(this.list);
    this.status.textContent = "";
    if (this.isOpen) this.reload();
  }

  // A field this one depends on changed: its choices and its value are no longer valid.
  reset() {
    this.generation += 1;
    this.loaded = false;
    this.items = [];
    this.nextOffset = null;
    clear(this.list);
    this.status.textContent = "";
    delete this.element.dataset.count;
    if (this.value) {
      this.value = "";
      this.text = "";
      this.renderToggle();
      this.onChange("", "");
    }
    if (this.isOpen) this.reload();
  }

  reload() {
    this.generation += 1;
    this.items = [];
    this.nextOffset = null;
    this.active = -1;
    clear(this.list);
    return this.load(0);
  }

  async load(offset) {
    const authentication = this.getAuthentication();
    if (!authentication) {
      this.status.textContent = "Choose an authentication first (Authenticate tab).";
      return;
    }
    const form = this.getForm() || {};
    const missing = this.dependsOn.find((d) => form[d.name] === undefined || form[d.name] === "");
    if (missing) {
      this.status.textContent = `Choose a ${missing.title.toLowerCase()} first.`;
      return;
    }
    const mapped = this.dependsOn.find((d) => typeof form[d.name] === "string" && form[d.name].startsWith("$."));
    if (mapped) {
      this.status.textContent = `${mapped.title} comes from an earlier step, so its choices are known only when the `
        + "workflow runs: type an id, or map this field too.";
      this.offerTyped();
      return;
    }
    const generation = this.generation;
    this.element.classList.add("loading");
    this.status.textContent = "Loading…";
    const body = { field: this.field, form: this.getForm(), authentication, search: this.search.value.trim() || null,
      offset: offset || null };
    const pending = api.options(this.operation, body);
    this.loading = pending;
    try {
      const page = await pending;
      if (generation !== this.generation) return; // a newer search or reset won
      this.loaded = true;
      this.nextOffset = page.next_offset ?? null;
      if (!offset) this.offerTyped();
      for (const item of page.result) this.addItem(item);
      this.status.textContent = this.items.length ? (this.nextOffset !== null ? "Scroll for more" : "")
        : "No choices found";
      this.element.dataset.count = String(this.items.length);
    } catch (err) {
      if (generation === this.generation) this.status.textContent = `Could not load the choices: ${err.message}`;
    } finally {
      if (this.loading === pending) this.loading = null;
      this.element.classList.remove("loading");
      if (generation === this.generation && this.isOpen) this.onScroll(); // a short list may need the next page
    }
  }

  // A typed id is a choice too: "Use the id 1234" when the search looks like an id of this field.
  offerTyped() {
    const term = this.search.value.trim();
    if (!term || !this.pattern.test(term) || this.list.querySelector(".typed")) return;
    this.addItem({ value: term, text: term }, `Use the id “${term}”`);
    this.list.lastElementChild.classList.add("typed");
  }

  addItem(item, shown) {
    const index = this.items.length;
    this.items.push(item);
    const li = h("li", {
      role: "option", class: "lookup-option", id: `${this.list.id}-${index}`, "aria-selected": String(this.isChosen(item.value)),
      dataset: { value: item.value }, onmousedown: (e) => e.preventDefault(),
      onclick: () => this.select(item.value, item.text),
    }, shown || item.text || item.value);
    this.list.append(li);
  }

  onScroll() {
    if (this.loading || this.nextOffset === null || !this.loaded) return;
    const { scrollTop, clientHeight, scrollHeight } = this.list;
    if (scrollTop + clientHeight >= scrollHeight - 40) this.load(this.nextOffset);
  }

  onKey(e) {
    const options = this.list.children;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!options.length) return;
      this.active = Math.max(0, Math.min(options.length - 1, this.active + (e.key === "ArrowDown" ? 1 : -1)));
      for (const li of options) li.classList.remove("active");
      options[this.active].classList.add("active");
      options[this.active].scrollIntoView({ block: "nearest" });
      this.search.setAttribute("aria-activedescendant", options[this.active].id);
    } else if (e.key === "Enter") {
      e.preventDefault();
      const item = this.items[this.active];
      if (item) this.select(item.value, item.text);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.close();
      this.toggle.focus();
    } else if (e.key === "Tab") {
      this.close(); // focus moves on to the next control as usual
    }
  }

  isChosen(value) {
    return value === this.value;
  }

  select(value, text, { silent = false } = {}) {
    const changed = value !== this.value;
    this.value = value;
    this.text = text;
    for (const li of this.list.children) li.setAttribute("aria-selected", String(li.dataset.value === value));
    this.renderToggle();
    const wasOpen = this.isOpen;
    this.close();
    if (wasOpen && !silent) this.toggle.focus(); // after a choice, focus is back on the field
    if (changed && !silent) this.onChange(value, text);
  }
}

// One dropdown for a list of ids: each pick adds or removes an id, the list stays open for the next one,
// and the button says what is chosen ("3 chosen: Sales, Support, …").
export class MultiLookupDropdown extends LookupDropdown {
  constructor(options) {
    super({ ...options, value: "", text: "" });
    this.values = (Array.isArray(options.value) ? options.value : []).map(String);
    this.texts = { ...(options.texts || {}) };
    this.list.setAttribute("aria-multiselectable", "true");
    this.clearButton.onclick = null;
    this.clearButton.replaceWith(this.clearButton = h("button", { type: "button", class: "lookup-clear", title: "Clear",
      "aria-label": "Clear", onclick: () => this.setValues([], {}) }, "×"));
    this.renderToggle();
  }

  isChosen(value) {
    return Boolean(this.values && this.values.includes(value));
  }

  renderToggle() {
    if (!this.values) return super.renderToggle();
    const names = this.values.map((v) => this.texts[v] || v);
    this.toggle.textContent = names.length ? `${names.length} chosen: ${names.join(", ")}` : "Choose…";
    this.toggle.classList.toggle("placeholder", !names.length);
    this.clearButton.hidden = !names.length;
    this.element.dataset.value = this.values.join(",");
  }

  setValues(values, texts, { silent = false } = {}) {
    this.values = values.map(String);
    this.texts = texts;
    for (const li of this.list.children) li.setAttribute("aria-selected", String(this.isChosen(li.dataset.value)));
    this.renderToggle();
    if (!silent) this.onChange(this.values, this.texts);
  }

  select(value, text) {
    if (value === "") return this.setValues([], {});
    const values = this.isChosen(value) ? this.values.filter((v) => v !== value) : [...this.values, value];
    const texts = { ...this.texts, [value]: text };
    this.setValues(values, texts);
  }
}
