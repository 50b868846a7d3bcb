// The page with the shipped model, as a user sees it: an example clip tried with one click, a 30 s mixture of six
// sounds with its events strip, and an out-of-domain clip (saved as screenshots for the README); then a clip switched
// mid-request, a lost connection and a phone's width.
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
  let resetting = false; // the lost-connection step's own reset is logged by the browser, as it should be
  page.on("console", (m) => { if (m.type() === "error" && !(resetting && m.text().includes("ERR_CONNECTION_RESET"))) failures.push("console error: " + m.text()); });
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
  // A segment not recognised is striped over its label's colour (an inline background once hid the stripes).
  const stripes = await page.evaluate(() => [...document.querySelectorAll("#events .segment.unrecognised")].map((s) => getComputedStyle(s).backgroundImage));
  if (oodLabel.startsWith("Not recognised") && (!stripes.length || stripes.some((b) => b === "none")))
    failures.push("a not-recognised segment is not striped: " + JSON.stringify(stripes));

  // A new clip chosen while the previous one is being classified: that answer never appears under the new clip.
  let delayed = 0;
  await page.route("**/classify?*", async (route) => {
    if (delayed++ === 0) await new Promise((r) => setTimeout(r, 2000));
    try { await route.continue(); } catch { /* the page gave up on it */ }
  });
  await page.setInputFiles("#file-input", mixture);
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForTimeout(300);
  await page.setInputFiles("#file-input", ood);
  if (await page.isVisible("#progress-row")) failures.push("the progress indicator of the abandoned clip is still shown");
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(answered, null, { timeout: 30000 });
  await page.waitForTimeout(2500); // past the moment the abandoned request would have answered
  const raced = (await page.textContent("#top-label")).trim();
  if (raced !== oodLabel) failures.push(`after switching clips mid-request the page shows "${raced}", not the new clip's "${oodLabel}"`);
  await page.unroute("**/classify?*");

  // A lost connection is said in words, not as the browser's "Failed to fetch".
  resetting = true;
  await page.route("**/classify?*", (route) => route.abort("connectionreset"));
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(answered, null, { timeout: 30000 });
  const lost = (await page.textContent("#error")).trim();
  if (!lost.startsWith("Lost the connection to the service")) failures.push("a lost connection showed: " + lost);
  await page.unroute("**/classify?*");
  resetting = false;

  // At a phone's width the probability bars keep a usable length.
  await page.setViewportSize({ width: 375, height: 900 });
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(answered, null, { timeout: 30000 });
  const track = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector("#bars li")).gridTemplateColumns.split(" ")[1]));
  if (!(track >= 80)) failures.push(`at 375 px the bars' column is ${track} px wide`);
  await page.screenshot({ path: `${dir}/page-phone.png`, fullPage: true });

  if (examples.length < 2) failures.push(`expected the configured examples, got ${examples.join(", ")}`);
  if (!credit.includes("CC BY")) failures.push("the examples' attribution is not shown: " + credit);
  if (!exampleLabel.includes("%") && !exampleLabel.toLowerCase().includes("not recognised")) failures.push("the example gave no answer: " + exampleLabel);
  if (events.length < 3) failures.push(`expected several events in a 30 s mixture of six sounds, got ${events.length}`);
  if (failures.length) throw new Error(failures.join("\n"));
  console.log(JSON.stringify({ examples, exampleLabel, events, oodLabel, raced, lost, track }));
} finally {
  await browser.close();
}
