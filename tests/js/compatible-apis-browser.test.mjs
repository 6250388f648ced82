// The official `openai` package, bundled by esbuild, in a headless Chromium page: it streams a
// chat completion from the emulator's /openai/v1 route (another origin, so CORS applies)
// through createSignedFetch, with every event cut into one-byte network writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { EMULATOR, credentials, env, sawClientClose } from './helpers.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const TESTS = fileURLToPath(new URL('../', import.meta.url));
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
let work;
let server;
let origin;
let browser;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bedrock-wasm-openai-'));
  await build({
    stdin: { contents: "export { default as OpenAI } from 'openai';", resolveDir: TESTS, sourcefile: 'openai-entry.js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: join(work, 'openai.js'),
    logLevel: 'error',
  });
  const roots = { '/pkg/': PKG, '/bundle/': `${work}/` };
  server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>openai</title>');
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    try {
      const body = await readFile(join(roots[prefix], path.slice(prefix.length)));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
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
  if (work) await rm(work, { recursive: true, force: true });
});

test('browser: the bundled openai SDK streams through createSignedFetch (one byte per write), and abort closes the connection', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${origin}/`);
    const result = await page.evaluate(
      async ([base, emulator, credentials]) => {
        const { createSignedFetch } = await import(`${base}/pkg/index.js`);
        const { OpenAI } = await import(`${base}/bundle/openai.js`);
        const openai = new OpenAI({
          baseURL: `${emulator}/openai/v1`,
          apiKey: 'unused',
          fetch: createSignedFetch({ region: 'us-east-1', credentials }),
          dangerouslyAllowBrowser: true,
          maxRetries: 0,
        });
        const stream = await openai.chat.completions.create(
          { model: 'openai.gpt-oss-120b-1:0', messages: [{ role: 'user', content: 'emulator-echo:Straße 日本語 ☕' }], stream: true, stream_options: { include_usage: true } },
          { headers: { 'x-emulator-fault': 'fragment=1' } },
        );
        let text = '';
        let usage;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta?.content ?? '';
          usage = chunk.usage ?? usage;
        }
        const plain = await openai.chat.completions.create({ model: 'openai.gpt-oss-20b-1:0', messages: [{ role: 'user', content: 'What is your name?' }] });
        // Abort mid-stream: the id comes from the response (x-amzn-RequestId is exposed).
        const controller = new AbortController();
        const { data: long, response } = await openai.chat.completions
          .create({ model: 'openai.gpt-oss-20b-1:0', messages: [{ role: 'user', content: 'Tell me a long story.' }], stream: true }, { signal: controller.signal })
          .withResponse();
        const it = long[Symbol.asyncIterator]();
        await it.next();
        controller.abort();
        await it.next().catch(() => {});
        return { text, usage, plain: plain.choices[0].message.content, id: response.headers.get('x-amzn-requestid') };
      },
      [origin, EMULATOR, credentials],
    );
    assert.equal(result.text, 'Straße 日本語 ☕');
    assert.equal(result.usage.completion_tokens, 4);
    assert.equal(result.plain, ' My name is Claude.');
    assert.ok(result.id, 'x-amzn-RequestId is readable');
    await sawClientClose(result.id);
  } finally {
    await page.close();
  }
  assert.deepEqual(errors, [], 'uncaught errors in the page');
});
