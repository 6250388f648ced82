// No manual init() in the places the package runs: Node (by package name), a plain
// <script type="module"> page, an esbuild bundle, a Vite bundle and a module Web Worker — the
// browser ones in headless Chromium (Debian's, through playwright-core; no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { chromium } from 'playwright-core';
import { EMULATOR, credentials, env, sawClientClose } from './helpers.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const config = { endpoint: EMULATOR, credentials };
let work;
let server;
let origin;
let browser;

/** A project directory whose node_modules/bedrock-wasm is the built pkg/. */
async function project(name) {
  const dir = join(work, name);
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await symlink(PKG, join(dir, 'node_modules/bedrock-wasm'), 'dir');
  await writeFile(join(dir, 'package.json'), '{"type":"module","private":true}');
  for (const f of ['scenario.js', 'app.js', 'node-app.mjs']) await cp(join(FIXTURES, f), join(dir, f));
  return dir;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bedrock-wasm-env-'));
  // The esbuild app: bundled, with the wasm copied next to the bundle.
  const app = await project('esbuild-app');
  await build({ entryPoints: [join(app, 'app.js')], bundle: true, format: 'esm', platform: 'browser', outfile: join(work, 'dist/app.js'), logLevel: 'error' });
  // Both modules, as the README tells esbuild users: the voice module's is fetched only when
  // the page first speaks.
  for (const f of ['bedrock_wasm_bg.wasm', 'bedrock_wasm_voice_bg.wasm']) await cp(join(PKG, f), join(work, 'dist', f));
  await writeFile(join(work, 'dist/index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>');
  // The Vite app: Vite finds the wasm through wasm-bindgen's `new URL(…, import.meta.url)`
  // and emits it as an asset; nothing is copied by hand.
  const vite = await project('vite-app');
  await writeFile(join(vite, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>');
  await viteBuild({
    root: vite, base: './', configFile: false, logLevel: 'error',
    build: { outDir: join(work, 'vite-dist'), emptyOutDir: true },
  });
  const roots = { '/pkg/': PKG, '/fixtures/': FIXTURES, '/bundle/': join(work, 'dist/'), '/vite/': join(work, 'vite-dist/') };
  server = createServer(async (req, res) => {
    let path = new URL(req.url, 'http://x').pathname;
    // The package without its voice module's wasm (a deployment that forgot to copy it).
    if (path.startsWith('/pkg-novoice/')) {
      if (path.endsWith('/bedrock_wasm_voice_bg.wasm')) return res.writeHead(404).end();
      path = path.replace('/pkg-novoice/', '/pkg/');
    }
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    try {
      const body = await readFile(join(roots[prefix], path.slice(prefix.length) || 'index.html'));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'text/html' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  await rm(work, { recursive: true, force: true });
});

async function check(result) {
  assert.deepEqual(result.voice, { said: ['USER: What is your name?', 'ASSISTANT: My name is Claude.'], speech: true });
  assert.equal(result.invokeText, ' My name is Claude.');
  assert.equal(result.text, ' My name is Claude.');
  assert.equal(result.stopReason, 'end_turn');
  assert.equal(result.outputTokens, 4);
  assert.deepEqual(result.error, { name: 'ThrottlingException', fault: 'client', status: 429, typed: true });
  assert.deepEqual(result.surface, {
    counted: true,
    blocked: 'GUARDRAIL_INTERVENED',
    jobDated: true,
    listed: true,
    signed: 'string',
    tool: 'get_weather',
    secondTurn: true,
  });
  await sawClientClose(result.cancelledId);
}

async function inPage(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 20_000 });
    return await page.evaluate((c) => window.run(c), config);
  } finally {
    await page.close();
    assert.deepEqual(errors, []);
  }
}

test('Node ≥ 20, imported by package name (node condition, wasm read from disk)', async () => {
  const dir = await project('node');
  // Node 20 has a global WebSocket only behind this flag (`cargo xtask test-npm` passes it).
  const flags = process.execArgv.filter((a) => a === '--experimental-websocket');
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, join(dir, 'node-app.mjs'), JSON.stringify(config)]);
  await check(JSON.parse(stdout));
});

test('a page that never speaks never fetches the voice module; the first novaSonic does, once', async () => {
  const page = await browser.newPage();
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const voiceFiles = () => fetched.filter((p) => p.includes('bedrock_wasm_voice'));
  try {
    await page.goto(`${origin}/fixtures/page.html`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 20_000 });
    const text = await page.evaluate(async (c) => {
      const { BedrockRuntime, textStream } = await import('/pkg/index.js');
      const client = new BedrockRuntime({ region: 'us-east-1', ...c });
      const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: 'What is your name?' }] });
      const r = await client.invokeModelWithResponseStream({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body });
      let text = '';
      for await (const t of textStream(r)) text += t;
      await client.converse({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
      return text;
    }, config);
    assert.equal(text, ' My name is Claude.');
    assert.ok(fetched.includes('/pkg/bedrock_wasm_bg.wasm'), `the main module was fetched: ${fetched}`);
    assert.deepEqual(voiceFiles(), [], 'no voice module without voice');
    const said = await page.evaluate(async (c) => {
      const { BedrockRuntime, novaSonic } = await import('/pkg/index.js');
      const client = new BedrockRuntime({ region: 'us-east-1', ...c });
      const said = [];
      for (let turn = 0; turn < 2; turn++) {
        const session = await novaSonic(client, {});
        session.sendText('What is your name?');
        session.end();
        for await (const e of session) if (e.type === 'transcript' && e.final) said.push(`${e.role}: ${e.text}`);
      }
      return said;
    }, config);
    assert.deepEqual(said, ['USER: What is your name?', 'ASSISTANT: My name is Claude.', 'USER: What is your name?', 'ASSISTANT: My name is Claude.']);
    assert.deepEqual(voiceFiles().sort(), ['/pkg/bedrock_wasm_voice.js', '/pkg/bedrock_wasm_voice_bg.wasm'], 'fetched once, by the first session');
  } finally {
    await page.close();
  }
});

test("a voice module that is not there: a clear error naming it, the rest works, init(…, voice) points to it", async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/fixtures/page.html`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 20_000 });
    const r = await page.evaluate(async (c) => {
      const m = await import('/pkg-novoice/index.js');
      const client = new m.BedrockRuntime({ region: 'us-east-1', ...c });
      let error;
      try {
        await m.novaSonic(client, {});
      } catch (e) {
        error = e.message;
      }
      const answer = await client.converse({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: 'What is your name?' }] }] });
      await m.init(undefined, '/pkg/bedrock_wasm_voice_bg.wasm');
      const session = await m.novaSonic(client, {});
      session.sendText('What is your name?');
      session.end();
      const said = [];
      for await (const e of session) if (e.type === 'transcript' && e.final) said.push(`${e.role}: ${e.text}`);
      return { error, text: answer.output.message.content[0].text, said };
    }, config);
    assert.match(r.error, /cannot load the voice module, bedrock_wasm_voice_bg\.wasm/);
    assert.match(r.error, /Serve it next to the JavaScript, or pass its URL or bytes to init\(\) as the second argument/);
    assert.equal(r.text, ' My name is Claude.');
    assert.deepEqual(r.said, ['USER: What is your name?', 'ASSISTANT: My name is Claude.']);
  } finally {
    await page.close();
  }
});

test('a plain <script type="module"> page, no bundler', async () => {
  await check(await inPage(`${origin}/fixtures/page.html`));
});

test('an app bundled by esbuild', async () => {
  await check(await inPage(`${origin}/bundle/index.html`));
});

test('an app bundled by Vite (the wasm emitted as an asset by Vite itself)', async () => {
  const { readdir } = await import('node:fs/promises');
  const assets = await readdir(join(work, 'vite-dist/assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `Vite emitted the wasm: ${assets}`);
  await check(await inPage(`${origin}/vite/index.html`));
});

test('a module Web Worker', async () => {
  const page = await browser.newPage();
  await page.goto(`${origin}/fixtures/page.html`);
  const out = await page.evaluate(
    (c) =>
      new Promise((resolve) => {
        const w = new Worker('/fixtures/worker.js', { type: 'module' });
        w.onmessage = ({ data }) => resolve(data);
        w.onerror = (e) => resolve({ error: e.message ?? 'worker error' });
        w.postMessage(c);
      }),
    config,
  );
  await page.close();
  assert.equal(out.error, undefined);
  await check(out.ok);
});
