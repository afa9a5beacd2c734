// The Start card's panel: what starts the workflow (manual, an ActiveCampaign event delivered as a webhook,
// or polling ActiveCampaign), the test data Run workflow sends as $.trigger, enabling the trigger on the
// service, and the events an enabled trigger received with the runs they started.
// The trigger's output schema (from GET /api/triggers/catalog) is what the Map picker offers as "Trigger".

import { api, ApiError } from "./api.js";
import { h, clear, uid } from "./dom.js";

const TEST_DATA_KEY = "ac-connector-builder:trigger-data";
const TYPE_TITLES = { manual: "Manual", webhook: "An ActiveCampaign event", poll: "Polling ActiveCampaign" };

// A schema for manual test data, so its fields can be mapped: each value's JSON type, objects by property.
export function schemaOfData(value) {
  if (Array.isArray(value)) return { type: "array", items: value.length ? schemaOfData(value[0]) : {} };
  if (value && typeof value === "object") {
    return { type: "object", properties: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schemaOfData(v)])) };
  }
  if (typeof value === "number") return { type: Number.isInteger(value) ? "integer" : "number" };
  if (typeof value === "boolean") return { type: "boolean" };
  if (value === null) return {};
  return { type: "string" };
}

export class TriggerPanel {
  constructor({ container, card, workflow, auth, runs, notify, openRun }) {
    this.openRun = openRun;
    this.container = container;
    this.card = card;
    this.workflow = workflow;
    this.auth = auth;
    this.runs = runs;
    this.notify = notify;
    this.catalog = null;
    this.testData = {};
    try {
      this.testData = JSON.parse(localStorage.getItem(TEST_DATA_KEY) || "{}");
    } catch {
      this.testData = {};
    }
    workflow.triggerSchema = () => this.schema();
  }

  async load() {
    try {
      this.catalog = await api.triggerCatalog();
    } catch {
      this.catalog = { webhook_events: [], sources: [], poll_events: [] }; // a service without triggers
    }
    this.renderCard();
  }

  get trigger() {
    return this.workflow.trigger || { type: "manual" };
  }

  // $.trigger's schema for the picker: the manual test data's shape, or the chosen event's output schema.
  schema() {
    const t = this.trigger;
    if (t.type === "webhook" && this.catalog) {
      const events = this.catalog.webhook_events.filter((e) => (t.events || []).includes(e.name));
      if (events.length === 1) return events[0].output_schema;
      if (events.length > 1) return { oneOf: events.map((e) => e.output_schema) };
      return {};
    }
    if (t.type === "poll" && this.catalog) {
      return this.catalog.poll_events.find((e) => e.name === t.event)?.output_schema || {};
    }
    return t.input_schema || schemaOfData(this.testData);
  }

  set(patch) {
    this.workflow.trigger = { ...patch };
    this.workflow.emit("trigger");
    this.renderCard();
  }

  renderCard() {
    const t = this.trigger;
    let text = "Start (manual trigger)";
    if (t.type === "webhook") {
      const titles = (this.catalog?.webhook_events || []).filter((e) => (t.events || []).includes(e.name)).map((e) => e.title);
      text = `Start: ${titles.length ? titles.join(", ") : "choose an event"} (ActiveCampaign event)`;
    } else if (t.type === "poll") {
      const title = this.catalog?.poll_events.find((e) => e.name === t.event)?.title || "choose what to poll";
      text = `Start: ${title} (polling every ${t.interval_seconds || 60} s)`;
    }
    this.card.querySelector(".trigger-text").textContent = text;
    this.card.classList.toggle("selected", this.workflow.selected === "@trigger");
  }

  render() {
    const t = this.trigger;
    const typeId = uid("trigger-type");
    const typeSelect = h("select", { id: typeId, onchange: () => {
      const type = typeSelect.value;
      const authentication = t.authentication || this.auth.lastUsed() || this.auth.authentications[0]?.name || "";
      if (type === "manual") this.set({ type: "manual" });
      else if (type === "webhook") this.set({ type: "webhook", authentication, events: [] });
      else this.set({ type: "poll", authentication, event: this.catalog.poll_events[0]?.name, interval_seconds: 60 });
      this.render();
      this.container.querySelector(`#${CSS.escape(typeId)}`)?.focus();
    } }, Object.entries(TYPE_TITLES).map(([value, title]) => h("option", { value }, title)));
    typeSelect.value = t.type || "manual";
    const parts = [h("h2", {}, "Start"),
      h("div", { class: "field" }, h("label", { class: "field-label", for: typeId }, "What starts the workflow"), typeSelect,
        h("p", { class: "field-description" }, t.type === "webhook"
          ? "ActiveCampaign calls this service when the event happens; enable the trigger below."
          : t.type === "poll" ? "This service asks ActiveCampaign at an interval: no public address needed."
            : "You (Run workflow) or a program (POST /api/workflows/runs) start it, with the test data below as $.trigger."))];
    if (t.type === "webhook") parts.push(...this.webhookFields(t));
    if (t.type === "poll") parts.push(...this.pollFields(t));
    parts.push(this.testDataField());
    if (t.type === "webhook" || t.type === "poll") parts.push(this.enableSection(t));
    clear(this.container).append(...parts);
    if (t.type === "webhook" || t.type === "poll") this.refreshEvents();
  }

  authField(t) {
    const id = uid("trigger-auth");
    const select = h("select", { id, onchange: () => this.set({ ...this.trigger, authentication: select.value }) },
      h("option", { value: "" }, "— choose an authentication —"),
      this.auth.authentications.map((a) => h("option", { value: a.name }, a.name)));
    select.value = t.authentication || "";
    return h("div", { class: "field" }, h("label", { class: "field-label", for: id }, "Authentication (the account)"), select);
  }

  webhookFields(t) {
    const chosen = new Set(t.events || []);
    const listId = uid("events");
    const search = h("input", { type: "search", placeholder: "Search events…", "aria-label": "Search events",
      "aria-controls": listId, oninput: () => draw() });
    const list = h("div", { class: "event-list", id: listId, role: "group", "aria-label": "Events" });
    const draw = () => {
      const term = search.value.trim().toLowerCase();
      clear(list);
      for (const e of this.catalog.webhook_events) {
        if (term && !`${e.title} ${e.name} ${e.description}`.toLowerCase().includes(term) && !chosen.has(e.name)) continue;
        const box = h("input", { type: "checkbox", value: e.name, checked: chosen.has(e.name), onchange: () => {
          if (box.checked) chosen.add(e.name);
          else chosen.delete(e.name);
          this.set({ ...this.trigger, events: [...chosen] });
        } });
        list.append(h("label", { class: "event-option" }, box, h("span", {}, h("strong", {}, e.title),
          h("small", {}, ` ${e.description}`))));
      }
    };
    draw();
    const sources = new Set(t.sources || this.catalog.sources.map((s) => s.name));
    const sourceBoxes = h("div", { class: "radios", role: "group", "aria-label": "Caused by" },
      this.catalog.sources.map((s) => {
        const box = h("input", { type: "checkbox", value: s.name, checked: sources.has(s.name), onchange: () => {
          if (box.checked) sources.add(s.name);
          else sources.delete(s.name);
          const all = sources.size === this.catalog.sources.length;
          const next = { ...this.trigger, sources: [...sources] };
          if (all) delete next.sources;
          this.set(next);
        } });
        return h("label", { class: "radio", title: s.description }, box, ` ${s.title}`);
      }));
    const listable = this.catalog.webhook_events.some((e) => chosen.has(e.name) && e.list_filter);
    const listInput = h("input", { type: "text", id: uid("trigger-list"), inputmode: "numeric", value: t.list_id || "",
      placeholder: "every list", oninput: () => {
        const next = { ...this.trigger, list_id: listInput.value.trim() };
        if (!next.list_id) delete next.list_id;
        this.set(next);
      } });
    return [this.authField(t),
      h("div", { class: "field" }, h("span", { class: "field-label" }, "Events"), search, list),
      h("div", { class: "field" }, h("span", { class: "field-label" }, "Caused by"), sourceBoxes),
      listable ? h("div", { class: "field" }, h("label", { class: "field-label", for: listInput.id }, "Only on the list (id)"),
        listInput) : null].filter(Boolean);
  }

  pollFields(t) {
    const id = uid("poll-event");
    const select = h("select", { id, onchange: () => { this.set({ ...this.trigger, event: select.value }); this.render(); } },
      this.catalog.poll_events.map((e) => h("option", { value: e.name }, e.title)));
    select.value = t.event || "";
    const spec = this.catalog.poll_events.find((e) => e.name === t.event);
    const every = h("input", { type: "number", id: uid("interval"), min: 1, step: 1, value: t.interval_seconds || 60,
      oninput: () => this.set({ ...this.trigger, interval_seconds: Number(every.value) || 60 }) });
    const fields = [this.authField(t),
      h("div", { class: "field" }, h("label", { class: "field-label", for: id }, "Poll for"), select,
        spec ? h("p", { class: "field-description" }, spec.description) : null),
      h("div", { class: "field" }, h("label", { class: "field-label", for: every.id }, "Every (seconds)"), every)];
    if (spec && spec.parameter) {
      const param = h("input", { type: "text", id: uid("poll-param"), inputmode: "numeric", value: t[spec.parameter] || "",
        oninput: () => this.set({ ...this.trigger, [spec.parameter]: param.value.trim() }) });
      fields.push(h("div", { class: "field" }, h("label", { class: "field-label", for: param.id },
        spec.parameter === "tag_id" ? "Tag (id)" : "List (id)"), param));
    }
    return fields;
  }

  testDataField() {
    const id = uid("trigger-data");
    const note = h("p", { class: "json-note", "aria-live": "polite" });
    const area = h("textarea", { id, class: "json", rows: 5, spellcheck: "false",
      oninput: () => {
        try {
          this.testData = area.value.trim() ? JSON.parse(area.value) : {};
          note.textContent = "";
          note.classList.remove("error");
          area.removeAttribute("aria-invalid");
          localStorage.setItem(TEST_DATA_KEY, JSON.stringify(this.testData));
          this.workflow.emit("trigger-data");
        } catch (err) {
          note.textContent = `Not valid JSON yet: ${err.message}`;
          note.classList.add("error");
          area.setAttribute("aria-invalid", "true");
        }
      } });
    area.value = JSON.stringify(this.testData, null, 2);
    return h("div", { class: "field" }, h("label", { class: "field-label", for: id }, "Test data ($.trigger for Run workflow)"),
      area, note, h("p", { class: "field-description" }, this.trigger.type === "manual"
        ? "Its fields can be mapped into the steps (Map › Trigger)."
        : "Shaped like the event's data; the steps map the event's fields (Map › Trigger)."));
  }

  enableSection(t) {
    const urlId = uid("public-url");
    const url = h("input", { type: "url", id: urlId, placeholder: "https://hooks.example.com", value: this.publicUrl || "",
      oninput: () => { this.publicUrl = url.value.trim(); } });
    this.status = h("p", { class: "muted", role: "status" });
    this.events = h("ul", { class: "trigger-events" });
    return h("section", { class: "trigger-enable", "aria-label": "Enable the trigger" },
      h("h3", {}, "On this service"),
      t.type === "webhook" ? h("div", { class: "field" }, h("label", { class: "field-label", for: urlId },
        "This service's public address"), url,
      h("p", { class: "field-description" }, "Where ActiveCampaign can reach this service; the hook's secret is added.")) : null,
      h("div", { class: "run-actions" },
        h("button", { type: "button", class: "primary", onclick: () => this.enable() }, "Enable trigger"),
        h("button", { type: "button", class: "secondary", onclick: () => this.disable() }, "Disable")),
      this.status,
      h("div", { class: "runs-head" }, h("h3", {}, "Recent trigger events"),
        h("button", { type: "button", class: "secondary small", "aria-label": "Refresh the trigger events",
          onclick: () => this.refreshEvents() }, "Refresh")),
      this.events);
  }

  async enable() {
    this.status.textContent = "Enabling…";
    try {
      await api.enableTrigger(this.workflow.toJSON(), this.publicUrl || undefined);
      this.status.textContent = "Enabled: events now start runs of this workflow.";
    } catch (err) {
      const fields = err instanceof ApiError ? err.fieldErrors : [];
      this.status.textContent = `Not enabled: ${fields.length ? fields.map((f) => `${f.pointer} ${f.message}`).join("; ")
        : err.message}`;
    }
    this.refreshEvents();
  }

  async disable() {
    try {
      await api.disableTrigger(this.workflow.name);
      this.status.textContent = "Disabled: no more runs from this trigger.";
    } catch (err) {
      this.status.textContent = `Not disabled: ${err.message}`;
    }
    this.refreshEvents();
  }

  async refreshEvents() {
    if (!this.events) return;
    let data;
    try {
      data = await api.triggers();
    } catch {
      return;
    }
    const mine = data.triggers.filter((tr) => tr.workflow === this.workflow.name);
    clear(this.events);
    const enabled = mine.find((tr) => tr.enabled);
    if (enabled && this.status && !this.status.textContent) this.status.textContent = "Enabled.";
    const events = mine.flatMap((tr) => tr.recent_events).reverse();
    if (!events.length) this.events.append(h("li", { class: "muted" }, enabled ? "No event yet." : "Not enabled."));
    for (const e of events) {
      this.events.append(h("li", { class: "run-item" },
        h("span", {}, `${e.type} · ${e.received ? new Date(e.received * 1000 || e.received).toLocaleString() : ""} · ${e.state}`),
        e.run_id ? h("button", { type: "button", class: "secondary small", onclick: () => this.openRun(e.run_id) },
          "Open its run") : null));
    }
  }
}
