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

// Sets an attribute only when it differs (null removes it): an unchanged label is not announced again.
function setAttr(el, name, value) {
  if (value === null || value === undefined) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) {
    el.setAttribute(name, String(value));
  }
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
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

  // One card per step id, kept for the step's life: the check as you type, runs and selection only
  // change its texts and attributes, so a control the user is on (or about to click) is never replaced.
  const cards = new Map();

  const makeCard = (id) => {
    const parts = {};
    const card = h("li", {
      class: "step", draggable: "true", tabindex: "0", dataset: { stepId: id },
      onclick: () => workflow.select(id),
      onkeydown: (e) => {
        if (e.target !== e.currentTarget) return;
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); workflow.select(id); }
        if (e.key === "Delete") { e.preventDefault(); remove(id); }
      },
      ondragstart: (e) => {
        e.dataTransfer.setData(STEP_TYPE, id);
        e.dataTransfer.effectAllowed = "move";
      },
    },
    parts.number = h("span", { class: "step-number", "aria-hidden": "true" }),
    h("img", { src: "/static/activecampaign.svg", alt: "", class: "step-icon", width: 28, height: 28 }),
    parts.text = h("div", { class: "step-text" }, parts.title = h("strong", { class: "step-title" }), parts.detail = h("small", {})),
    h("div", { class: "step-actions" },
      parts.up = h("button", { type: "button", class: "move-up", title: "Move up",
        onclick: (e) => { e.stopPropagation(); workflow.move(id, -1); } }, "↑"),
      parts.down = h("button", { type: "button", class: "move-down", title: "Move down",
        onclick: (e) => { e.stopPropagation(); workflow.move(id, 1); } }, "↓"),
      parts.remove = h("button", { type: "button", class: "remove-step", title: "Remove",
        onclick: (e) => { e.stopPropagation(); remove(id); } }, "✕")));
    cards.set(id, { card, parts });
    return cards.get(id);
  };

  // The run status and the problem count are badges that come and go (they hold no control).
  const showBadges = (parts, result, problems) => {
    if (result) {
      if (!parts.status) {
        parts.statusIcon = h("span", { "aria-hidden": "true" });
        parts.statusText = document.createTextNode("");
        parts.status = h("span", {}, parts.statusIcon, parts.statusText);
        parts.detail.after(parts.status);
      }
      setAttr(parts.status, "class", `status-badge ${result.status}`);
      setAttr(parts.status, "data-status", result.status);
      setText(parts.statusIcon, STATUS_ICON[result.status] || "•");
      const words = ` ${STATUS_TEXT[result.status] || result.status}`;
      if (parts.statusText.data !== words) parts.statusText.data = words;
    } else if (parts.status) {
      parts.status.remove();
      parts.status = null;
    }
    if (problems) {
      if (!parts.problems) parts.problems = h("span", { class: "problem-badge" });
      if (!parts.problems.isConnected) parts.text.append(parts.problems);
      setText(parts.problems, `⚠ ${problems} problem${problems > 1 ? "s" : ""}`);
    } else if (parts.problems) {
      parts.problems.remove();
      parts.problems = null;
    }
  };

  const update = ({ card, parts }, step, i) => {
    const opTitle = step.operation ? describeTitle(step.operation) : "Choose an operation";
    const title = step.name || opTitle;
    const result = runs.result(step.id);
    const problems = checker.errorsFor(step.id).filter((e) => !e.warning).length;
    const selected = step.id === workflow.selected;
    setAttr(card, "class", `step${selected ? " selected" : ""}${result ? ` ${result.status}` : ""}`);
    setAttr(card, "data-operation", step.operation);
    setAttr(card, "aria-current", selected ? "true" : null);
    setAttr(card, "aria-label", `Step ${i + 1}: ${title}${result ? `, ${STATUS_TEXT[result.status] || result.status}` : ""}`
      + `${problems ? `, ${problems} problem${problems > 1 ? "s" : ""}` : ""}`);
    setText(parts.number, String(i + 1));
    setText(parts.title, title);
    setText(parts.detail, `${step.name ? `${opTitle} · ` : ""}${step.authentication || "no authentication"}`);
    showBadges(parts, result, problems);
    setAttr(parts.up, "aria-label", `Move step ${i + 1} up`);
    setAttr(parts.down, "aria-label", `Move step ${i + 1} down`);
    setAttr(parts.remove, "aria-label", `Remove step ${i + 1}`);
    parts.up.disabled = i === 0;
    parts.down.disabled = i === workflow.steps.length - 1;
  };

  // Brings the cards in line with the steps. Nodes are added, removed or moved only when the steps
  // themselves were (added, removed, moved, loaded); the keyboard focus stays where it was, or on its
  // card when its button can no longer be used (Move up on what is now the first step).
  const sync = () => {
    const focused = document.activeElement;
    const focusedCard = focused && stepsEl.contains(focused) ? focused.closest("[data-step-id]") : null;
    const ids = new Set(workflow.steps.map((s) => s.id));
    for (const [id, { card }] of cards) {
      if (!ids.has(id)) {
        card.remove();
        cards.delete(id);
      }
    }
    canvas.classList.toggle("empty", workflow.steps.length === 0);
    workflow.steps.forEach((step, i) => {
      const entry = cards.get(step.id) || makeCard(step.id);
      update(entry, step, i);
      const at = stepsEl.children[i];
      if (at !== entry.card) stepsEl.insertBefore(entry.card, at || null);
    });
    if (!focusedCard || !focusedCard.isConnected) return;
    const target = focused.isConnected && !focused.disabled ? focused : focusedCard;
    if (document.activeElement !== target) target.focus();
  };
  runs.addEventListener("change", sync);
  checker.addEventListener("change", sync);
  workflow.addEventListener("change", (e) => {
    if (e.detail.kind !== "input") sync();
  });
  sync();
}
