// The connectors panel (drag sources) and the workflow canvas (drop target, ordered steps).
// Steps can be added by dragging a connector (or with its Add button), reordered by dragging or with
// the arrow buttons, selected, and removed.

import { h, clear } from "./dom.js";
import { STATUS_ICON, STATUS_TEXT } from "./runs.js";

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
        onkeydown: (e) => { if (e.key === "Enter" && e.target === e.currentTarget) workflow.add(c.name); },
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

export function setupCanvas(canvas, workflow, { describeTitle, runs, checker, remove }) {
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
      const opTitle = step.operation ? describeTitle(step.operation) : "Choose an operation";
      const title = step.name || opTitle;
      const result = runs.result(step.id);
      const problems = checker.errorsFor(step.id).filter((e) => !e.warning).length;
      const card = h("li", {
        class: `step${step.id === workflow.selected ? " selected" : ""}${result ? ` ${result.status}` : ""}`,
        draggable: "true", tabindex: "0", dataset: { stepId: step.id, operation: step.operation },
        "aria-current": step.id === workflow.selected ? "true" : null,
        "aria-label": `Step ${i + 1}: ${title}${result ? `, ${STATUS_TEXT[result.status] || result.status}` : ""}`
          + `${problems ? `, ${problems} problem${problems > 1 ? "s" : ""}` : ""}`,
        onclick: () => workflow.select(step.id),
        onkeydown: (e) => {
          if (e.target !== e.currentTarget) return;
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); workflow.select(step.id); }
          if (e.key === "Delete") { e.preventDefault(); remove(step.id); }
        },
        ondragstart: (e) => {
          e.dataTransfer.setData(STEP_TYPE, step.id);
          e.dataTransfer.effectAllowed = "move";
        },
      },
      h("span", { class: "step-number", "aria-hidden": "true" }, String(i + 1)),
      h("img", { src: "/static/activecampaign.svg", alt: "", class: "step-icon", width: 28, height: 28 }),
      h("div", { class: "step-text" }, h("strong", { class: "step-title" }, title),
        h("small", {}, `${step.name ? `${opTitle} · ` : ""}${step.authentication || "no authentication"}`),
        result ? h("span", { class: `status-badge ${result.status}`, dataset: { status: result.status } },
          h("span", { "aria-hidden": "true" }, STATUS_ICON[result.status] || "•"), ` ${STATUS_TEXT[result.status] || result.status}`)
          : null,
        problems ? h("span", { class: "problem-badge" }, `⚠ ${problems} problem${problems > 1 ? "s" : ""}`) : null),
      h("div", { class: "step-actions" },
        h("button", { type: "button", class: "move-up", title: "Move up", "aria-label": `Move step ${i + 1} up`,
          disabled: i === 0, onclick: (e) => { e.stopPropagation(); workflow.move(step.id, -1); } }, "↑"),
        h("button", { type: "button", class: "move-down", title: "Move down", "aria-label": `Move step ${i + 1} down`,
          disabled: i === workflow.steps.length - 1,
          onclick: (e) => { e.stopPropagation(); workflow.move(step.id, 1); } }, "↓"),
        h("button", { type: "button", class: "remove-step", title: "Remove", "aria-label": `Remove step ${i + 1}`,
          onclick: (e) => { e.stopPropagation(); remove(step.id); } }, "✕")));
      stepsEl.append(card);
    });
  };
  // Redrawing keeps the keyboard focus on the same step card (or the same button of it).
  const redraw = () => {
    const focused = document.activeElement;
    const card = focused && stepsEl.contains(focused) ? focused.closest("[data-step-id]") : null;
    const button = card && focused !== card ? [...focused.classList].find((c) => c !== "secondary") : null;
    draw();
    if (!card) return;
    const again = stepsEl.querySelector(`[data-step-id="${CSS.escape(card.dataset.stepId)}"]`);
    const target = again && button ? again.querySelector(`.${button}:not(:disabled)`) || again : again;
    if (target) target.focus();
  };
  runs.addEventListener("change", redraw);
  checker.addEventListener("change", redraw);
  workflow.addEventListener("change", (e) => {
    if (e.detail.kind !== "input") redraw();
  });
  draw();
}
