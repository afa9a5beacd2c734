// What every field of a schema form shares: names and types read from the schema, and the labelled
// wrapper (label, required mark, type, description, error slot) each field sits in.

import { h } from "./dom.js";

export const humanize = (name) => String(name).replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
export const patternOf = (pointer) => pointer.replace(/\/\d+(?=\/|$)/g, "/-");

export function typeOf(schema) {
  let t = schema.type;
  if (Array.isArray(t)) t = t.find((x) => x !== "null") ?? t[0];
  if (!t && schema.properties) t = "object";
  if (!t && schema.items) t = "array";
  return t;
}

export function choicesOf(schema) {
  const labelled = schema.oneOf || schema.anyOf;
  if (Array.isArray(labelled) && labelled.length && labelled.every((o) => o && typeof o === "object" && "const" in o)) {
    return labelled.map((o) => ({ value: o.const, title: o.title ?? String(o.const) }));
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => ({ value: v, title: String(v) }));
  return null;
}

const TYPE_NAMES = { string: "text", integer: "whole number", number: "number", boolean: "yes/no", array: "list",
  object: "group" };

export function typeHint(schema) {
  if (schema.format === "email") return "email";
  if (schema.format === "date") return "date";
  if (schema.format === "date-time") return "date and time";
  return TYPE_NAMES[typeOf(schema)] || "";
}

// The labelled wrapper every field shares: label (title), required mark, type, description, error slot.
export function wrap({ pointer, name, schema, required, control, controlId, labelId, hint }) {
  const label = h("label", { class: "field-label", id: labelId, for: controlId || null },
    schema.title || humanize(name),
    required ? h("span", { class: "required", title: "required", "aria-hidden": "true" }, " *") : null);
  const head = h("div", { class: "field-head" }, label, hint ? h("span", { class: "field-type" }, hint) : null);
  const description = schema.description ? h("p", { class: "field-description" }, schema.description) : null;
  const error = h("p", { class: "field-error", hidden: true });
  return h("div", { class: "field", dataset: { pointer } }, head, control, description, error);
}

