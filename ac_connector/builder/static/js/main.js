// The workflow builder: wires the connectors panel, the canvas, the properties panel, runs and their
// history, the check as you type, undo, and Save/Load.

import { api } from "./api.js";
import { AuthPanel } from "./auth.js";
import { renderConnectors, setupCanvas } from "./canvas.js";
import { Checker } from "./check.js";
import { toast } from "./confirm.js";
import { focusIfLost, h } from "./dom.js";
import { PropertiesPanel } from "./properties.js";
import { RunHistory, Runs, STATUS_TEXT } from "./runs.js";
import { SavedWorkflows } from "./saved.js";
import { TriggerPanel } from "./trigger.js";
import { Workflow } from "./workflow.js";

const $ = (selector) => document.querySelector(selector);
const notice = (text) => { $("#notice").textContent = text; };

function showTab(name, { focus = false } = {}) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const active = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(active));
    tab.tabIndex = active ? 0 : -1;
    $(`#tab-${tab.dataset.tab}`).hidden = !active;
    if (active && focus) tab.focus();
  }
}

// Tabs as the ARIA pattern has them: arrows move between tabs, Home/End to the ends.
function setupTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => showTab(tab.dataset.tab));
    tab.addEventListener("keydown", (e) => {
      const i = tabs.indexOf(tab);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      showTab(tabs[(to + tabs.length) % tabs.length].dataset.tab, { focus: true });
    });
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
  const runs = new Runs(workflow);
  const checker = new Checker(workflow);

  const auth = new AuthPanel({ tab: $("#tab-authenticate"), dialog: $("#auth-dialog"), manifest, workflow, service });
  const props = new PropertiesPanel({ tab: $("#tab-properties"), manifest, workflow, runs, checker });
  workflow.titleOf = (name) => props.title(name);
  renderConnectors($("#connectors"), [{
    name: manifest.name, title: manifest.title, version: manifest.version, description: manifest.description,
    summary: `${manifest.operations.filter((o) => o.kind !== "ddl").length} operations`,
  }], workflow);

  // Removing a step can be undone (the toast's button, or Ctrl+Z outside a text field).
  const undo = [];
  const restoreStep = () => {
    const last = undo.pop();
    if (!last) return;
    workflow.insert(last.step, last.index);
    notice(`Step ${last.index + 1} is back.`);
    const card = document.querySelector(`.step[data-step-id="${CSS.escape(last.step.id)}"]`);
    if (card) card.focus();
  };
  const removeStep = (id) => {
    const removed = workflow.remove(id);
    if (!removed) return;
    undo.push(removed);
    const name = removed.step.name || (removed.step.operation ? props.title(removed.step.operation) : "the step");
    toast(`Removed step ${removed.index + 1} (${name}).`, { label: "Undo", run: restoreStep });
    const next = document.querySelector(".step.selected") || $("#drop-zone");
    if (next && next.focus) next.focus();
  };
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z" && undo.length) {
      const t = e.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return; // the field's own undo
      e.preventDefault();
      restoreStep();
    }
  });

  setupCanvas($("#canvas"), workflow, { describeTitle: (name) => props.title(name), runs, checker, remove: removeStep });
  setupTabs();

  const stepTitle = (step) => `Step ${workflow.steps.indexOf(step) + 1}: ${step.name
    || (step.operation ? props.title(step.operation) : manifest.title)}`;
  const renderSelection = () => {
    const step = workflow.current;
    const onTrigger = workflow.selected === "@trigger";
    $("#trigger-props").hidden = !onTrigger;
    $("#no-step").hidden = Boolean(step) || onTrigger;
    $("#step-props").hidden = !step;
    trigger.renderCard();
    if (onTrigger) trigger.render();
    if (!step) return;
    $("#step-title").textContent = stepTitle(step);
    $("#step-name").value = step.name;
    $("#step-name").placeholder = step.operation ? props.title(step.operation) : "Name this step";
    $("#step-id").textContent = step.id;
    auth.render(step);
    props.render(step);
  };
  let shown = null;
  workflow.addEventListener("change", (e) => {
    const kind = e.detail.kind;
    if (kind !== "selection") checker.schedule();
    const step = workflow.current;
    if (kind === "steps" || kind === "selection" || kind === "load") {
      if (step && kind === "steps" && !step.operation && shown !== step.id) showTab("authenticate");
      if (!step || shown !== step.id || kind === "load") {
        shown = step ? step.id : workflow.selected;
        renderSelection();
        // On a phone the panels are stacked: show the chosen step's (or the Start card's) settings.
        if (kind === "selection" && window.matchMedia("(max-width: 900px)").matches) {
          $("#properties").scrollIntoView({ block: "start", behavior: "smooth" });
        }
      } else {
        $("#step-title").textContent = stepTitle(step);
        props.refreshReferences();
      }
    } else if (kind === "authentication") {
      if (props.form) props.form.invalidateLookups();
    } else if (kind === "operation" || kind === "name") {
      if (step) $("#step-title").textContent = stepTitle(step);
      if (step) $("#step-name").placeholder = step.operation ? props.title(step.operation) : "Name this step";
    }
  });
  $("#step-name").addEventListener("input", (e) => {
    const step = workflow.current;
    if (step) workflow.update(step.id, { name: e.target.value }, "name");
  });

  // A new step takes the authentication last chosen, else the only one there is.
  workflow.defaultAuthentication = () => auth.lastUsed()
    || (auth.authentications.length === 1 ? auth.authentications[0].name : "");

  $("#workflow-name").addEventListener("input", (e) => { workflow.name = e.target.value; workflow.emit("name"); });
  $("#save-workflow").addEventListener("click", () => saveToFile(workflow));
  $("#load-workflow").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    try {
      workflow.load(JSON.parse(await file.text()));
      $("#workflow-name").value = workflow.name;
      notice(`Loaded “${workflow.name}” (${workflow.steps.length} steps).`);
      runs.results.clear();
      runs.emit("reset");
      history.refresh();
    } catch (err) {
      notice(`Could not load the file: ${err.message}`);
    }
  });
  $("#load-button").addEventListener("click", () => $("#load-workflow").click());
  const saved = new SavedWorkflows({
    workflow, notify: notice,
    onOpen: (document) => {
      workflow.load(document);
      $("#workflow-name").value = workflow.name;
      runs.results.clear();
      runs.emit("reset");
      history.refresh();
    },
  });
  $("#save-service").addEventListener("click", () => saved.save());
  $("#open-service").addEventListener("click", (e) => saved.open(e.currentTarget));

  // Run workflow: every step through the service, statuses and outputs as they arrive.
  const runButton = $("#run-workflow");
  runs.addEventListener("change", (e) => {
    if (e.detail.kind === "busy") {
      runButton.disabled = runs.busy;
      runButton.textContent = runs.busy ? "Running…" : "Run workflow";
    }
  });
  runButton.addEventListener("click", async () => {
    if (!workflow.steps.length) {
      notice("Add a step first.");
      return;
    }
    notice("Running the workflow…");
    try {
      await runs.runAll(trigger.testData);
      const status = runs.run ? runs.run.status : "failed";
      const failed = workflow.steps.find((s) => ["failed", "outcome_unknown"].includes(runs.result(s.id)?.status));
      notice(`Workflow run ${STATUS_TEXT[status]?.toLowerCase() || status}${failed
        ? ` at step ${workflow.steps.indexOf(failed) + 1}` : ""}.`);
      if (failed) workflow.select(failed.id);
    } catch (err) {
      const problems = err.fieldErrors || [];
      notice(problems.length ? `The workflow cannot run yet: ${problems[0].message}` : `The workflow could not run: ${err.message}`);
      checker.check();
    }
    focusIfLost(runButton); // disabled while running, it dropped the focus
  });

  const history = new RunHistory({
    container: $("#runs-panel"), runs, workflow, notify: notice,
    open: async (id) => {
      const record = await runs.show(id);
      const document = record.document;
      if (document && JSON.stringify(document) !== JSON.stringify(workflow.toJSON())) {
        const labels = Object.fromEntries(workflow.steps.map((s) => [s.id, s.labels]));
        workflow.load(document, labels);
        $("#workflow-name").value = workflow.name;
      }
      workflow.lastRunId = id;
      workflow.persist();
      const failed = workflow.steps.find((s) => ["failed", "outcome_unknown"].includes(runs.result(s.id)?.status));
      if (failed) workflow.select(failed.id);
      notice(`Showing the run of ${record.started_at ? new Date(record.started_at).toLocaleString() : id}: `
        + `${STATUS_TEXT[record.status] || record.status}.`);
      history.refresh();
    },
  });

  const trigger = new TriggerPanel({
    container: $("#trigger-props"), card: $("#trigger-card"), workflow, auth, runs, notify: notice,
    openRun: (id) => history.open(id),
  });
  $("#trigger-card").addEventListener("click", () => workflow.select("@trigger"));
  await trigger.load();

  if (service.sandbox) {
    notice(`Try it offline: the authentication “${service.sandbox}” is a local sandbox account.`);
  }
  await auth.refresh();
  workflow.restore();
  $("#workflow-name").value = workflow.name;
  if (!workflow.steps.length) renderSelection();
  showTab("authenticate");
  if (workflow.lastRunId) {
    try {
      await runs.show(workflow.lastRunId);
    } catch {
      workflow.lastRunId = null; // pruned, or another service
    }
  }
  history.refresh();
  checker.schedule();
  document.body.dataset.ready = "true";
}

start().catch((err) => {
  notice(`The builder could not start: ${err.message}`);
  document.body.dataset.ready = "error";
});
