// Uploads a real clip on the demo page in headless Chromium and checks that the label, the probability bars and
// the spectrogram image appear. Usage: BASE_URL=http://127.0.0.1:PORT CLIP=path SCREENSHOT=out.png node page.test.mjs
import { chromium } from "playwright-core";

const base = process.env.BASE_URL, clip = process.env.CLIP, screenshot = process.env.SCREENSHOT, silence = process.env.SILENCE;
if (!base || !clip || !screenshot || !silence) throw new Error("BASE_URL, CLIP, SILENCE and SCREENSHOT are required");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         // A fake microphone (a beep) that needs no permission prompt, for the recording check.
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
  await context.grantPermissions(["microphone"]);
  const page = await context.newPage();
  const failures = [];
  page.on("pageerror", (e) => failures.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") failures.push("console error: " + m.text()); });
  const uploads = [];
  page.on("request", (r) => { if (r.method() === "POST") uploads.push(r.url()); });

  await page.goto(base + "/");
  if ((await page.title()) !== "AudioClassifier") throw new Error("unexpected page title " + (await page.title()));
  await page.setInputFiles("#file-input", clip);
  await page.getByRole("button", { name: "Classify", exact: true }).click();

  await page.waitForFunction(() => document.querySelector("#top-label")?.textContent.length > 0 || !document.querySelector("#error").hidden, null, { timeout: 30000 });
  if (await page.isVisible("#error")) throw new Error("the page showed an error: " + (await page.textContent("#error")));
  await page.waitForFunction(() => { const img = document.querySelector("#spectrogram"); return img && img.complete && img.naturalWidth > 200; }, null, { timeout: 20000 });
  const label = await page.textContent("#top-label");
  const bars = await page.locator("#bars li").count();
  const width = await page.evaluate(() => document.querySelector("#spectrogram").naturalWidth);
  const segments = await page.locator("#events .segment").count();
  if (await page.isVisible("#progress-row")) failures.push("the progress indicator is still shown after the answer");
  await page.screenshot({ path: screenshot, fullPage: true });
  if (bars < 3) failures.push(`expected at least 3 probability bars, got ${bars}`);
  if (segments < 1) failures.push("no event segments under the result");
  if (uploads.length !== 1) failures.push(`expected one upload per classification, saw ${uploads.length}: ${uploads.join(", ")}`);

  // Silence: the previous result is cleared and the page says what it is instead of naming a label.
  await page.setInputFiles("#file-input", silence);
  if (await page.locator("#bars li").count() !== 0) failures.push("the previous result stayed after choosing a new clip");
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(() => document.querySelector("#top-label")?.textContent.length > 0 || !document.querySelector("#error").hidden, null, { timeout: 30000 });
  const silentLabel = (await page.textContent("#top-label")).trim();
  if (!silentLabel.startsWith("Silence")) failures.push("a silent clip showed: " + silentLabel);
  if (await page.locator("#bars li").count() !== 0) failures.push("a silent clip showed probability bars");
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-silence.png"), fullPage: true });

  // Recording from the (fake) microphone: about 1.5 s, stopped by hand, becomes the clip and is classified.
  const record = page.locator("#record");
  await record.click();
  const started = Date.now();
  await page.waitForFunction(() => /^Recording… [1-9]\d* s/.test(document.querySelector("#record-status").textContent), null, { timeout: 15000 });
  await page.waitForTimeout(400);
  await record.click();
  await page.waitForFunction(() => document.querySelector("#record-status").textContent.startsWith("Recorded"), null, { timeout: 15000 });
  const wall = (Date.now() - started) / 1000;
  const recorded = parseFloat((await page.textContent("#record-status")).replace("Recorded ", ""));
  // At least the second the status showed, at most the time that passed.
  if (!(recorded >= 1 && recorded <= wall + 0.5)) failures.push(`a recording stopped after ${wall.toFixed(1)} s reported ` + (await page.textContent("#record-status")));
  if ((await record.getAttribute("aria-pressed")) !== "false") failures.push("the record button stayed pressed after stopping");
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(() => document.querySelector("#top-label")?.textContent.length > 0 || !document.querySelector("#error").hidden, null, { timeout: 30000 });
  if (await page.isVisible("#error")) failures.push("the recording was refused: " + (await page.textContent("#error")));
  const recordedLabel = (await page.textContent("#top-label")).trim();

  // A recording left running stops by itself at the page's limit (data-max-seconds; 600 s on the page as served).
  await page.evaluate(() => { document.querySelector("#record").dataset.maxSeconds = "1"; });
  await record.click();
  await page.waitForFunction(() => document.querySelector("#record").getAttribute("aria-pressed") === "true", null, { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector("#record-status").textContent.startsWith("Recorded"), null, { timeout: 15000 });
  const capped = parseFloat((await page.textContent("#record-status")).replace("Recorded ", ""));
  if (capped !== 1) failures.push("a recording capped at 1 s reported " + (await page.textContent("#record-status")));

  // A service that never answers (the request held by the browser): the page's own limit ends it with a message.
  await page.route("**/classify**", () => { /* never answered */ });
  await page.evaluate(() => { document.querySelector("#classify").dataset.timeoutSeconds = "1"; });
  await page.getByRole("button", { name: "Classify", exact: true }).click();
  await page.waitForFunction(() => !document.querySelector("#error").hidden, null, { timeout: 15000 });
  const timedOut = (await page.textContent("#error")).trim();
  if (!timedOut.includes("did not answer within 1 s")) failures.push("a hanging request showed: " + timedOut);
  if (await page.isVisible("#progress-row")) failures.push("the progress indicator stayed after the page's time limit");
  if (await page.isDisabled("#classify")) failures.push("the classify button stayed disabled after the page's time limit");
  await page.unroute("**/classify**");
  if (failures.length) throw new Error(failures.join("\n"));
  console.log(JSON.stringify({ label: label.trim(), bars, segments, uploads: uploads.length, silentLabel, recorded, recordedLabel, capped, timedOut, spectrogramWidth: width, screenshot }));
} finally {
  await browser.close();
}
