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
  removeAuthentication: (name) => request("DELETE", `/api/authentications/${enc(name)}`),
};
