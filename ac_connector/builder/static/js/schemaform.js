// A form built from an operation's input schema (JSON Schema 2020-12 plus `advanced` and lookups).
// Every field's wrapper carries data-pointer (its JSON pointer) so errors land next to their field.

import { h, uid } from "./dom.js";
import { LookupDropdown, MultiLookupDropdown } from "./dropdown.js";
import { choicesOf, humanize, patternOf, typeHint, typeOf, wrap } from "./fieldkit.js";
import { Mappable } from "./mappable.js";
import { isReference } from "./references.js";
import { DateTimeField, JsonField, KeyValueField, customValueControl } from "./widgets.js";

export { patternOf };

class ScalarField {
  constructor(schema, ctx, pointer, name, required, value) {
    const type = typeOf(schema);
    this.type = type;
    const id = uid("f");
    const attrs = { id, name: pointer, "aria-required": required ? "true" : null, placeholder:
      schema.default !== undefined ? String(schema.default) : (schema.examples ? String(schema.examples[0]) : null) };
    if (type === "integer" || type === "number") {
      this.input = h("input", { ...attrs, type: "number", step: type === "integer" ? "1" : "any",
        min: schema.minimum ?? null, max: schema.maximum ?? null });
    } else if ((schema.maxLength || 0) > 1024 || ["html", "textarea"].includes(schema.format)) {
      this.input = h("textarea", { ...attrs, rows: 4 });
    } else {
      const kind = schema.writeOnly ? "password" : schema.format === "date" ? "date" : "text";
      this.input = h("input", { ...attrs, type: kind, inputmode: schema.format === "email" ? "email" : null,
        maxlength: schema.maxLength ?? null, autocomplete: "off" });
    }
    this.set(value);
    this.element = wrap({ pointer, name, schema, required, control: this.input, controlId: id, hint: typeHint(schema) });
  }
  get() {
    const raw = this.input.value;
    if (raw === "") return undefined;
    if (this.type === "integer" || this.type === "number") {
      const n = Number(raw);
      return Number.isFinite(n) ? n : raw;
    }
    return raw;
  }
  set(value) {
    this.input.value = value === undefined || value === null ? "" : String(value);
  }
}

class BooleanField {
  constructor(schema, ctx, pointer, name, required, value) {
    const id = uid("f");
    this.fallback = schema.default ?? false;
    this.input = h("input", { id, type: "checkbox", name: pointer });
    this.set(value);
    const control = h("div", { class: "checkbox" }, this.input);
    this.element = wrap({ pointer, name, schema, required, control, controlId: id, hint: "" });
  }
  get() {
    return this.input.checked === this.fallback ? undefined : this.input.checked;
  }
  set(value) {
    this.input.checked = value === undefined || value === null ? Boolean(this.fallback) : Boolean(value);
  }
}

class EnumField {
  constructor(schema, ctx, pointer, name, required, value, choices) {
    const id = uid("f");
    this.choices = choices;
    this.select = h("select", { id, name: pointer, "aria-required": required ? "true" : null },
      h("option", { value: "" }, "— choose —"),
      choices.map((c, i) => h("option", { value: String(i) }, c.title)));
    this.set(value === undefined ? schema.default : value);
    this.element = wrap({ pointer, name, schema, required, control: this.select, controlId: id, hint: "choice" });
  }
  get() {
    return this.select.value === "" ? undefined : this.choices[Number(this.select.value)].value;
  }
  set(value) {
    const i = this.choices.findIndex((c) => JSON.stringify(c.value) === JSON.stringify(value));
    this.select.value = i >= 0 ? String(i) : "";
  }
}

class LookupField {
  constructor(schema, ctx, pointer, name, required, value, lookup) {
    const labelId = uid("label");
    this.lookup = lookup;
    this.pointer = pointer;
    const rootProps = ctx.schema.properties || {};
    this.dropdown = new LookupDropdown({
      operation: ctx.operation, field: lookup.field, labelId, pattern: schema.pattern,
      dependsOn: lookup.depends_on.map((name) => ({ name, title: rootProps[name]?.title || humanize(name) })),
      getForm: () => ctx.root.get(), getAuthentication: ctx.getAuthentication,
      value, text: ctx.labels[pointer],
      onChange: (v, text) => {
        if (v) ctx.labels[pointer] = text;
        else delete ctx.labels[pointer];
        this.dropdown.element.dispatchEvent(new Event("change", { bubbles: true }));
      },
    });
    ctx.lookupFields.push(this);
    this.element = wrap({ pointer, name, schema, required, control: this.dropdown.element, labelId, hint: "choice" });
    this.element.classList.add("has-lookup");
    this.element.dataset.lookup = lookup.operation;
  }
  get() {
    return this.dropdown.value === "" ? undefined : this.dropdown.value;
  }
  set(value) {
    this.dropdown.select(value ?? "", value ?? "", { silent: true });
  }
}

// A list of ids with a lookup per item: one multi-select dropdown instead of one dropdown per item.
class MultiLookupField {
  constructor(schema, ctx, pointer, name, required, value, lookup) {
    const labelId = uid("label");
    this.pointer = pointer;
    this.lookup = lookup;
    const saved = ctx.labels[pointer];
    this.dropdown = new MultiLookupDropdown({
      operation: ctx.operation, field: lookup.field, labelId, pattern: schema.items?.pattern,
      getForm: () => ctx.root.get(), getAuthentication: ctx.getAuthentication, value,
      texts: saved && typeof saved === "object" ? saved : {},
      onChange: (values, texts) => {
        if (values.length) ctx.labels[pointer] = Object.fromEntries(values.map((v) => [v, texts[v] || v]));
        else delete ctx.labels[pointer];
        this.dropdown.element.dispatchEvent(new Event("change", { bubbles: true }));
      },
    });
    ctx.lookupFields.push(this);
    this.element = wrap({ pointer, name, schema, required, control: this.dropdown.element, labelId, hint: "choices" });
    this.element.classList.add("has-lookup");
  }
  get() {
    return this.dropdown.values.length ? [...this.dropdown.values] : undefined;
  }
  set(value) {
    this.dropdown.setValues(Array.isArray(value) ? value : [], {}, { silent: true });
  }
}

class UnionField {
  constructor(schema, ctx, pointer, name, required, value) {
    this.ctx = ctx;
    this.pointer = pointer;
    this.variants = schema.oneOf || schema.anyOf;
    const id = uid("f");
    this.picker = h("select", { id, class: "variant", "aria-label": `${schema.title || humanize(name)}: kind` },
      this.variants.map((v, i) => h("option", { value: String(i) }, v.title || typeHint(v) || `Option ${i + 1}`)));
    this.slot = h("div", { class: "variant-slot" });
    this.picker.addEventListener("change", () => this.show(Number(this.picker.value), undefined));
    const index = Math.max(0, this.variants.findIndex((v) => matches(v, value)));
    this.picker.value = String(index);
    this.show(index, value);
    this.element = wrap({ pointer, name, schema, required, control: h("div", { class: "union" }, this.picker, this.slot),
      controlId: id, hint: "" });
  }
  show(index, value) {
    const variant = { ...this.variants[index], title: this.variants[index].title || "Value" };
    this.current = makeField(variant, this.ctx, this.pointer, "", false, value, { bare: true });
    delete this.current.element.dataset.pointer; // errors for this pointer go to the union's own wrapper
    this.slot.replaceChildren(this.current.element);
  }
  get() {
    return this.current.get();
  }

  // A custom field's value takes the widget of the field's type (text, number, date, one option, several).
  adapt(info) {
    const value = this.get();
    if (!info) {
      if (!this.adapted) return;
      this.adapted = null;
      this.picker.hidden = false;
      const index = Math.max(0, this.variants.findIndex((v) => matches(v, value)));
      this.picker.value = String(index);
      this.show(index, value);
      return;
    }
    this.picker.hidden = true;
    this.adapted = info;
    this.current = customValueControl(info, value);
    this.slot.replaceChildren(this.current.element);
  }
}

function matches(schema, value) {
  if (value === undefined) return false;
  const t = typeOf(schema);
  if (t === "array") return Array.isArray(value);
  if (t === "object") return value !== null && typeof value === "object" && !Array.isArray(value);
  if (t === "integer" || t === "number") return typeof value === "number";
  if (t === "boolean") return typeof value === "boolean";
  return typeof value === "string";
}

class ArrayField {
  constructor(schema, ctx, pointer, name, required, value) {
    this.schema = schema;
    this.items = schema.items || {};
    this.ctx = ctx;
    this.pointer = pointer;
    this.rows = [];
    this.list = h("div", { class: "array-items" });
    const itemTitle = this.items.title || "item";
    this.addButton = h("button", { type: "button", class: "add-item", onclick: () => {
      this.add(undefined);
      this.list.dispatchEvent(new Event("change", { bubbles: true }));
    } }, `+ Add ${itemTitle.toLowerCase()}`);
    for (const item of Array.isArray(value) ? value : []) this.add(item);
    const control = h("div", { class: "array" }, this.list, this.addButton);
    this.element = wrap({ pointer, name, schema, required, control, hint: "list" });
  }
  add(value) {
    const index = this.rows.length;
    const itemPointer = `${this.pointer}/${index}`;
    const itemSchema = { ...this.items, title: `${this.items.title || "Item"} ${index + 1}` };
    const ctrl = makeField(itemSchema, this.ctx, itemPointer, String(index), false, value);
    const remove = h("button", { type: "button", class: "remove-item", "aria-label": `Remove item ${index + 1}`,
      onclick: () => this.remove(index) }, "Remove");
    const row = h("div", { class: "array-item", dataset: { index: String(index) } }, ctrl.element, remove);
    this.rows.push({ ctrl, row });
    this.list.append(row);
  }
  remove(index) {
    const values = this.rows.map((r) => r.ctrl.get());
    values.splice(index, 1);
    this.ctx.lookupFields = this.ctx.lookupFields.filter((f) => !f.pointer.startsWith(`${this.pointer}/`));
    this.rows = [];
    this.list.replaceChildren();
    for (const v of values) this.add(v);
    this.list.dispatchEvent(new Event("change", { bubbles: true }));
  }
  get() {
    const values = this.rows.map((r) => r.ctrl.get()).filter((v) => v !== undefined);
    return values.length ? values : undefined;
  }
}

class ObjectField {
  constructor(schema, ctx, pointer, name, required, value, { root = false } = {}) {
    this.fields = [];
    const props = schema.properties || {};
    const requiredSet = new Set(schema.required || []);
    const basic = h("div", { class: "object-fields" });
    const advanced = h("div", { class: "object-fields" });
    for (const [key, sub] of Object.entries(props)) {
      const child = makeField(sub || {}, ctx, `${pointer}/${key}`, key, requiredSet.has(key), value ? value[key] : undefined);
      this.fields.push([key, child]);
      (sub && sub.advanced ? advanced : basic).append(child.element);
    }
    const parts = [basic];
    if (advanced.childElementCount) {
      parts.push(h("details", { class: "advanced" }, h("summary", {}, `Advanced (${advanced.childElementCount})`), advanced));
    }
    if (root) {
      this.element = h("div", { class: "form-root", dataset: { pointer: "" } }, parts);
    } else {
      this.element = wrap({ pointer, name, schema, required, control: h("div", { class: "group" }, parts), hint: "" });
      this.element.classList.add("object");
    }
    this.root = root;
    this.schema = schema;
    this.adaptCustomValue(ctx);
    this.baseRequired = requiredSet;
    this.hidden = new Set();
    if (schema.if || schema.dependentRequired) {
      ctx.conditionals.push(this);
      this.applyConditions();
    }
  }

  // {field, value} of a contact's custom field: the value's widget follows the chosen field's type.
  adaptCustomValue(ctx) {
    const bare = (child) => (child && child.field ? child.field : child);
    const picker = this.fields.find(([, c]) => bare(c)?.lookup?.operation === "list_custom_fields_ddl");
    const value = bare(this.fields.find(([k]) => k === "value")?.[1]);
    if (!picker || !(value instanceof UnionField) || !ctx.customField) return;
    const adapt = async () => {
      const id = picker[1].get();
      if (!id || isReference(id)) {
        value.adapt(null);
        return;
      }
      let info = null;
      try {
        info = await ctx.customField(String(id));
      } catch {
        info = null; // not loadable now: the generic value field stays
      }
      if (picker[1].get() === id) value.adapt(info);
    };
    picker[1].element.addEventListener("change", adapt);
    adapt();
  }

  // The schema's own if/then/else and dependentRequired decide which fields apply now: a field the active
  // branch forbids (`not: {}`) is hidden and left out; the required marks follow the branch.
  applyConditions() {
    const value = this.collect();
    const required = new Set(this.baseRequired);
    const hidden = new Set();
    if (this.schema.if) {
      const branch = satisfies(this.schema.if, value) ? this.schema.then : this.schema.else;
      for (const name of branch?.required || []) required.add(name);
      for (const [name, sub] of Object.entries(branch?.properties || {})) {
        if (sub && typeof sub === "object" && sub.not && Object.keys(sub.not).length === 0) hidden.add(name);
      }
    }
    for (const [name, needs] of Object.entries(this.schema.dependentRequired || {})) {
      if (value[name] !== undefined) for (const other of needs) required.add(other);
    }
    this.hidden = hidden;
    for (const [key, child] of this.fields) {
      child.element.hidden = hidden.has(key);
      const head = child.element.querySelector(":scope > .field-head .field-label");
      let mark = head && head.querySelector(".required");
      if (required.has(key) && head && !mark) {
        mark = h("span", { class: "required", title: "required", "aria-hidden": "true" }, " *");
        head.append(mark);
      } else if (!required.has(key) && mark) {
        mark.remove();
      }
      for (const control of child.element.querySelectorAll(":scope > input, :scope > select, :scope > textarea")) {
        control.setAttribute("aria-required", required.has(key) ? "true" : "false");
      }
    }
  }

  collect() {
    const out = {};
    for (const [key, child] of this.fields) {
      const v = child.get();
      if (v !== undefined) out[key] = v;
    }
    return out;
  }

  get() {
    const out = {};
    for (const [key, child] of this.fields) {
      if (this.hidden.has(key)) continue;
      const v = child.get();
      if (v !== undefined) out[key] = v;
    }
    return this.root || Object.keys(out).length ? out : undefined;
  }
}

// Enough of JSON Schema to decide an `if`: const, enum, type of properties, and required.
function satisfies(schema, value) {
  if (!schema || typeof schema !== "object") return schema !== false;
  if (Array.isArray(schema.required) && !schema.required.every((k) => value && value[k] !== undefined)) return false;
  for (const [key, sub] of Object.entries(schema.properties || {})) {
    if (!value || value[key] === undefined || !sub || typeof sub !== "object") continue;
    if ("const" in sub && JSON.stringify(sub.const) !== JSON.stringify(value[key])) return false;
    if (Array.isArray(sub.enum) && !sub.enum.some((e) => JSON.stringify(e) === JSON.stringify(value[key]))) return false;
  }
  return true;
}

// The controls a field's error describes: its own inputs, not those of nested fields.
function controlsOf(field) {
  return [...field.querySelectorAll("input, select, textarea, button.lookup-toggle")]
    .filter((c) => c.closest(".field") === field && !c.closest(".lookup-panel, .ref-panel"));
}

function makeField(schema, ctx, pointer, name, required, value, options = {}) {
  const ref = isReference(value) ? value : "";
  const field = makeBareField(schema, ctx, pointer, name, required, ref ? undefined : value, options);
  if (!ctx.references || options.bare || field instanceof ObjectField) return field;
  const mappable = new Mappable(field, ctx, schema, name, ref);
  ctx.mappables.push(mappable);
  return mappable;
}

function makeBareField(schema, ctx, pointer, name, required, value, { bare = false } = {}) {
  const lookup = ctx.lookups.get(patternOf(pointer));
  if (lookup && !bare) return new LookupField(schema, ctx, pointer, name, required, value, lookup);
  const choices = choicesOf(schema);
  if (choices) return new EnumField(schema, ctx, pointer, name, required, value, choices);
  if (Array.isArray(schema.oneOf || schema.anyOf) && !schema.properties) {
    return new UnionField(schema, ctx, pointer, name, required, value);
  }
  const type = typeOf(schema);
  const itemLookup = type === "array" && !bare ? ctx.lookups.get(patternOf(`${pointer}/-`)) : null;
  if (itemLookup) return new MultiLookupField(schema, ctx, pointer, name, required, value, itemLookup);
  if (type === "object" && schema.properties) return new ObjectField(schema, ctx, pointer, name, required, value);
  if (type === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object") {
    return new KeyValueField(schema, ctx, pointer, name, required, value);
  }
  if (type === "array") return new ArrayField(schema, ctx, pointer, name, required, value);
  if (type === "boolean") return new BooleanField(schema, ctx, pointer, name, required, value);
  if (type === "string" && schema.format === "date-time") return new DateTimeField(schema, ctx, pointer, name, required, value);
  if (type === "string" || type === "integer" || type === "number") {
    return new ScalarField(schema, ctx, pointer, name, required, value);
  }
  return new JsonField(schema, ctx, pointer, name, required, value);
}

// The form for one operation. onChange(pointer) runs after any field changes.
export class SchemaForm {
  constructor({ operation, schema, lookups, value, labels, getAuthentication, onChange, references, customField }) {
    this.ctx = {
      customField,
      operation, getAuthentication, labels: labels || {}, lookupFields: [], mappables: [], conditionals: [],
      references, schema: schema || {},
      lookups: new Map((lookups || []).map((l) => [l.field, l])),
    };
    this.root = new ObjectField(schema || {}, this.ctx, "", "", false, value || {}, { root: true });
    this.ctx.root = this.root;
    this.element = h("div", { class: "schema-form" }, this.root.element);
    const changed = (e) => {
      if (e.target.closest(".lookup-panel")) return; // typing a search is not a change of value
      const field = e.target.closest("[data-pointer]");
      const pointer = field ? field.dataset.pointer : "";
      if (field && e.type === "input") this.clearFieldError(field); // the check after the change says anew
      for (const object of this.ctx.conditionals) object.applyConditions();
      this.refreshDependents(pointer);
      if (onChange) onChange(pointer);
    };
    this.element.addEventListener("change", changed);
    this.element.addEventListener("input", changed);
  }

  get labels() {
    return this.ctx.labels;
  }

  value() {
    return this.root.get();
  }

  // A dropdown whose DDL reads a field (depends_on) is reset when that field changes (stage after pipeline).
  refreshDependents(pointer) {
    const top = pointer.split("/")[1];
    if (!top) return;
    for (const field of this.ctx.lookupFields) {
      if (field.pointer !== pointer && field.lookup.depends_on.includes(top)) field.dropdown.reset();
    }
  }

  // A step was renamed, moved or removed: mapped fields say where their value comes from anew.
  refreshReferences() {
    for (const m of this.ctx.mappables) if (m.element.isConnected) m.refresh();
  }

  // The step's authentication changed: every dropdown must load its choices again.
  invalidateLookups() {
    for (const field of this.ctx.lookupFields) field.dropdown.invalidate();
  }

  clearErrors() {
    for (const el of this.element.querySelectorAll(".field.invalid, .field.warned")) el.classList.remove("invalid", "warned");
    for (const el of this.element.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of this.element.querySelectorAll(".field-error")) {
      el.textContent = "";
      el.hidden = true;
    }
  }

  clearFieldError(field) {
    field.classList.remove("invalid", "warned");
    const slot = field.querySelector(":scope > .field-error");
    if (slot) {
      slot.textContent = "";
      slot.hidden = true;
    }
    for (const control of controlsOf(field)) control.removeAttribute("aria-invalid");
  }

  // Puts each error next to its field, linked to its control (aria-describedby, aria-invalid);
  // returns those that match no field. Items with `warning` are shown but do not mark the field invalid.
  showErrors(errors, { scroll = true } = {}) {
    this.clearErrors();
    const unplaced = [];
    let first = null;
    for (const err of errors) {
      let pointer = err.pointer || "";
      const missing = err.keyword === "required" && /'([^']+)' is a required property/.exec(err.message || "");
      if (missing) pointer = `${pointer}/${missing[1]}`;
      const field = this.find(pointer);
      if (!field) {
        unplaced.push(err);
        continue;
      }
      field.classList.add(err.warning ? "warned" : "invalid");
      const slot = field.querySelector(":scope > .field-error");
      if (!slot.id) slot.id = uid("err");
      slot.textContent = slot.textContent ? `${slot.textContent}; ${err.message}` : err.message;
      slot.hidden = false;
      for (const control of controlsOf(field)) {
        if (!err.warning) control.setAttribute("aria-invalid", "true");
        const described = new Set((control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
        described.add(slot.id);
        control.setAttribute("aria-describedby", [...described].join(" "));
      }
      for (let p = field.parentElement; p; p = p.parentElement) if (p.tagName === "DETAILS") p.open = true;
      if (!first) first = field;
    }
    if (first && scroll) first.scrollIntoView({ block: "nearest" });
    return unplaced;
  }

  find(pointer) {
    for (let p = pointer; p; p = p.slice(0, p.lastIndexOf("/"))) {
      const el = this.element.querySelector(`.field[data-pointer="${CSS.escape(p)}"]`);
      if (el) return el;
    }
    return null;
  }
}
