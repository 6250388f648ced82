// One hostile case per process: `node cases.mjs <case>` starts a small local server that
// misbehaves in one way, drives the built package against it and asserts what the caller
// sees. The parent (hostile.test.mjs) runs each in its own process, so a crash of the host is
// seen as a crash, not as a failed assertion.
import http from 'node:http';
import os from 'node:os';
import assert from 'node:assert/strict';
import { EVENTSTREAM, chunkEvent, concat, converseEvent, frame, rawFrame } from './wire.mjs';

const pkgDir = process.env.PKG_DIR ?? new URL('../../../pkg/', import.meta.url).pathname;
const pkg = await import(new URL('node.js', `file://${pkgDir.endsWith('/') ? pkgDir : pkgDir + '/'}`).href);
const { BedrockRuntime, textStream, signRequest } = pkg;

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token' };
const servers = [];
let hits = 0;

/** Serves `handler(req, res)` on loopback; resolves the base URL. */
async function serve(handler) {
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  servers.push(server);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${server.address().port}`;
}

const client = (endpoint, extra = {}) => new BedrockRuntime({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1, ...extra });
const converse = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] };
const invoke = { modelId: 'anthropic.claude-v2', body: '{}' };
const okJson = (res, body = '{"completion":"ok"}', headers = {}) => {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(body);
};
const stream = (res, frames) => {
  res.writeHead(200, { 'content-type': EVENTSTREAM });
  res.end(concat(frames));
};
/** No RuntimeError (a trap) may ever reach the caller. */
const notATrap = (e) => {
  assert.ok(!(e instanceof WebAssembly.RuntimeError), `a trap reached the caller: ${e}`);
  assert.ok(e instanceof Error, `not an Error: ${e}`);
  return e;
};
async function rejectsWith(promise, name, check) {
  await assert.rejects(promise, (e) => {
    notATrap(e);
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    check?.(e);
    return true;
  });
}
const converseStop = [
  converseEvent('messageStop', '{"stopReason":"end_turn"}'),
  converseEvent('metadata', '{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":5}}'),
];

const cases = {
  // The safety net, with the test build's panicking export (PKG_DIR=the test build).
  async 'panic: a synchronous panic is a BedrockWasmPanicError and later calls work'() {
    if (!pkg.__testPanic) return skip('needs the test build (PKG_DIR)');
    const url = await serve((req, res) => okJson(res));
    const c = client(url);
    await c.invokeModel(invoke);
    assert.throws(() => pkg.__testPanic(false), (e) => {
      assert.ok(e instanceof pkg.BedrockWasmPanicError, String(e));
      assert.match(e.message, /test panic \(sync\)/);
      assert.match(e.message, /report/);
      return true;
    });
    assert.equal((await c.invokeModel(invoke)).body.transformToString(), '{"completion":"ok"}');
  },

  async 'panic: a panic in the voice module is a BedrockWasmPanicError; both modules restart and work'() {
    if (!pkg.__testVoicePanic) return skip('needs the test build (PKG_DIR)');
    const url = await serve((req, res) => okJson(res));
    const c = client(url);
    await c.invokeModel(invoke);
    await assert.rejects(pkg.__testVoicePanic(), (e) => {
      assert.ok(e instanceof pkg.BedrockWasmPanicError, String(e));
      assert.match(e.message, /test panic \(voice\)/);
      return true;
    });
    // The main module's client works on its fresh instance…
    assert.equal((await c.invokeModel(invoke)).body.transformToString(), '{"completion":"ok"}');
    // …and so does the voice module's (this process has no WebSocket: its Nova Sonic session
    // checks the options first, as always).
    await assert.rejects(pkg.novaSonic(c, { inputSampleRate: 12345 }), (e) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.match(e.message, /16000/);
      return true;
    });
  },

  async 'panic: a panic inside a task rejects every pending call, the process lives, the module restarts'() {
    if (!pkg.__testPanic) return skip('needs the test build (PKG_DIR)');
    // A stream that sends one event, then holds the connection open.
    const streamSockets = [];
    const url = await serve((req, res) => {
      if (req.url.includes('converse-stream')) {
        streamSockets.push(req.socket);
        res.writeHead(200, { 'content-type': EVENTSTREAM });
        res.write(converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"a"}}'));
      } else okJson(res);
    });
    // The dead instance's idle timer cannot be cleared; keep it short so the process ends.
    const c = client(url, { streamIdleTimeout: 3000 });
    const r = await c.converseStream(converse);
    const it = r.stream[Symbol.asyncIterator]();
    assert.equal((await it.next()).value.contentBlockDelta.delta.text, 'a');
    const pendingRead = it.next();
    const panicked = pkg.__testPanic(true);
    for (const p of [pendingRead, panicked]) {
      await assert.rejects(p, (e) => {
        assert.ok(e instanceof pkg.BedrockWasmPanicError, String(e));
        return true;
      });
    }
    assert.match(await panicked.catch((e) => e.message), /test panic \(async\)/);
    // The same client works on the fresh instance, streams included.
    assert.equal((await c.invokeModel(invoke)).body.transformToString(), '{"completion":"ok"}');
    const again = await c.converseStream(converse);
    const it2 = again.stream[Symbol.asyncIterator]();
    assert.equal((await it2.next()).value.contentBlockDelta.delta.text, 'a');
    await it2.return();
    // The panicked stream's connection was closed, not left open.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(streamSockets[0].destroyed, 'the dead instance\'s stream connection is still open');
  },

  async 'date header past 9999 is ignored and calls keep working'() {
    const url = await serve((req, res) => okJson(res, undefined, { date: 'Fri, 01 Jan 10000 00:00:00 GMT' }));
    const c = client(url);
    for (let i = 0; i < 3; i++) assert.equal((await c.invokeModel(invoke)).body.transformToString(), '{"completion":"ok"}');
  },

  async 'date header two days off is not adopted'() {
    const far = new Date(Date.now() + 2 * 86400_000).toUTCString();
    const seen = [];
    const url = await serve((req, res) => {
      seen.push(req.headers['x-amz-date']);
      okJson(res, undefined, { date: far });
    });
    const c = client(url);
    await c.invokeModel(invoke);
    await c.invokeModel(invoke);
    const signedAt = Date.parse(seen[1].replace(/(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/, '$1-$2-$3T$4:$5:$6Z'));
    assert.ok(Math.abs(signedAt - Date.now()) < 120_000, `signed with the far clock: ${seen[1]}`);
  },

  async 'a skew message naming year 9999 surfaces the error and says the clock is unusable'() {
    const url = await serve((req, res) => {
      res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidSignatureException' });
      res.end(JSON.stringify({ message: 'Signature expired: 20250101T000000Z is now earlier than 99991231T000000Z (99991231T000500Z - 5 min.)' }));
    });
    await rejectsWith(client(url).invokeModel(invoke), 'InvalidSignatureException', (e) => assert.match(e.message, /unusable/));
    assert.equal(hits, 1, 'no re-signed retry with an absurd clock');
  },

  async 'signRequest refuses a relative URL, absurd times and bad offsets with a TypeError'() {
    const cfg = { region: 'us-east-1', credentials };
    await assert.rejects(signRequest({ url: '/model/x/invoke' }, cfg), (e) => notATrap(e) instanceof TypeError && /absolute/.test(e.message));
    await assert.rejects(signRequest({ url: 'https:///x' }, cfg), (e) => notATrap(e) instanceof TypeError);
    for (const clockOffset of [253402300800000 - Date.now() + 86400_000, NaN, Infinity, -Infinity, 1e300, 86400_001]) {
      await assert.rejects(signRequest({ url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke' }, { ...cfg, clockOffset }), (e) => {
        notATrap(e);
        assert.ok(e instanceof TypeError, `${clockOffset}: ${e}`);
        return true;
      });
    }
    const url = 'https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke';
    const lower = await signRequest({ url, method: 'post', body: '{}' }, { ...cfg, clockOffset: 0 });
    const upper = await signRequest({ url, method: 'POST', body: '{}' }, { ...cfg, clockOffset: 0 });
    // Same second (or the next): the method is signed upper-cased, as fetch sends it.
    if (lower['x-amz-date'] === upper['x-amz-date']) assert.equal(lower.authorization, upper.authorization);
  },

  async 'a 300 MB error body is cut at 1 MiB and memory stays bounded'() {
    let sent = 0;
    const url = await serve((req, res) => {
      res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' });
      const block = Buffer.alloc(1 << 20, 'x');
      const push = () => {
        while (sent < 300 << 20) {
          sent += block.length;
          if (!res.write(block)) return res.once('drain', push);
        }
        res.end();
      };
      res.on('close', () => {});
      push();
    });
    const before = process.memoryUsage().rss;
    await rejectsWith(client(url).invokeModel(invoke), 'InternalServerException', (e) => assert.match(e.message, /cut after 1048576 bytes/));
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 100 << 20, `the process grew by ${grown >> 20} MiB`);
    assert.ok(sent < 100 << 20, `the server could send ${sent >> 20} MiB: the body was not cancelled`);
  },

  async 'an oversized success body is an error, not a memory blow-up'() {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const block = Buffer.alloc(1 << 20, 'x');
      let n = 0;
      const push = () => {
        while (n++ < 80) if (!res.write(block)) return res.once('drain', push);
        res.end();
      };
      push();
    });
    await rejectsWith(client(url).invokeModel(invoke), 'InvalidResponseError', (e) => assert.match(e.message, /larger than 64 MiB/));
  },

  async 'a frame with 200,000 headers fails fast with a decode error'() {
    // 200,000 distinct three-letter names, each a `true` header: 5 bytes apiece.
    const n = 200_000;
    const block = new Uint8Array(n * 5);
    const letter = (k) => 65 + (k % 58);
    for (let i = 0; i < n; i++) block.set([3, letter(i), letter(Math.floor(i / 58)), letter(Math.floor(i / 3364)), 0], i * 5);
    const url = await serve((req, res) => stream(res, [rawFrame(block, new Uint8Array())]));
    const out = await client(url).invokeModelWithResponseStream(invoke);
    await rejectsWith((async () => {
      for await (const _ of out.body);
    })(), 'InvalidResponseError');
  },

  async 'a lone surrogate in a text delta is U+FFFD and the stream goes on'() {
    const url = await serve((req, res) =>
      stream(res, [
        converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"a\\ud83d"}}'),
        converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"b"}}'),
        ...converseStop,
      ]),
    );
    for (const mode of ['text', 'events']) {
      const r = await client(url).converseStream(converse);
      let text = '';
      if (mode === 'text') {
        const t = textStream(r);
        for await (const piece of t) text += piece;
        assert.equal((await t.result).stopReason, 'end_turn');
      } else {
        for await (const e of r.stream) text += e.contentBlockDelta?.delta?.text ?? '';
      }
      assert.equal(text, 'a\ufffdb', mode);
    }
  },

  async 'invalid UTF-8 inside a chunk is U+FFFD and the stream goes on'() {
    const bad = Buffer.concat([Buffer.from('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a'), Buffer.from([0xff]), Buffer.from('b"}}')]);
    const chunk = frame([[':event-type', 'chunk'], [':content-type', 'application/json'], [':message-type', 'event']], JSON.stringify({ bytes: bad.toString('base64') }));
    const url = await serve((req, res) => stream(res, [chunk, chunkEvent('{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}')]));
    const t = textStream(client(url).invokeModelWithResponseStream({ ...invoke, modelId: 'anthropic.claude-3-haiku-20240307-v1:0' }));
    let text = '';
    for await (const piece of t) text += piece;
    assert.equal(text, 'a\ufffdb');
    assert.equal((await t.result).stopReason, 'end_turn');
  },

  async 'a tool call cut off by max_tokens does not abort textStream'() {
    const url = await serve((req, res) =>
      stream(res, [
        converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"Let me look."}}'),
        converseEvent('contentBlockStop', '{"contentBlockIndex":0}'),
        converseEvent('contentBlockStart', '{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"search"}}}'),
        converseEvent('contentBlockDelta', '{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\\"query\\": \\"wea"}}}'),
        converseEvent('contentBlockStop', '{"contentBlockIndex":1}'),
        converseEvent('messageStop', '{"stopReason":"max_tokens"}'),
        converseStop[1],
      ]),
    );
    const t = textStream(client(url).converseStream(converse));
    let text = '';
    for await (const piece of t) text += piece;
    const result = await t.result;
    assert.equal(text, 'Let me look.');
    assert.equal(result.stopReason, 'max_tokens');
    assert.equal(result.usage.outputTokens, 2);
  },

  async 'a decode error is reported once, then the stream ends'() {
    const good = converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"a"}}');
    const bad = converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"b"}}');
    bad[bad.length - 1] ^= 0xff;
    const url = await serve((req, res) => stream(res, [good, bad, good]));
    const r = await client(url).converseStream(converse);
    const it = r.stream[Symbol.asyncIterator]();
    assert.equal((await it.next()).value.contentBlockDelta.delta.text, 'a');
    await rejectsWith(it.next(), 'InvalidResponseError');
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  },

  async 'error codes named like Object.prototype members are real errors'() {
    for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const url = await serve((req, res) => {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': code });
        res.end('{"message":"odd"}');
      });
      await assert.rejects(client(url).invokeModel(invoke), (e) => {
        notATrap(e);
        assert.ok(e instanceof pkg.BedrockRuntimeServiceException, code);
        assert.equal(e.name, code);
        assert.equal(e.message, 'odd');
        return true;
      });
    }
  },

  async 'credentials and API keys never go over plain http to a non-loopback host'() {
    for (const auth of [{ credentials }, { token: 'bedrock-api-key-secret' }]) {
      const c = new BedrockRuntime({ region: 'us-east-1', endpoint: 'http://bedrock.example.invalid', maxAttempts: 1, ...auth });
      await rejectsWith(c.invokeModel(invoke), 'InsecureEndpointError', (e) => assert.match(e.message, /allowInsecureEndpoint/));
      await assert.rejects(signRequest({ url: 'http://bedrock.example.invalid/model/x/invoke' }, { region: 'us-east-1', ...auth }), (e) => e.name === 'InsecureEndpointError');
    }
    // Loopback is fine, in every spelling.
    const url = await serve((req, res) => okJson(res));
    const port = new URL(url).port;
    for (const host of ['127.0.0.1', 'localhost']) await client(`http://${host}:${port}`).invokeModel(invoke);
    // With the opt-in, a non-loopback address is used: this machine's own, when it has one.
    const own = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (own) {
      const server = http.createServer((req, res) => okJson(res));
      servers.push(server);
      await new Promise((r) => server.listen(0, own.address, r));
      const ep = `http://${own.address}:${server.address().port}`;
      await rejectsWith(client(ep).invokeModel(invoke), 'InsecureEndpointError');
      await client(ep, { allowInsecureEndpoint: true }).invokeModel(invoke);
    }
  },

  async 'a redirect is never followed'() {
    let followed = 0;
    const target = await serve((req, res) => (followed++, okJson(res)));
    const url = await serve((req, res) => {
      if (req.url.startsWith('/model')) {
        res.writeHead(307, { location: `${target}/elsewhere` });
        res.end();
      }
    });
    await rejectsWith(client(url).invokeModel(invoke), 'RedirectError', (e) => assert.match(e.message, /never follows/));
    assert.equal(followed, 0);
  },

  async 'requestHandler.requestTimeout limits the wait for headers'() {
    const url = await serve((req, res) => setTimeout(() => okJson(res), 3000));
    const started = Date.now();
    await rejectsWith(client(url, { requestHandler: { requestTimeout: 200 } }).invokeModel(invoke), 'TimeoutError');
    assert.ok(Date.now() - started < 2500, 'the timeout did not fire');
    // Off by default: the same slow server answers.
    assert.equal((await client(url).invokeModel(invoke)).body.transformToString(), '{"completion":"ok"}');
  },

  async 'a byte trickle that completes no event trips the idle watchdog'() {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-type': EVENTSTREAM });
      const f = converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"a"}}');
      res.write(f);
      let i = 0;
      const next = converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"' + 'b'.repeat(400) + '"}}');
      const timer = setInterval(() => {
        if (i < next.length && !res.destroyed) res.write(next.subarray(i, ++i));
        else clearInterval(timer);
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    const r = await client(url, { streamIdleTimeout: 600 }).converseStream(converse);
    const started = Date.now();
    let text = '';
    await rejectsWith((async () => {
      for await (const e of r.stream) text += e.contentBlockDelta?.delta?.text ?? '';
    })(), 'StreamIdleTimeoutError');
    assert.equal(text, 'a', 'the text before the stall is kept');
    assert.ok(Date.now() - started < 5000, 'the trickle kept the stream alive');
  },

  async 'a body that stalls after its headers fails after streamIdleTimeout, success or error'() {
    for (const status of [200, 500]) {
      const url = await serve((req, res) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' });
        res.write('{"completion":');
      });
      const started = Date.now();
      await rejectsWith(client(url, { streamIdleTimeout: 300 }).invokeModel(invoke), 'StreamIdleTimeoutError');
      assert.ok(Date.now() - started < 5000, `status ${status}: the stalled body hung the call`);
    }
  },

  async 'options are validated with TypeErrors'() {
    const base = { region: 'us-east-1', credentials };
    for (const bad of [
      { streamIdleTimeout: -1 },
      { streamIdleTimeout: 2 ** 31 },
      { streamIdleTimeout: NaN },
      { requestHandler: { requestTimeout: 'soon' } },
      { maxAttempts: 1e10 },
      { allowInsecureEndpoint: 'yes' },
      { endpoint: 42 },
    ]) {
      assert.throws(() => new BedrockRuntime({ ...base, ...bad }), (e) => notATrap(e) instanceof TypeError, JSON.stringify(bad));
    }
  },
};

function skip(why) {
  console.log(`skipped: ${why}`);
}

const name = process.argv[2];
if (!cases[name]) {
  console.log(JSON.stringify(Object.keys(cases)));
  process.exit(name ? 2 : 0);
}
try {
  await cases[name]();
  console.log('ok');
} finally {
  for (const s of servers) s.closeAllConnections?.(), s.close();
}
