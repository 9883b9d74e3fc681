// Drives smsgw with the published android-sms-gateway client (npm).
// Usage: node smsgate.mjs BASE_URL LOGIN PASSWORD
// Prints one line per step, "STEP <json>", for api/npm_test.go to check.
// The test moves the message through the queue after the "sent" line and
// answers on stdin ("go\n") when the state should be polled.
import Client from "android-sms-gateway";
import readline from "node:readline";

const [base, login, password] = process.argv.slice(2);

// The fetch-based HTTP client from the library's README.
const httpClient = {
  async get(url, headers) {
    const r = await fetch(url, { method: "GET", headers });
    return { status: r.status, total: r.headers.get("x-total-count"), body: await r.json() };
  },
  async post(url, body, headers) {
    const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: r.status, location: r.headers.get("location"), body: await r.json() };
  },
  async delete(url, headers) {
    const r = await fetch(url, { method: "DELETE", headers });
    return { status: r.status };
  },
};
const api = new Client(login, password, httpClient, base);
const out = (step, v) => console.log(step + " " + JSON.stringify(v));
const rl = readline.createInterface({ input: process.stdin });
const lines = rl[Symbol.asyncIterator]();

const sent = await api.send({ phoneNumbers: ["+4915112345678", "+4915112345679"], message: "Hello from the SMSGate client", withDeliveryReport: true });
out("sent", sent);
await lines.next(); // the test has delivered the message

let state;
for (let i = 0; i < 100; i++) {
  state = await api.getState(sent.body.id);
  if (state.body.state === "Delivered" || state.body.state === "Failed") break;
  await new Promise((r) => setTimeout(r, 100));
}
out("state", state);

const hook = await api.registerWebhook({ url: "https://example.org/sms", event: "sms:received" });
out("webhook", hook);
out("webhooks", await api.getWebhooks());
out("deleted", await api.deleteWebhook(hook.body.id));
out("devices", await api.getDevices());
out("health", await api.getHealth());
// The client has no inbox call; read GET /inbox with its own credentials.
out("inbox", await httpClient.get(base + "/inbox", api.defaultHeaders));
rl.close();
