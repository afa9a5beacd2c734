// The workflow builder: wires the connectors panel, the canvas, the properties panel and Save/Load.

import { api } from "./api.js";
import { AuthPanel } from "./auth.js";
import { renderConnectors, setupCanvas } from "./canvas.js";
import { h } from "./dom.js";
import { PropertiesPanel } from "./properties.js";
import { Workflow } from "./workflow.js";

const $ = (selector) => document.querySelector(selector);

function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const active = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(active));
    tab.tabIndex = active ? 0 : -1;
    $(`#tab-${tab.dataset.tab}`).hidden = !active;
  }
}

function saveToFile(workflow) {
  const blob = new Blob([JSON.stringify(workflow.toJSON(), null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const safe = workflow.name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "workflow";
  const link = h("a", { href: url, download: `${safe}.json`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function start() {
  const workflow = new Workflow();
  const [manifest, service] = await Promise.all([api.connector(), api.service()]);
  document.title = `Workflow builder · ${manifest.title} connector`;

  const auth = new AuthPanel({ tab: $("#tab-authenticate"), dialog: $("#auth-dialog"), manifest, workflow });
  const props = new PropertiesPanel({ tab: $("#tab-properties"), manifest, workflow });
  renderConnectors($("#connectors"), [{
    name: manifest.name, title: manifest.title, version: manifest.version, description: manifest.description,
    summary: `${manifest.operations.filter((o) => o.kind !== "ddl").length} operations`,
  }], workflow);
  setupCanvas($("#canvas"), workflow, (name) => props.title(name));

  for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));

  const renderSelection = () => {
    const step = workflow.current;
    $("#no-step").hidden = Boolean(step);
    $("#step-props").hidden = !step;
    if (!step) return;
    const index = workflow.steps.indexOf(step) + 1;
    $("#step-title").textContent = `Step ${index}: ${step.operation ? props.title(step.operation) : manifest.title}`;
    auth.render(step);
    props.render(step);
  };
  let shown = null;
  workflow.addEventListener("change", (e) => {
    const kind = e.detail.kind;
    if (kind === "steps" || kind === "selection" || kind === "load") {
      const step = workflow.current;
      if (step && kind === "steps" && !step.operation && shown !== step.id) showTab("authenticate");
      if (!step || shown !== step.id || kind === "load") {
        shown = step ? step.id : null;
        renderSelection();
      } else if (step) {
        $("#step-title").textContent = `Step ${workflow.steps.indexOf(step) + 1}: ${step.operation ? props.title(step.operation) : manifest.title}`;
      }
    } else if (kind === "authentication") {
      if (props.form) props.form.invalidateLookups();
    } else if (kind === "operation") {
      const step = workflow.current;
      $("#step-title").textContent = `Step ${workflow.steps.indexOf(step) + 1}: ${props.title(step.operation)}`;
    }
  });

  // A new step starts with the only authentication there is, if there is exactly one.
  workflow.defaultAuthentication = () => (auth.authentications.length === 1 ? auth.authentications[0].name : "");

  $("#workflow-name").addEventListener("input", (e) => { workflow.name = e.target.value; workflow.emit("name"); });
  $("#save-workflow").addEventListener("click", () => saveToFile(workflow));
  $("#load-workflow").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    try {
      workflow.load(JSON.parse(await file.text()));
      $("#workflow-name").value = workflow.name;
      $("#notice").textContent = `Loaded “${workflow.name}” (${workflow.steps.length} steps).`;
    } catch (err) {
      $("#notice").textContent = `Could not load the file: ${err.message}`;
    }
  });

  if (service.sandbox) {
    $("#notice").textContent = `Try it offline: the authentication “${service.sandbox}” is a local sandbox account.`;
  }
  await auth.refresh();
  workflow.restore();
  $("#workflow-name").value = workflow.name;
  if (!workflow.steps.length) renderSelection();
  showTab("authenticate");
  document.body.dataset.ready = "true";
}

start().catch((err) => {
  $("#notice").textContent = `The builder could not start: ${err.message}`;
  document.body.dataset.ready = "error";
});
