// Swagger UI's "Try it out" against the running service: opens /swagger, runs GET /healthz/live from the page and
// checks the UI shows the service's 200 answer (it failed on any port but 8080 while the document named
// http://localhost:8080). Usage: BASE_URL=http://127.0.0.1:PORT node swagger.test.mjs
import { chromium } from "playwright-core";

const base = process.env.BASE_URL;
if (!base) throw new Error("BASE_URL is required");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(base + "/swagger/index.html");
  const operation = page.locator(".opblock").filter({ has: page.locator(".opblock-summary-path", { hasText: /^\/healthz\/live$/ }) });
  await operation.locator(".opblock-summary").first().click();
  await operation.getByRole("button", { name: "Try it out" }).click();
  await operation.getByRole("button", { name: "Execute" }).click();
  const status = operation.locator(".live-responses-table tr.response .response-col_status").first();
  await status.waitFor({ timeout: 20000 });
  const code = (await status.textContent()).trim();
  const called = requests.filter((u) => u.endsWith("/healthz/live"));
  if (code !== "200") throw new Error(`Try it out answered ${code}; requests: ${called.join(", ")}`);
  if (!called.some((u) => u.startsWith(base))) throw new Error(`Try it out did not call ${base}: ${called.join(", ")}`);
  console.log(JSON.stringify({ status: code, called }));
} finally {
  await browser.close();
}
