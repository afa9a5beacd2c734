// The service's JSON API, as the builder uses it. Errors become ApiError with the service's typed body.

export class ApiError extends Error {
  constructor(status, error) {
    super(error && error.message ? error.message : `HTTP ${status}`);
    this.status = status;
    this.error = error || { type: "http", message: `HTTP ${status}` };
  }
  get fieldErrors() {
    return Array.isArray(this.error.errors) ? this.error.errors : [];
  }
}

async function request(method, path, body, signal) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, { type: "network", message: "The service cannot be reached: is `ac-connector serve` running?" });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data && data.error);
  return data;
}

// An NDJSON event stream (one JSON event per line), each event handed to onEvent as it arrives.
async function stream(path, body, onEvent) {
  let response;
  try {
    response = await fetch(path, { method: "POST", credentials: "same-origin",
      headers: { Accept: "application/x-ndjson", "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { type: "network", message: "The service cannot be reached: is `ac-connector serve` running?" });
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    throw new ApiError(response.status, data && data.error);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) onEvent(JSON.parse(line));
    }
    if (done) break;
  }
  if (buffer.trim()) onEvent(JSON.parse(buffer));
}

const enc = encodeURIComponent;

export const api = {
  service: () => request("GET", "/api/service"),
  connector: () => request("GET", "/api/connector"),
  describe: (op) => request("GET", `/api/operations/${enc(op)}`),
  options: (op, body, signal) => request("POST", `/api/operations/${enc(op)}/options`, body, signal),
  run: (op, body) => request("POST", `/api/operations/${enc(op)}/run`, body),
  authentications: () => request("GET", "/api/authentications"),
  addAuthentication: (body) => request("POST", "/api/authentications", body),
  testAuthentication: (name) => request("POST", `/api/authentications/${enc(name)}/test`),
  editAuthentication: (name, body) => request("PATCH", `/api/authentications/${enc(name)}`, body),
  removeAuthentication: (name) => request("DELETE", `/api/authentications/${enc(name)}`),
  checkWorkflow: (workflow, signal) => request("POST", "/api/workflows/check", { workflow }, signal),
  runWorkflow: (workflow, trigger, onEvent) => stream("/api/workflows/runs", { workflow, trigger }, onEvent),
  resumeRun: (id, retryUnknown, onEvent) => stream(`/api/runs/${enc(id)}/resume`, { retry_unknown: retryUnknown }, onEvent),
  runs: (workflow, limit = 20) => request("GET", `/api/runs?${new URLSearchParams({ ...(workflow ? { workflow } : {}), limit })}`),
  getRun: (id) => request("GET", `/api/runs/${enc(id)}`),
  savedWorkflows: () => request("GET", "/api/workflows"),
  savedWorkflow: (name) => request("GET", `/api/workflows/${enc(name)}`),
  saveWorkflow: (name, document) => request("PUT", `/api/workflows/${enc(name)}`, document),
  deleteSavedWorkflow: (name) => request("DELETE", `/api/workflows/${enc(name)}`),
  triggerCatalog: () => request("GET", "/api/triggers/catalog"),
  triggers: () => request("GET", "/api/triggers"),
  enableTrigger: (workflow, publicUrl) => request("POST", "/api/triggers/enable",
    publicUrl ? { workflow, public_url: publicUrl } : { workflow }),
  disableTrigger: (workflow) => request("POST", "/api/triggers/disable", { workflow }),
};
