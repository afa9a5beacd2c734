// Widgets for data that plain inputs fit badly: a date and time with its time zone, names and values as
// rows, a JSON editor that says where the JSON breaks, and a custom field's value by the field's type.

import { h, uid } from "./dom.js";
import { humanize, wrap } from "./fieldkit.js";

// A date and time picker in the browser's time zone, stated beside it; the value is ISO 8601 with the
// offset that zone has on that day (2026-03-14T15:00:00-05:00), as the API wants.
export class DateTimeField {
  constructor(schema, ctx, pointer, name, required, value) {
    const id = uid("f");
    const zoneId = uid("zone");
    this.type = "string";
    this.input = h("input", { id, name: pointer, type: "datetime-local", step: "1",
      "aria-required": required ? "true" : null, "aria-describedby": zoneId });
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
    this.zoneNote = h("p", { class: "field-zone", id: zoneId }, `Time zone: ${zone} (UTC${offsetText(new Date())})`);
    this.set(value);
    const control = h("div", { class: "datetime" }, this.input, this.zoneNote);
    this.element = wrap({ pointer, name, schema, required, control, controlId: id, hint: "date and time" });
  }
  get() {
    const raw = this.input.value;
    if (!raw) return undefined;
    const when = new Date(raw);
    if (Number.isNaN(when.getTime())) return raw;
    const full = raw.length === 16 ? `${raw}:00` : raw.slice(0, 19);
    return `${full}${offsetText(when)}`;
  }
  set(value) {
    if (value === undefined || value === null || value === "") {
      this.input.value = "";
      return;
    }
    const when = new Date(String(value));
    if (Number.isNaN(when.getTime())) return;
    const pad = (n) => String(n).padStart(2, "0");
    this.input.value = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}T`
      + `${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
  }
}

function offsetText(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

// Names and values as rows (query parameters, headers): an object whose keys the user chooses.
export class KeyValueField {
  constructor(schema, ctx, pointer, name, required, value) {
    this.pointer = pointer;
    this.rows = h("div", { class: "kv-rows" });
    const title = schema.title || humanize(name);
    this.addButton = h("button", { type: "button", class: "add-item", onclick: () => {
      const row = this.addRow("", "");
      row.querySelector("input").focus();
      this.rows.dispatchEvent(new Event("change", { bubbles: true }));
    } }, "+ Add a row");
    this.title = title;
    for (const [k, v] of Object.entries(value && typeof value === "object" ? value : {})) {
      this.addRow(k, typeof v === "string" ? v : JSON.stringify(v));
    }
    this.element = wrap({ pointer, name, schema, required, control: h("div", { class: "kv" }, this.rows, this.addButton),
      hint: "names and values" });
  }
  addRow(key, text) {
    const n = this.rows.childElementCount + 1;
    const row = h("div", { class: "kv-row" },
      h("input", { type: "text", class: "kv-key", value: key, "aria-label": `${this.title}: name ${n}`, autocomplete: "off" }),
      h("input", { type: "text", class: "kv-value", value: text, "aria-label": `${this.title}: value ${n}`, autocomplete: "off" }),
      h("button", { type: "button", class: "remove-item", "aria-label": `Remove row ${n} of ${this.title}`, onclick: () => {
        row.remove();
        this.rows.dispatchEvent(new Event("change", { bubbles: true }));
      } }, "Remove"));
    this.rows.append(row);
    return row;
  }
  get() {
    const out = {};
    for (const row of this.rows.children) {
      const key = row.querySelector(".kv-key").value.trim();
      const raw = row.querySelector(".kv-value").value;
      if (!key) continue;
      let value = raw;
      if (/^\s*\[/.test(raw)) {
        try {
          value = JSON.parse(raw); // a list repeats the parameter
        } catch {
          value = raw;
        }
      }
      out[key] = value;
    }
    return Object.keys(out).length ? out : undefined;
  }
  set(value) {
    this.rows.replaceChildren();
    for (const [k, v] of Object.entries(value && typeof value === "object" ? value : {})) {
      this.addRow(k, typeof v === "string" ? v : JSON.stringify(v));
    }
  }
}

export class JsonField {
  constructor(schema, ctx, pointer, name, required, value) {
    const id = uid("f");
    this.input = h("textarea", { id, name: pointer, rows: 3, class: "json", spellcheck: "false",
      placeholder: "JSON", "aria-required": required ? "true" : null });
    this.set(value);
    this.note = h("p", { class: "json-note", "aria-live": "polite" });
    this.input.addEventListener("input", () => this.checkSyntax());
    this.element = wrap({ pointer, name, schema, required, control: h("div", { class: "json-editor" }, this.input, this.note),
      controlId: id, hint: "JSON" });
  }
  // The JSON is read as it is typed: where it breaks is said at once, before any run.
  checkSyntax() {
    const raw = this.input.value.trim();
    let problem = "";
    if (raw) {
      try {
        JSON.parse(raw);
      } catch (err) {
        problem = `Not valid JSON yet: ${String(err.message).replace(/^JSON\.parse: /, "")}`;
      }
    }
    this.note.textContent = problem;
    this.note.classList.toggle("error", Boolean(problem));
    if (problem) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
  }
  get() {
    const raw = this.input.value.trim();
    if (!raw) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  set(value) {
    this.input.value = value === undefined ? "" : JSON.stringify(value, null, 2);
  }
}

const CUSTOM_TYPE_WORDS = { dropdown: "one option", radio: "one option", checkbox: "several options",
  listbox: "several options", date: "a date", datetime: "a date and time", number: "a number" };

export function customValueControl(info, value) {
  const label = `Value of ${info.title} (${CUSTOM_TYPE_WORDS[info.type] || "text"})`;
  const one = typeof value === "string" ? value : Array.isArray(value) ? value[0] : undefined;
  if (info.type === "dropdown" || info.type === "radio") {
    const select = h("select", { "aria-label": label }, h("option", { value: "" }, "— choose —"),
      info.options.map((o) => h("option", { value: o.value }, o.label || o.value)));
    select.value = one ?? "";
    return { element: h("div", { class: "custom-value" }, select), get: () => select.value || undefined };
  }
  if (info.type === "checkbox" || info.type === "listbox") {
    const chosen = new Set(Array.isArray(value) ? value : value ? [value] : []);
    const boxes = info.options.map((o) => h("input", { type: "checkbox", value: o.value, checked: chosen.has(o.value) }));
    const group = h("div", { class: "checks", role: "group", "aria-label": label },
      info.options.map((o, i) => h("label", { class: "radio" }, boxes[i], ` ${o.label || o.value}`)));
    return { element: h("div", { class: "custom-value" }, group), get: () => {
      const values = boxes.filter((b) => b.checked).map((b) => b.value);
      return values.length ? values : undefined;
    } };
  }
  if (info.type === "datetime") {
    const field = new DateTimeField({ title: label }, null, "", "", false, one);
    field.input.setAttribute("aria-label", label);
    return { element: h("div", { class: "custom-value" }, field.input, field.zoneNote), get: () => field.get() };
  }
  const kind = info.type === "date" ? "date" : info.type === "number" ? "number" : "text";
  const input = info.type === "textarea" ? h("textarea", { rows: 3, "aria-label": label })
    : h("input", { type: kind, step: kind === "number" ? "any" : null, "aria-label": label, autocomplete: "off" });
  input.value = one ?? "";
  return { element: h("div", { class: "custom-value" }, input), get: () => (input.value === "" ? undefined : input.value) };
}

