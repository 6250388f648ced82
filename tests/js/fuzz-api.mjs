// Fuzzes the package's JS-facing API: random values for every option and argument of every
// export, against a local server that answers at random. The one rule: no RuntimeError (a
// trap of the core) and no BedrockWasmPanicError may reach the caller, no call may hang, and
// the process must live. `node fuzz-api.mjs [--seconds N | --runs N] [--seed S]` prints the
// executions and findings; `cargo xtask test-npm` runs it briefly, `cargo xtask fuzz` longer.
import http from 'node:http';
import { EVENTSTREAM, chunkEvent, concat, converseEvent, rawFrame } from './hostile/wire.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : Number(args[i + 1]);
};
const seconds = opt('--seconds', 0);
const runs = opt('--runs', seconds ? Infinity : 300);
let seed = opt('--seed', Date.now() % 2 ** 31) >>> 0;
const firstSeed = seed;
const pkgDir = process.env.PKG_DIR ?? new URL('../../pkg/', import.meta.url).pathname;
const pkg = await import(new URL('node.js', `file://${pkgDir.endsWith('/') ? pkgDir : pkgDir + '/'}`).href);

// mulberry32: small, seedable, good enough to pick shapes.
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const chance = (p) => rand() < p;

const STRINGS = [
  '', ' ', 'us-east-1', 'anthropic.claude-v2', 'anthropic.claude-3-haiku-20240307-v1:0', 'amazon.nova-lite-v1:0',
  'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0',
  '/model/x/invoke', 'https://', 'http://127.0.0.1:1/', 'http://example.invalid', 'ftp://x', 'javascript:alert(1)',
  '\ud83d', '\u0000', 'é'.repeat(1000), 'x'.repeat(70_000), '{"a":', 'constructor', '__proto__', 'toString',
  'POST', 'get', 'Bearer x', 'emulator-fault:throttle:anthropic.claude-v2', '%', '%zz', '../../', '\r\nx-injected: 1',
];
const NUMBERS = [0, -0, 1, -1, 0.5, 3, 100, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e300, -1e300, NaN, Infinity, -Infinity, 253402300800000];

function value(depth = 0) {
  switch (Math.floor(rand() * (depth > 2 ? 7 : 11))) {
    case 0: return undefined;
    case 1: return null;
    case 2: return pick(NUMBERS);
    case 3: return pick(STRINGS);
    case 4: return chance(0.5);
    case 5: return pick([new Uint8Array(0), new Uint8Array([0xff, 0xfe]), new TextEncoder().encode('{"prompt":"hi"}'), new ArrayBuffer(3)]);
    case 6: return pick([Symbol('s'), 10n, () => {}, async () => value(3), new Date(NaN), new URL('http://127.0.0.1:1')]);
    case 7: return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    case 8: {
      // An object whose property reads throw.
      return new Proxy({}, { get: () => { throw new Error('hostile getter'); }, ownKeys: () => { throw new Error('hostile keys'); } });
    }
    default: {
      const o = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) o[pick(KEYS)] = value(depth + 1);
      return o;
    }
  }
}
const KEYS = ['modelId', 'body', 'contentType', 'accept', 'messages', 'system', 'inferenceConfig', 'toolConfig', 'region', 'endpoint', 'credentials', 'token', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration', 'maxAttempts', 'streamIdleTimeout', 'requestHandler', 'requestTimeout', 'allowInsecureEndpoint', 'url', 'method', 'headers', 'clockOffset', 'identityPoolId', 'logins', 'classicFlow', 'durationSeconds', 'abortSignal', 'trace', 'guardrailIdentifier'];

/** A mostly-valid value with one part replaced at random, so calls get past the first check. */
function mutate(valid) {
  if (chance(0.15)) return value();
  if (valid === null || typeof valid !== 'object' || Array.isArray(valid)) return chance(0.7) ? valid : value();
  const o = { ...valid };
  for (let i = 1 + Math.floor(rand() * 2); i > 0; i--) {
    const k = chance(0.7) ? pick(Object.keys(o).length ? Object.keys(o) : KEYS) : pick(KEYS);
    o[k] = chance(0.5) ? mutate(o[k]) : value();
  }
  return o;
}

// The server answers each request at random: success bodies, errors, hostile streams.
const ok = (res, body) => (res.writeHead(200, { 'content-type': 'application/json' }), res.end(body));
const RESPONSES = [
  (res) => ok(res, '{"completion":"ok","stop_reason":"stop_sequence"}'),
  (res) => ok(res, '{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}'),
  (res) => ok(res, '{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"}}'),
  (res) => ok(res, 'not json \ud83d'),
  (res) => (res.writeHead(pick([400, 403, 404, 429, 500, 503]), { 'x-amzn-errortype': pick(STRINGS.filter((x) => /^[\x20-\x7e]{0,200}$/.test(x))) }), res.end(pick(['{}', '{"message":"\\ud83d"}', '', 'x']))),
  (res) => (res.writeHead(307, { location: 'http://127.0.0.1:1/' }), res.end()),
  (res) => (res.writeHead(200, { 'content-type': 'application/json', date: pick(['Fri, 01 Jan 10000 00:00:00 GMT', 'garbage', 'Thu, 01 Jan 1970 00:00:00 GMT']) }), res.end('{}')),
  (res) => (res.writeHead(200, { 'content-type': EVENTSTREAM }), res.end(concat([chunkEvent('{"completion":"a","stop_reason":null}'), converseEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"\\ud83d"}}'), converseEvent('messageStop', '{"stopReason":"end_turn"}')]))),
  (res) => (res.writeHead(200, { 'content-type': EVENTSTREAM }), res.end(rawFrame(new Uint8Array(pick([1, 2, 3, 7, 300])).fill(pick([0, 1, 7, 255])), new Uint8Array(3)))),
  (res) => (res.writeHead(200, { 'content-type': EVENTSTREAM }), res.end(new Uint8Array(Array.from({ length: 40 }, () => Math.floor(rand() * 256))))),
  (res) => res.socket.destroy(),
];
const server = http.createServer((req, res) => pick(RESPONSES)(res));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const ENDPOINT = `http://127.0.0.1:${server.address().port}`;

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' };
const validConfig = () => ({ region: 'us-east-1', endpoint: ENDPOINT, credentials, maxAttempts: 1, streamIdleTimeout: 2000, requestHandler: { requestTimeout: 3000 } });
const validInvoke = () => ({ modelId: pick(STRINGS.slice(3, 7)), body: '{"prompt":"hi"}' });
const validConverse = () => ({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] });

async function drain(r) {
  if (r?.body?.[Symbol.asyncIterator]) for await (const _ of r.body);
  if (r?.stream?.[Symbol.asyncIterator]) for await (const _ of r.stream);
}

const CALLS = [
  async () => {
    const config = mutate(validConfig());
    debug('config', config);
    const c = new pkg.BedrockRuntime(config);
    const which = pick(['invokeModel', 'invokeModelWithResponseStream', 'converse', 'converseStream']);
    const input = mutate(which.startsWith('converse') ? validConverse() : validInvoke());
    debug(which, input);
    const r = await c[which](input, mutate({ abortSignal: chance(0.2) ? AbortSignal.timeout(5) : undefined }));
    await drain(r);
  },
  async () => {
    debug('textStream');
    const c = new pkg.BedrockRuntime(validConfig());
    const r = chance(0.5) ? c.converseStream(mutate(validConverse())) : c.invokeModelWithResponseStream(mutate(validInvoke()));
    r.catch(() => {}); // Dropped when mutated away below.
    const t = pkg.textStream(chance(0.8) ? r : mutate(r), mutate({ modelId: 'anthropic.claude-v2' }));
    for await (const _ of t);
    await t.result;
  },
  async () => pkg.signRequest(debug('signRequest') ?? mutate({ url: `${ENDPOINT}/model/x/invoke`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), mutate({ region: 'us-east-1', credentials, clockOffset: 0 })),
  async () => {
    debug('cognito');
    const provider = pkg.fromCognitoIdentityPool(mutate({ identityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000', endpoint: ENDPOINT, stsEndpoint: ENDPOINT }));
    await provider();
  },
  async () => pkg.textStream(value(), value()).next(),
];

const debug = process.env.FUZZ_DEBUG ? (...a) => console.error(...a) : () => {};
const findings = [];
let executions = 0;
const deadline = seconds ? Date.now() + seconds * 1000 : Infinity;
const withTimeout = (p, ms) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(Object.assign(new Error('hang'), { hang: true })), ms).unref())]);

for (let i = 0; i < runs && Date.now() < deadline; i++) {
  const at = seed;
  executions++;
  try {
    await withTimeout(Promise.resolve().then(pick(CALLS)), 15_000);
  } catch (e) {
    const bad = e?.hang || e instanceof WebAssembly.RuntimeError || e?.name === 'BedrockWasmPanicError' || !(e instanceof Error);
    if (bad) findings.push({ seed: at, error: `${e?.name}: ${e?.message ?? e}`.slice(0, 300) });
  }
}
server.closeAllConnections();
server.close();
console.log(JSON.stringify({ seed: firstSeed, executions, findings: findings.length, examples: findings.slice(0, 5) }));
process.exit(findings.length ? 1 : 0);
