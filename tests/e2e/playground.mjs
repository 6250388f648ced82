// End-to-end test of the release playground (dist/) against the emulator, in headless
// Chromium driven by Playwright (playwright-core, Debian's /usr/bin/chromium: no download).
// `cargo xtask test` starts both servers and passes everything through the environment.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { featureTests } from './features.mjs';

const env = process.env;
const expected = JSON.parse(env.EXPECTED);

/** Page object over the playground's public data-testid hooks. */
class Playground {
  constructor(page) {
    this.page = page;
  }
  byId(id) {
    return this.page.getByTestId(id);
  }
  async open(url = env.PLAYGROUND_URL) {
    await this.page.goto(url);
    await this.byId('send').waitFor();
  }
  async fill(fields) {
    for (const [id, value] of Object.entries(fields)) {
      await this.byId(id).fill(String(value));
    }
  }
  async fillValid(extra = {}) {
    await this.fill({
      'access-key-id': env.ACCESS_KEY_ID,
      'secret-access-key': env.SECRET_ACCESS_KEY,
      'session-token': env.SESSION_TOKEN,
      region: 'us-east-1',
      endpoint: env.EMULATOR_URL,
      'model-id': 'anthropic.claude-v2',
      prompt: expected.prompt,
      'max-tokens': expected.maxTokens,
      ...extra,
    });
  }
  text(id) {
    return this.byId(id).textContent();
  }
  /** Records every distinct text the output shows, from inside the page. */
  async recordOutput() {
    await this.page.evaluate(() => {
      const output = document.querySelector('[data-testid="output"]');
      window.__samples = [];
      const record = () => {
        const t = output.textContent;
        if (window.__samples[window.__samples.length - 1] !== t) window.__samples.push(t);
      };
      new MutationObserver(record).observe(output, { childList: true, characterData: true, subtree: true });
    });
  }
  samples() {
    return this.page.evaluate(() => window.__samples);
  }
  async waitForMetrics(id = 'metrics') {
    await this.page.waitForFunction(
      (id) => document.querySelector(`[data-testid="${id}"]`).textContent.trim() !== '',
      id,
      { timeout: 30_000 },
    );
  }
  async waitForError(id = 'error') {
    await this.page.waitForFunction(
      (id) => document.querySelector(`[data-testid="${id}"]`).textContent.trim() !== '',
      id,
      { timeout: 30_000 },
    );
    return this.text(id);
  }
  /** Opens a <details> section by its data-testid, and waits for its content: some sections
   *  (the code view, the inspector, compare) load it on first open (www/src/lazy.rs). */
  async expand(id) {
    await this.page.evaluate((id) => { document.querySelector(`[data-testid="${id}"]`).open = true; }, id);
    await this.page.waitForFunction((id) => {
      const d = document.querySelector(`[data-testid="${id}"]`);
      return d.children.length > 1 && !d.querySelector('[data-testid="lazy-loading"]');
    }, id);
  }
  /** What this origin keeps across reloads: localStorage, sessionStorage, and every record
   *  of every IndexedDB store (as `{ "<database>/<store>": [records] }`). */
  stored() {
    return this.page.evaluate(async () => {
      const done = (r) => new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
      const idb = {};
      // Only databases that exist are opened (opening creates one, without the page's stores).
      for (const { name } of window.indexedDB ? await indexedDB.databases() : []) {
        const db = await done(indexedDB.open(name));
        for (const store of db.objectStoreNames) idb[`${name}/${store}`] = await done(db.transaction(store).objectStore(store).getAll());
        db.close();
      }
      return { local: { ...localStorage }, session: { ...sessionStorage }, idb };
    });
  }
  /** Fails if a secret (the emulator's secret key, session token or API key) is kept in
   *  localStorage or IndexedDB, or in sessionStorage without "Remember in this tab". */
  async assertNoStoredSecret() {
    if (new URL(this.page.url()).origin !== new URL(env.PLAYGROUND_URL).origin) return;
    const { local, session, idb } = await this.stored();
    const remembered = await this.page.evaluate(() => document.querySelector('[data-testid="remember"]')?.checked);
    const kept = JSON.stringify(remembered ? { local, idb } : { local, session, idb });
    for (const [what, secret] of [['secret key', env.SECRET_ACCESS_KEY], ['session token', env.SESSION_TOKEN], ['API key', env.API_KEY]]) {
      assert.ok(!kept.includes(secret), `the ${what} is kept in the browser's storage`);
    }
  }
  async screenshot(name) {
    mkdirSync(ARTIFACTS, { recursive: true });
    await this.page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  }
}

const ARTIFACTS = new URL('./artifacts', import.meta.url).pathname;

export async function emulatorLog() {
  const response = await fetch(`${env.EMULATOR_URL}/_emulator/log`);
  assert.equal(response.status, 200);
  return response.json();
}

const tests = {
  async 'the page loads with its Content-Security-Policy and no third-party request'(p) {
    const csp = await p.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self' https:\/\/\*\.amazonaws\.com/);
    // Voice mode's WebSocket: Bedrock's and the emulator's, nothing else.
    assert.match(csp, /connect-src [^;]*wss:\/\/\*\.amazonaws\.com[^;]* ws:\/\/127\.0\.0\.1:\* ws:\/\/localhost:\*;/);
    await p.screenshot('01-initial');
  },

  async 'streams the answer token by token and shows the invocation metrics'(p) {
    await p.fillValid();
    await p.recordOutput();
    await p.byId('send').click();
    await p.page.waitForFunction(() => window.__samples.length >= 6);
    await p.screenshot('02-streaming');
    await p.waitForMetrics();
    await p.screenshot('03-answer-with-figures');
    const final = await p.text('output');
    assert.equal(final, expected.text, 'the final text is the emulator\'s deterministic answer');
    const samples = await p.samples();
    const partial = samples.filter((s) => s !== '' && s !== final);
    assert.ok(partial.length >= 3, `saw ${partial.length} partial states, want at least 3`);
    for (const s of samples) assert.ok(final.startsWith(s), `a partial state is not a prefix: ${JSON.stringify(s)}`);
    const metrics = await p.text('metrics');
    assert.match(metrics, new RegExp(`input tokens ${expected.inputTokens}\\b`));
    assert.match(metrics, new RegExp(`output tokens ${expected.outputTokens}\\b`));
    assert.match(metrics, new RegExp(`stop reason ${expected.stopReason}`));
    assert.equal(await p.text('error'), '');
  },

  async 'sends without streaming and shows the same answer'(p) {
    await p.fillValid();
    await p.byId('send-once').click();
    await p.waitForMetrics();
    assert.equal(await p.text('output'), expected.text);
    assert.match(await p.text('metrics'), new RegExp(`stop reason ${expected.stopReason}`));
  },

  async 'Stop ends the stream: the text stops growing and the connection is closed'(p) {
    await p.fillValid();
    await p.recordOutput();
    await p.byId('send').click();
    await p.page.waitForFunction(() => window.__samples.length >= 4);
    await p.byId('stop').click();
    await p.waitForMetrics();
    const stopped = await p.text('output');
    assert.ok(stopped.length > 0 && stopped.length < expected.text.length, 'stopped part-way');
    assert.ok(expected.text.startsWith(stopped), 'the partial text stays visible');
    await p.page.waitForTimeout(500);
    assert.equal(await p.text('output'), stopped, 'the text must not grow after Stop');
    assert.equal(await p.text('metrics'), 'Stopped.');
    assert.equal(await p.text('error'), '');
    let record;
    for (let i = 0; i < 50; i++) {
      const log = await emulatorLog();
      record = log.filter((r) => r.operation === 'InvokeModelWithResponseStream').at(-1);
      if (record?.client_closed_early) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(record?.client_closed_early, true, 'the emulator saw the client close the stream');
    assert.equal(record.completed, false);
  },

  async 'Esc stops a stream too'(p) {
    await p.fillValid();
    await p.recordOutput();
    await p.byId('send').click();
    await p.page.waitForFunction(() => window.__samples.length >= 3);
    await p.page.keyboard.press('Escape');
    await p.waitForMetrics();
    assert.equal(await p.text('metrics'), 'Stopped.');
    assert.ok((await p.text('output')).length < expected.text.length);
  },

  async 'a wrong secret shows the signature error in plain words'(p) {
    await p.fillValid({ 'secret-access-key': 'wrong-secret' });
    await p.byId('send').click();
    await p.page.waitForFunction(
      () => document.querySelector('[data-testid="error"]').textContent.trim() !== '',
      null,
      { timeout: 15_000 },
    );
    const error = await p.text('error');
    assert.match(error, /InvalidSignatureException/);
    assert.match(error, /signature we calculated does not match/);
    assert.match(error, /secret access key/i, 'says what to fix');
    assert.equal(await p.text('output'), '');
  },
  ...featureTests({ env, expected, emulatorLog, Playground }),
};

/**
 * The fake microphone's sound (voice mode's specs): 16-bit mono PCM at 48 kHz, 1 s of a loud
 * 440 Hz tone (peak 16384, over the emulator's LOUD) then 1.5 s of silence (over its 800 ms
 * end of speech). Chromium plays it in a loop.
 */
function microphoneWav() {
  const rate = 48_000;
  const samples = new Int16Array(rate * 2.5);
  for (let n = 0; n < rate; n++) samples[n] = Math.round(16384 * Math.sin((2 * Math.PI * 440 * n) / rate));
  const data = Buffer.from(samples.buffer);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  const path = join(tmpdir(), `bedrock-wasm-e2e-microphone-${process.pid}.wav`);
  writeFileSync(path, Buffer.concat([header, data]));
  return path;
}

const only = env.E2E_ONLY ? new RegExp(env.E2E_ONLY) : null;
const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // A microphone for voice mode: granted without a prompt, fed from a generated file.
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${microphoneWav()}`,
    '--autoplay-policy=no-user-gesture-required',
  ],
});
let failed = 0;
try {
  for (const [name, run] of Object.entries(tests)) {
    if (only && !only.test(name)) continue;
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // Every spec also checks: no Content-Security-Policy violation, no request to any host
    // but the local site and the emulator, and no secret left in the browser's storage.
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    page.on('request', (r) => {
      // A `blob:` URL (an attachment's thumbnail) names the page's own origin inside it.
      if (r.url().startsWith('data:')) return;
      const host = new URL(r.url().replace(/^blob:/, '')).hostname;
      if (host !== '127.0.0.1' && host !== 'localhost') problems.push(`third-party request: ${r.url()}`);
    });
    const started = Date.now();
    try {
      const p = new Playground(page);
      await p.open();
      await run(p);
      await p.assertNoStoredSecret();
      assert.deepEqual(problems, [], 'no uncaught errors in the page');
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}\n${e.stack}`);
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
}
if (failed) {
  console.log(`${failed} end-to-end test(s) failed`);
  process.exit(1);
}
