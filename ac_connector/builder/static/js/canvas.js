// The connectors panel (drag sources) and the workflow canvas (drop target, ordered steps).
// Steps can be added by dragging a connector (or with its Add button), reordered by dragging or with
// the arrow buttons, selected, and removed.

import { h, clear } from "./dom.js";

const CONNECTOR_TYPE = "application/x-ac-connector";
const STEP_TYPE = "application/x-ac-step";

export function renderConnectors(container, connectors, workflow) {
  const list = container.querySelector("#connector-list");
  const search = container.querySelector("#connector-search");
  const draw = () => {
    const term = search.value.trim().toLowerCase();
    clear(list);
    for (const c of connectors) {
      if (term && !`${c.title} ${c.description}`.toLowerCase().includes(term)) continue;
      const card = h("li", {
        class: "connector-card", draggable: "true", tabindex: "0", dataset: { connector: c.name },
        "aria-label": `${c.title} connector: drag onto the workflow`,
        ondragstart: (e) => {
          e.dataTransfer.setData(CONNECTOR_TYPE, c.name);
          e.dataTransfer.setData("text/plain", c.title);
          e.dataTransfer.effectAllowed = "copy";
        },
        onkeydown: (e) => { if (e.key === "Enter") workflow.add(c.name); },
      },
      h("img", { src: "/static/activecampaign.svg", alt: "", class: "connector-icon", width: 32, height: 32 }),
      h("div", { class: "connector-text" }, h("strong", {}, c.title), h("span", { class: "version" }, `v${c.version}`),
        h("small", {}, c.summary)),
      h("button", { type: "button", class: "add-step", title: "Add to the workflow", "aria-label": `Add ${c.title} step`,
        onclick: () => workflow.add(c.name) }, "+"));
      list.append(card);
    }
    if (!list.childElementCount) list.append(h("li", { class: "empty" }, "No connector matches."));
  };
  search.addEventListener("input", draw);
  draw();
}

// Where among the steps a drop at clientY lands.
function dropIndex(stepsEl, clientY) {
  const cards = [...stepsEl.querySelectorAll(":scope > .step")];
  for (let i = 0; i < cards.length; i += 1) {
    const box = cards[i].getBoundingClientRect();
    if (clientY < box.top + box.height / 2) return i;
  }
  return cards.length;
}

export function setupCanvas(canvas, workflow, describeTitle) {
  const stepsEl = canvas.querySelector("#steps");
  const accepts = (e) => [...e.dataTransfer.types].some((t) => t === CONNECTOR_TYPE || t === STEP_TYPE);

  canvas.addEventListener("dragover", (e) => {
    if (!accepts(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = [...e.dataTransfer.types].includes(STEP_TYPE) ? "move" : "copy";
    canvas.classList.add("drag-over");
  });
  canvas.addEventListener("dragleave", (e) => {
    if (!canvas.contains(e.relatedTarget)) canvas.classList.remove("drag-over");
  });
  canvas.addEventListener("drop", (e) => {
    canvas.classList.remove("drag-over");
    if (!accepts(e)) return;
    e.preventDefault();
    const index = dropIndex(stepsEl, e.clientY);
    const stepId = e.dataTransfer.getData(STEP_TYPE);
    if (stepId) {
      const from = workflow.steps.findIndex((s) => s.id === stepId);
      workflow.moveTo(stepId, from < index ? index - 1 : index);
    } else {
      workflow.add(e.dataTransfer.getData(CONNECTOR_TYPE) || "activecampaign", index);
    }
  });

  const draw = () => {
    clear(stepsEl);
    canvas.classList.toggle("empty", workflow.steps.length === 0);
    workflow.steps.forEach((step, i) => {
      const title = step.operation ? describeTitle(step.operation) : "Choose an operation";
      const card = h("li", {
        class: `step${step.id === workflow.selected ? " selected" : ""}${step.status ? ` ${step.status}` : ""}`,
        draggable: "true", tabindex: "0", dataset: { stepId: step.id, operation: step.operation },
        "aria-current": step.id === workflow.selected ? "true" : null,
        onclick: () => workflow.select(step.id),
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); workflow.select(step.id); } },
        ondragstart: (e) => {
          e.dataTransfer.setData(STEP_TYPE, step.id);
          e.dataTransfer.effectAllowed = "move";
        },
      },
      h("span", { class: "step-number" }, String(i + 1)),
      h("img", { src: "/static/activecampaign.svg", alt: "", class: "step-icon", width: 28, height: 28 }),
      h("div", { class: "step-text" }, h("strong", { class: "step-title" }, title),
        h("small", {}, `ActiveCampaign${step.authentication ? ` · ${step.authentication}` : " · no authentication"}`)),
      h("div", { class: "step-actions" },
        h("button", { type: "button", class: "move-up", title: "Move up", "aria-label": `Move step ${i + 1} up`,
          disabled: i === 0, onclick: (e) => { e.stopPropagation(); workflow.move(step.id, -1); } }, "↑"),
        h("button", { type: "button", class: "move-down", title: "Move down", "aria-label": `Move step ${i + 1} down`,
          disabled: i === workflow.steps.length - 1,
          onclick: (e) => { e.stopPropagation(); workflow.move(step.id, 1); } }, "↓"),
        h("button", { type: "button", class: "remove-step", title: "Remove", "aria-label": `Remove step ${i + 1}`,
          onclick: (e) => { e.stopPropagation(); workflow.remove(step.id); } }, "✕")));
      stepsEl.append(card);
    });
  };
  workflow.addEventListener("change", (e) => {
    if (e.detail.kind !== "input") draw();
  });
  draw();
}
