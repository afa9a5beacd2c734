// Mapping a field from the trigger or an earlier step (see the class's comment).

import { h, uid } from "./dom.js";
import { humanize } from "./fieldkit.js";
import { isReference } from "./references.js";
import { ReferencePicker } from "./refpicker.js";

// Any field but a group can take its value from an earlier step: a "Map" button opens the picker; a
// whole-value reference shows as a chip in place of the control; in a text that already has words the
// reference is inserted at the cursor as {$.steps...} (interpolated as text when the step runs).
export class Mappable {
  constructor(field, ctx, schema, name, ref) {
    this.field = field;
    this.ctx = ctx;
    this.element = field.element;
    this.ref = ref || "";
    const head = this.element.querySelector(":scope > .field-head");
    this.control = head.nextElementSibling;
    const label = schema.title || humanize(name) || "this field";
    this.button = h("button", { type: "button", class: "map-button", "aria-haspopup": "dialog",
      "aria-label": `Map ${label} from an earlier step`, title: "Map a field from the trigger or an earlier step",
      onclick: () => this.openPicker() }, "Map");
    head.append(this.button);
    this.chipText = h("span", { class: "ref-text", id: uid("ref-text") });
    this.chip = h("div", { class: "ref-chip", hidden: true },
      h("span", { class: "ref-icon", "aria-hidden": "true" }, "↳"), this.chipText,
      h("button", { type: "button", class: "ref-clear", "aria-label": `Remove the mapping of ${label}`,
        title: "Remove the mapping", onclick: () => { this.setRef(""); this.button.focus(); } }, "×"));
    this.control.after(this.chip);
    this.element.classList.add("mappable");
    this.render();
  }

  render() {
    const mapped = Boolean(this.ref);
    this.chip.hidden = !mapped;
    this.control.hidden = mapped;
    this.element.classList.toggle("mapped", mapped);
    this.element.dataset.ref = this.ref;
    if (mapped) this.chipText.textContent = this.ctx.references.describe(this.ref);
  }

  setRef(ref) {
    this.ref = ref;
    this.render();
    this.element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  textInput() {
    const input = this.field.input;
    return input && (input.tagName === "TEXTAREA" || input.type === "text") && this.field.type === "string" ? input : null;
  }

  async openPicker() {
    if (this.picker) return;
    const text = this.textInput();
    const inserting = Boolean(text && text.value);
    const groups = await this.ctx.references.choices();
    this.picker = new ReferencePicker({
      groups, returnFocus: this.button,
      hint: inserting ? "The field's value is inserted into the text at the cursor." : "The field's value becomes this input.",
      onPick: (ref) => {
        if (inserting) {
          const at = text.selectionStart ?? text.value.length;
          const end = text.selectionEnd ?? at;
          text.value = `${text.value.slice(0, at)}{${ref}}${text.value.slice(end)}`;
          text.dispatchEvent(new Event("input", { bubbles: true }));
        } else {
          this.setRef(ref);
        }
      },
    });
    const close = this.picker.close.bind(this.picker);
    this.picker.close = (refocus) => { close(refocus); this.picker = null; };
    this.picker.open(this.element);
  }

  refresh() {
    if (this.ref) this.chipText.textContent = this.ctx.references.describe(this.ref);
  }

  get() {
    return this.ref || this.field.get();
  }

  set(value) {
    if (isReference(value)) this.setRef(value);
    else {
      this.ref = "";
      this.render();
      if (this.field.set) this.field.set(value);
    }
  }

  get dropdown() {
    return this.field.dropdown;
  }
}

