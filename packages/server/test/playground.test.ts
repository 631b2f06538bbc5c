/**
 * The web playground at `/`: the JSON index for API clients (every link it
 * lists answers), and the page in a real browser (headless Chromium through
 * playwright-core) running the built-in model: a form from the schema, tokens
 * appearing while the prediction runs, Cancel, readable errors, the token
 * field, file inputs, and no console errors.
 *
 * `UPDATE_SCREENSHOTS=1` saves docs/playground.png.
 */
import { needComponent } from "@tscog/runtime/testing";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeProject } from "@tscog/runtime/testing";
import type { BrowserContext, Page } from "playwright-core";
import { serve, type TscogServer } from "../src/index.js";
import { postJson, startFake } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const TINY_LM = fileURLToPath(new URL("../../../../templates/tiny-lm", import.meta.url));
const SCREENSHOT = fileURLToPath(new URL("../../../../docs/playground.png", import.meta.url));

let browser: BrowserContext | undefined;
let profile = "";

/** Headless Chromium, or undefined (test skipped) when it is not installed outside CI. */
async function chromium(t: { skip(reason: string): void }): Promise<BrowserContext | undefined> {
  if (!needComponent(t, existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install -y chromium)`)) return undefined;
  if (browser) return browser;
  const { chromium } = await import("playwright-core");
  profile = mkdtempSync(join(tmpdir(), "tscog-playground-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return browser;
}

after(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Console errors and uncaught exceptions of a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

test("GET / answers API clients with the JSON index, and every link in it answers", async () => {
  const server = await startFake({});
  try {
    const html = await fetch(`${server.url}/`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    assert.equal(html.status, 200);
    assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(html.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    const page = await html.text();
    assert.doesNotMatch(page, /(src|href)=["']?(https?:)?\/\//, "nothing is loaded from another host");

    for (const accept of [undefined, "application/json", "*/*"]) {
      const res = await fetch(`${server.url}/`, accept ? { headers: { accept } } : {});
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, `Accept: ${accept}`);
    }
    const index = (await (await fetch(`${server.url}/`)).json()) as Record<string, string>;
    const p = await (await postJson(`${server.url}/predictions`, { input: { mode: "echo", text: "x" } })).json();
    for (const [name, link] of Object.entries(index)) {
      const url = `${server.url}${link.replace("{prediction_id}", p.id)}`;
      if (name === "shutdown_url") {
        assert.equal((await fetch(url)).status, 405, "shutdown exists (POST only); not called here");
        continue;
      }
      const method = name === "predictions_cancel_url" || name === "predictions_url" ? "POST" : "GET";
      const res = method === "POST" ? await postJson(url, name === "predictions_url" ? { input: { mode: "echo", text: "y" } } : {}) : await fetch(url);
      assert.equal(res.status, 200, `${name}: ${method} ${link}`);
      if (name === "docs_url") assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      await res.arrayBuffer();
    }
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("the built-in model in Chromium: form from the schema, live tokens, stats, snippets, Cancel, no console errors", async (t) => {
  const context = await chromium(t);
  if (!context) return;
  const server: TscogServer = await serve({ dir: TINY_LM });
  try {
    await server.ready;
    assert.equal(server.service.health().status, "READY", server.service.health().setup.logs);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(server.url);

    // One field per input, with defaults, bounds and descriptions.
    await page.locator("#in-prompt").waitFor();
    assert.equal(await page.locator("#in-prompt").evaluate((e) => e.tagName), "TEXTAREA");
    const tokens = page.locator("#in-max_new_tokens");
    assert.deepEqual([await tokens.getAttribute("type"), await tokens.getAttribute("min"), await tokens.getAttribute("max"), await tokens.inputValue()], ["number", "1", "1024", "64"]);
    assert.equal(await page.locator("#in-temperature").inputValue(), "0.8");
    assert.equal(await page.locator("#in-seed").inputValue(), "");
    assert.match(await page.locator("form").innerText(), /Most tokens to generate/);

    // Run: tokens appear while the prediction is still processing.
    await page.locator("#in-prompt").fill("The state of the nation");
    await tokens.fill("160");
    assert.match(await page.locator("#curl").innerText(), /"prompt":"The state of the nation","max_new_tokens":160/);
    assert.match(await page.locator("#replicate").innerText(), /baseUrl: "http:\/\/127\.0\.0\.1:\d+\/v1"/);
    // tiny-lm enables the OpenAI routes: the page shows an openai snippet for the prompt entered.
    assert.match(await page.locator("#openai").innerText(), /client\.completions\.create\(\{ model: "tiny-lm", prompt: "[^"]+", stream: true \}\)/);
    await page.locator("#run").click();
    await page.waitForFunction(() => document.getElementById("output")!.textContent!.length > 0 && document.getElementById("status")!.textContent === "processing…", null, {
      timeout: 30_000,
      polling: 5,
    });
    const partial = await page.locator("#output").innerText();
    await page.waitForFunction(() => document.getElementById("status")!.textContent === "succeeded", null, { timeout: 60_000 });
    const full = await page.locator("#output").innerText();
    assert.ok(full.length > partial.length && full.startsWith(partial.slice(0, 10)), "the output grew after the first tokens");
    const stats = await page.locator("#stats").innerText();
    assert.match(stats, /time to first token: \d+\.\d{3} s/);
    assert.match(stats, /tokens: \d+/);
    assert.match(stats, /tokens\/s: \d+(\.\d)?/);
    assert.match(stats, /predict time: \d+\.\d{3} s/);
    if (process.env.UPDATE_SCREENSHOTS === "1") await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Cancel a long one.
    await tokens.fill("1024");
    await page.locator("#run").click();
    await page.waitForFunction(() => document.getElementById("output")!.textContent!.length > 20, null, { timeout: 30_000, polling: 5 });
    await page.locator("#cancel").click();
    await page.waitForFunction(() => document.getElementById("status")!.textContent === "canceled", null, { timeout: 20_000 });
    assert.equal(await page.locator("#error").isHidden(), true);
    assert.equal(await page.locator("#run").isEnabled(), true);

    assert.deepEqual(errors, []);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

const KITCHEN_SINK = `import { BasePredictor, Input, type InputsOf, type Path } from "tscog";
import { readFileSync } from "node:fs";
const inputs = {
  text: Input.string({ description: "Some text", default: "hello" }),
  count: Input.integer({ description: "How many", default: 2, ge: 1, le: 10 }),
  flavor: Input.string({ description: "Pick one", choices: ["vanilla", "mint"], default: "mint" }),
  loud: Input.boolean({ default: false }),
  key: Input.secret({ description: "An API key" }),
  image: Input.path({ description: "A file", optional: true }),
  fail: Input.boolean({ default: false }),
};
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ text, count, flavor, loud, key, image, fail }: InputsOf<typeof inputs>): Promise<{ said: string; flavor: string; keyLength: number; fileBytes: number }> {
    if (fail) throw new Error("the model refused: too " + flavor);
    const said = (loud ? text.toUpperCase() : text).repeat(count);
    return { said, flavor, keyLength: key.value.length, fileBytes: image ? readFileSync(image as unknown as string).length : -1 };
  }
}
`;

test("with a token: the page asks for it; secrets, choices, checkboxes and files; object output; readable errors", async (t) => {
  const context = await chromium(t);
  if (!context) return;
  const token = "playground-token-9";
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": KITCHEN_SINK });
  const server = await serve({ dir, token });
  try {
    await server.ready;
    assert.equal(server.service.health().status, "READY", server.service.health().setup.logs);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(server.url);
    await page.waitForFunction(() => /API token/.test(document.getElementById("status")!.textContent!));
    assert.equal(await page.locator("#in-text").count(), 0, "no form before the token");
    await page.locator("#token").fill(token);
    await page.locator("#token").dispatchEvent("change");
    await page.locator("#in-text").waitFor();

    assert.equal(await page.locator("#in-key").getAttribute("type"), "password");
    assert.equal(await page.locator("#in-image").getAttribute("type"), "file");
    assert.equal(await page.locator("#in-loud").getAttribute("type"), "checkbox");
    assert.deepEqual(await page.locator("#in-flavor option").allInnerTexts(), ["vanilla", "mint"]);
    assert.equal(await page.locator("#in-flavor").inputValue(), "mint");
    assert.equal(await page.locator("#in-text").inputValue(), "hello");

    await page.locator("#in-text").fill("hi ");
    await page.locator("#in-count").fill("3");
    await page.locator("#in-flavor").selectOption("vanilla");
    await page.locator("#in-loud").check();
    await page.locator("#in-key").fill("sk-secret-value");
    await page.locator("#in-image").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: Buffer.from("89504e470d0a1a0a", "hex") });
    const curl = await page.locator("#curl").innerText();
    assert.match(curl, /Authorization: Bearer \$TSCOG_API_TOKEN/);
    assert.doesNotMatch(curl, /sk-secret-value/, "snippets never show the secret");
    assert.match(curl, /<data: URL of dot\.png, 8 bytes>/);
    await page.locator("#run").click();
    await page.waitForFunction(() => document.getElementById("status")!.textContent === "succeeded", null, { timeout: 30_000 });
    const output = JSON.parse(await page.locator("#output pre").innerText());
    assert.deepEqual(output, { said: "HI HI HI ", flavor: "vanilla", keyLength: 15, fileBytes: 8 });

    // A failed prediction shows its error as a readable message.
    await page.locator("#in-fail").check();
    await page.locator("#run").click();
    await page.waitForFunction(() => document.getElementById("status")!.textContent === "failed", null, { timeout: 30_000 });
    assert.match(await page.locator("#error").innerText(), /the model refused: too vanilla/);

    // An invalid input: the 422's details, field by field.
    await page.locator("#in-fail").uncheck();
    await page.locator("#in-count").fill("99");
    // The browser's own check (max=10) would stop this; the server's check is what is tested here.
    await page.locator("#in-count").evaluate((e) => e.removeAttribute("max"));
    await page.locator("#run").click();
    // Wait for the 422's message itself: the status already read "failed" from the run before.
    await page.waitForFunction(() => /count: /.test(document.getElementById("error")!.textContent!), null, { timeout: 30_000 });
    assert.equal(await page.locator("#status").innerText(), "failed");
    assert.match(await page.locator("#error").innerText(), /^count: .*10/m);

    // The only console errors: the browser's own report of the 422 response.
    assert.deepEqual(errors.filter((e) => !/Failed to load resource: the server responded with a status of 422/.test(e)), []);
  } finally {
    await server.close({ graceMs: 100 });
  }
});
