// Uploads a real clip on the demo page in headless Chromium and checks that the label, the probability bars and
// the spectrogram image appear. Usage: BASE_URL=http://127.0.0.1:PORT CLIP=path SCREENSHOT=out.png node page.test.mjs
import { chromium } from "playwright-core";

const base = process.env.BASE_URL, clip = process.env.CLIP, screenshot = process.env.SCREENSHOT;
if (!base || !clip || !screenshot) throw new Error("BASE_URL, CLIP and SCREENSHOT are required");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
  const failures = [];
  page.on("pageerror", (e) => failures.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") failures.push("console error: " + m.text()); });

  await page.goto(base + "/");
  if ((await page.title()) !== "AudioClassifier") throw new Error("unexpected page title " + (await page.title()));
  await page.setInputFiles("#file-input", clip);
  await page.getByRole("button", { name: "Classify", exact: true }).click();

  await page.waitForFunction(() => document.querySelector("#top-label")?.textContent.includes("%") || !document.querySelector("#error").hidden, null, { timeout: 30000 });
  if (await page.isVisible("#error")) throw new Error("the page showed an error: " + (await page.textContent("#error")));
  await page.waitForFunction(() => { const img = document.querySelector("#spectrogram"); return img && img.complete && img.naturalWidth > 200; }, null, { timeout: 20000 });
  const label = await page.textContent("#top-label");
  const bars = await page.locator("#bars li").count();
  const width = await page.evaluate(() => document.querySelector("#spectrogram").naturalWidth);
  await page.screenshot({ path: screenshot, fullPage: true });
  if (bars < 3) failures.push(`expected at least 3 probability bars, got ${bars}`);
  if (failures.length) throw new Error(failures.join("\n"));
  console.log(JSON.stringify({ label: label.trim(), bars, spectrogramWidth: width, screenshot }));
} finally {
  await browser.close();
}
