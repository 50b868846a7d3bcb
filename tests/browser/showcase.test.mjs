// The page with the shipped model, as a user sees it: an example clip tried with one click, a 30 s mixture of six
// sounds with its events strip, and an out-of-domain clip. Saves three screenshots for the README.
// Usage: BASE_URL=http://127.0.0.1:PORT MIXTURE=30s.wav OOD=siren.ogg SCREENSHOTS=dir node showcase.test.mjs
import { chromium } from "playwright-core";

const { BASE_URL: base, MIXTURE: mixture, OOD: ood, SCREENSHOTS: dir } = process.env;
if (!base || !mixture || !ood || !dir) throw new Error("BASE_URL, MIXTURE, OOD and SCREENSHOTS are required");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const answered = () => document.querySelector("#top-label")?.textContent.length > 0 || !document.querySelector("#error").hidden;
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
  const failures = [];
  page.on("pageerror", (e) => failures.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") failures.push("console error: " + m.text()); });
  await page.goto(base + "/");

  // Examples: one click classifies the clip.
  await page.waitForSelector("#example-buttons button", { timeout: 15000 });
  const examples = await page.locator("#example-buttons button").allTextContents();
  const credit = (await page.textContent("#examples-credit")).trim();
  await page.locator("#example-buttons button").first().click();
  await page.waitForFunction(answered, null, { timeout: 30000 });
  if (await page.isVisible("#error")) throw new Error("the example showed an error: " + (await page.textContent("#error")));
  const exampleLabel = (await page.textContent("#top-label")).trim();
  await page.screenshot({ path: `${dir}/page-example.png`, fullPage: true });

  // A 30 s mixture: the events strip tells what sounds when.
  await page.setInputFiles("#file-input", mixture);
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(answered, null, { timeout: 60000 });
  await page.waitForFunction(() => { const img = document.querySelector("#spectrogram"); return img && img.complete && img.naturalWidth > 200; }, null, { timeout: 20000 });
  const events = await page.locator("#event-list li").allTextContents();
  await page.screenshot({ path: `${dir}/page-mixture.png`, fullPage: true });

  // Out of domain: whatever the page says about it, shown as it is.
  await page.setInputFiles("#file-input", ood);
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(answered, null, { timeout: 30000 });
  const oodLabel = (await page.textContent("#top-label")).trim();
  await page.screenshot({ path: `${dir}/page-out-of-domain.png`, fullPage: true });

  if (examples.length < 2) failures.push(`expected the configured examples, got ${examples.join(", ")}`);
  if (!credit.includes("CC BY")) failures.push("the examples' attribution is not shown: " + credit);
  if (!exampleLabel.includes("%") && !exampleLabel.toLowerCase().includes("not recognised")) failures.push("the example gave no answer: " + exampleLabel);
  if (events.length < 3) failures.push(`expected several events in a 30 s mixture of six sounds, got ${events.length}`);
  if (failures.length) throw new Error(failures.join("\n"));
  console.log(JSON.stringify({ examples, exampleLabel, events, oodLabel }));
} finally {
  await browser.close();
}
