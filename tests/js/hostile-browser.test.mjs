// The hostile-server suite's key cases in headless Chromium, where the browser is the
// subject: a redirect is opaque there, CORS applies, and an uncaught error would show as a
// page error. Each case runs in its own page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { EVENTSTREAM, concat, converseEvent } from './hostile/wire.mjs';

const PKG = fileURLToPath(new URL('../../pkg/', import.meta.url));
const PKG_TEST = process.env.PKG_TEST_DIR;
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-expose-headers': '*', 'access-control-allow-methods': '*' };
let server;
let origin;
let browser;

const HOSTILE = {
  '/redirect': (res) => (res.writeHead(307, { ...CORS, location: '/ok' }), res.end()),
  '/ok': (res) => (res.writeHead(200, { ...CORS, 'content-type': 'application/json' }), res.end('{"completion":"ok"}')),
  '/constructor': (res) => (res.writeHead(400, { ...CORS, 'content-type': 'application/json', 'x-amzn-errortype': 'constructor' }), res.end('{"message":"odd"}')),
  '/huge-error': (res) => {
    res.writeHead(500, { ...CORS, 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' });
    const block = Buffer.alloc(1 << 20, 'x');
    let n = 0;
    const push = () => {
      while (n++ < 64) if (!res.write(block)) return res.once('drain', push);
      res.end();
    };
    res.on('close', () => (n = Infinity));
    push();
  },
  '/surrogate': (res) => {
    res.writeHead(200, { ...CORS, 'content-type': EVENTSTREAM });
    res.end(concat([
      converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"a\\ud83d"}}'),
      converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"b"}}'),
      converseEvent('messageStop', '{"stopReason":"end_turn"}'),
    ]));
  },
  '/slow': (res) => setTimeout(() => HOSTILE['/ok'](res), 3000),
  '/hold': (res) => {
    res.writeHead(200, { ...CORS, 'content-type': EVENTSTREAM });
    res.write(converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"a"}}'));
  },
};

before(async () => {
  server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (req.method === 'OPTIONS') return res.writeHead(204, CORS).end();
    // The case is chosen by the endpoint's first path segment: /h/<case>/model/…
    const m = path.match(/^\/h(\/[a-z-]+)\//);
    if (m && HOSTILE[m[1]]) return HOSTILE[m[1]](res);
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>hostile</title>');
    const [root, rest] = path.startsWith('/pkg-test/') && PKG_TEST ? [PKG_TEST, path.slice(10)] : [PKG, path.slice(5)];
    try {
      const body = await readFile(join(root, rest));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
});

/** Runs `fn(pkg, endpointFor)` in a fresh page; page errors (uncaught) fail the case. */
async function inPage(fn, pkgPath = '/pkg/index.js') {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ([src, pkgUrl, base]) => {
        const pkg = await import(pkgUrl);
        const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' };
        const client = (c, extra = {}) => new pkg.BedrockRuntime({ region: 'us-east-1', endpoint: `${base}/h/${c}`, credentials, maxAttempts: 1, ...extra });
        const named = async (p) => p.then(() => 'resolved', (e) => ({ name: e.name, message: e.message, isError: e instanceof Error, isService: e instanceof pkg.BedrockRuntimeServiceException }));
        return new Function('pkg', 'client', 'named', `return (${src})(pkg, client, named)`)(pkg, client, named);
      },
      [fn.toString(), `${origin}${pkgPath}`, origin],
    );
  } finally {
    await page.close();
    assert.deepEqual(errors, [], 'uncaught errors in the page');
  }
}

test('browser: a redirect is never followed (opaque redirect → RedirectError)', async () => {
  const r = await inPage((pkg, client, named) => named(client('redirect').invokeModel({ modelId: 'anthropic.claude-v2', body: '{}' })));
  assert.equal(r.name, 'RedirectError', JSON.stringify(r));
});

test('browser: credentials are refused for a plain-http non-loopback endpoint', async () => {
  const r = await inPage((pkg, client, named) =>
    named(new pkg.BedrockRuntime({ region: 'us-east-1', endpoint: 'http://bedrock.example.invalid', token: 'k' }).invokeModel({ modelId: 'm', body: '{}' })),
  );
  assert.equal(r.name, 'InsecureEndpointError');
});

test('browser: an error named constructor is a real service error', async () => {
  const r = await inPage((pkg, client, named) => named(client('constructor').invokeModel({ modelId: 'anthropic.claude-v2', body: '{}' })));
  assert.deepEqual(r, { name: 'constructor', message: 'odd', isError: true, isService: true });
});

test('browser: a 64 MiB error body is cut at 1 MiB', async () => {
  const r = await inPage((pkg, client, named) => named(client('huge-error').invokeModel({ modelId: 'anthropic.claude-v2', body: '{}' })));
  assert.equal(r.name, 'InternalServerException');
  assert.match(r.message, /cut after 1048576 bytes/);
});

test('browser: a lone surrogate in a text delta does not stop textStream', async () => {
  const r = await inPage(async (pkg, client) => {
    const t = pkg.textStream(client('surrogate').converseStream({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [] }));
    let text = '';
    for await (const p of t) text += p;
    return { text, stop: (await t.result).stopReason };
  });
  assert.deepEqual(r, { text: 'a\ufffdb', stop: 'end_turn' });
});

test('browser: requestHandler.requestTimeout aborts a slow answer with a TimeoutError', async () => {
  const r = await inPage((pkg, client, named) =>
    named(client('slow', { requestHandler: { requestTimeout: 200 } }).invokeModel({ modelId: 'anthropic.claude-v2', body: '{}' })),
  );
  assert.equal(r.name, 'TimeoutError');
});

test('browser: a panic in a task rejects the calls in flight, the page lives, the module restarts', { skip: !PKG_TEST && 'PKG_TEST_DIR is unset' }, async () => {
  const r = await inPage(async (pkg, client, named) => {
    const c = client('hold', { streamIdleTimeout: 3000 });
    const s = await c.converseStream({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [] });
    const it = s.stream[Symbol.asyncIterator]();
    await it.next();
    const pending = named(it.next());
    const panicked = named(pkg.__testPanic(true));
    const sync = await named(Promise.resolve().then(() => pkg.__testPanic(false)));
    const after = await named(client('ok').invokeModel({ modelId: 'anthropic.claude-v2', body: '{}' }));
    return { pending: (await pending).name, panicked: (await panicked).name, sync: sync.name, after };
  }, '/pkg-test/index.js');
  assert.deepEqual(r, { pending: 'BedrockWasmPanicError', panicked: 'BedrockWasmPanicError', sync: 'BedrockWasmPanicError', after: 'resolved' });
});

