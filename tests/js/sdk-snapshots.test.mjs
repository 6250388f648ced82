// The AWS SDK for JS's own Bedrock Runtime snapshots (tests/fixtures/sdk-snapshots/, see
// SOURCE.md and FORMAT.md there): the request this package puts on the wire for each
// operation equals the SDK's (method, path, query, body bytes, content type, signing scope),
// and the output it makes of each synthetic response equals the SDK's output object.
// `fetch` is replaced for the test: nothing leaves the process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BedrockRuntime } from '../../pkg/node.js';

const dir = new URL('../fixtures/sdk-snapshots/', import.meta.url);
const read = (path) => readFileSync(new URL(path, dir), 'utf8');
const ORIGIN = 'https://bedrock-runtime.us-east-1.amazonaws.com';
const NOW = 946702799999;
const TOKEN = '00000000-0000-4000-8000-000000000000';

/** `req/` file → { method, path, query: [[k, v]], headers, body (text or null) }. */
function parseRequest(text) {
  const lines = text.split('\n');
  const [method] = lines[0].split(' ');
  const [path, query = ''] = lines[1].split('?');
  const headers = {};
  let i = 2;
  while (lines[i] === '') i++;
  for (; lines[i] !== ''; i++) {
    const at = lines[i].indexOf(': ');
    headers[lines[i].slice(0, at)] = lines[i].slice(at + 2);
  }
  const annotation = lines[++i];
  const rest = lines.slice(i + 1).join('\n').trim();
  const body = annotation === '[no body]' ? null : rest;
  const pairs = query ? query.split('&').map((p) => p.split('=')) : [];
  return { method, path, query: pairs, headers, body };
}

/** Blob members as the SDK takes them (`Uint8Array`), so the package's base64 is exercised. */
function reviveBlobs(value, parentKey) {
  if (Array.isArray(value)) return value.map((v) => reviveBlobs(v, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    const blob = typeof v === 'string' && ((k === 'bytes' && parentKey === 'source') || k === 'redactedContent' || (k === 'body' && parentKey === 'invokeModel'));
    out[k] = blob ? Uint8Array.from(Buffer.from(v, 'base64')) : k === 'modelInput' ? v : reviveBlobs(v, k);
  }
  return out;
}

const label = (path, re) => decodeURIComponent(path.match(re)[1]);

/** The SDK input that the snapshot's request was made from, rebuilt from the request. */
const INPUTS = {
  CountTokens: (r, body) => ({ modelId: label(r.path, /^\/model\/([^/]+)\//), ...body }),
  Converse: (r, body) => ({ modelId: label(r.path, /^\/model\/([^/]+)\//), ...body }),
  ConverseStream: (r, body) => ({ modelId: label(r.path, /^\/model\/([^/]+)\//), ...body }),
  ApplyGuardrail: (r, body) => ({
    guardrailIdentifier: label(r.path, /^\/guardrail\/([^/]+)\//),
    guardrailVersion: label(r.path, /\/version\/([^/]+)\//),
    ...body,
  }),
  InvokeGuardrailChecks: (r, body) => body,
  // The masked UUID is the runner's fixed idempotency token.
  StartAsyncInvoke: (r, body) => ({ ...body, clientRequestToken: TOKEN }),
  GetAsyncInvoke: (r) => ({ invocationArn: label(r.path, /^\/async-invoke\/([^/]+)$/) }),
  ListAsyncInvokes: (r) => {
    const input = {};
    for (const [k, v] of r.query) {
      input[k] = k.startsWith('submitTime') ? new Date(v) : k === 'maxResults' ? Number(v) : v;
    }
    return input;
  },
};

const METHODS = {
  CountTokens: 'countTokens',
  Converse: 'converse',
  ConverseStream: 'converseStream',
  ApplyGuardrail: 'applyGuardrail',
  InvokeGuardrailChecks: 'invokeGuardrailChecks',
  StartAsyncInvoke: 'startAsyncInvoke',
  GetAsyncInvoke: 'getAsyncInvoke',
  ListAsyncInvokes: 'listAsyncInvokes',
};

const client = () =>
  new BedrockRuntime({ region: 'us-east-1', credentials: { accessKeyId: 'MOCK_ak', secretAccessKey: 'MOCK_sak' }, maxAttempts: 1 });

/** Runs `call` with `fetch` answering `respond(url, init)`; resolves what `call` resolved and
 * the requests it made. */
async function withFetch(respond, call) {
  const original = globalThis.fetch;
  const sent = [];
  globalThis.fetch = async (url, init) => {
    sent.push({ url: String(url), method: init.method, headers: new Headers(init.headers), body: init.body });
    return respond(url, init);
  };
  try {
    return { result: await call(), sent };
  } finally {
    globalThis.fetch = original;
  }
}

const ok = () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });

for (const [operation, method] of Object.entries(METHODS)) {
  test(`${operation}: the request on the wire is the AWS SDK's`, async () => {
    const snapshot = parseRequest(read(`req/${operation}.txt`));
    const body = snapshot.body === null ? undefined : JSON.parse(snapshot.body);
    const input = INPUTS[operation](snapshot, reviveBlobs(body));
    const { sent } = await withFetch(ok, () => client()[method](input).catch(() => {}));
    assert.equal(sent.length, 1);
    const [request] = sent;
    const url = new URL(request.url);
    assert.equal(url.origin, ORIGIN);
    assert.equal(request.method, snapshot.method);
    assert.equal(decodeURIComponent(url.pathname), snapshot.path);
    assert.deepEqual([...url.searchParams], snapshot.query);
    if (snapshot.body === null) {
      assert.equal(request.body, undefined, 'a GET sends no body');
      assert.equal(request.headers.get('content-type'), null);
    } else {
      const bytes = Buffer.from(request.body);
      // The exact bytes: the SDK's length and SHA-256 of its compact JSON (the token unmasked).
      assert.equal(bytes.length, Number(snapshot.headers['content-length']), 'content-length');
      assert.equal(createHash('sha256').update(bytes).digest('hex'), snapshot.headers['x-amz-content-sha256'], 'body SHA-256');
      assert.equal(request.headers.get('content-type'), snapshot.headers['content-type']);
    }
    const authorization = request.headers.get('authorization');
    assert.match(authorization, /^AWS4-HMAC-SHA256 Credential=MOCK_ak\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
  });
}

// ---------------------------------------------------------------------------------------------
// Responses.

/** `res/` file → its sections: { title, status, headers, body, output }. */
function parseResponses(text) {
  return text
    .split(/^=+ (.+?) =+$/m)
    .slice(1)
    .reduce((sections, part, i, all) => (i % 2 ? sections : [...sections, [part, all[i + 1]]]), [])
    .map(([title, section]) => {
      const [head, output] = section.split('--- [output object] ---');
      const lines = head.split('\n');
      const status = Number(lines.find((l) => l.startsWith('[status]')).split(' ')[1]);
      const headers = {};
      let i = lines.findIndex((l) => l === '  ') + 1;
      for (; lines[i] !== ''; i++) {
        const at = lines[i].indexOf(': ');
        headers[lines[i].slice(0, at)] = lines[i].slice(at + 2);
      }
      const body = lines.slice(i + 2).join('\n').trim();
      return { title, status, headers, body, output: parseDocument(output) };
    });
}

/** The snapshot package's `serializeDocument` notation → a value with tagged scalars. */
function parseDocument(text) {
  const json = text
    .trim()
    .replace(/^(\s*)([$\w]+): /gm, '$1"$2": ')
    .replace(/\(number\) (-?[\d.e+]+)/g, '$1')
    .replace(/\(boolean\) (true|false)/g, '$1')
    .replace(/\(undefined\)/g, '{"$undefined":true}')
    .replace(/\(null\)/g, 'null')
    .replace(/\(Date\) ([^\n,]*(?:, [^\n,]*)*?)(,?)$/gm, (_, d, comma) => `{"$date":${JSON.stringify(d)}}${comma}`)
    .replace(/\(Uint8Array\) bytes\[([\d, ]*)\]/g, '{"$bytes":[$1]}');
  return JSON.parse(json);
}

const LA = new Intl.DateTimeFormat('en-US', {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZone: 'America/Los_Angeles',
  timeZoneName: 'long',
});

/** Our output in the same tagged form; keys holding `undefined` dropped on both sides. */
function tag(value) {
  if (value === undefined) return { $undefined: true };
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return { $date: LA.format(value) };
  if (value instanceof Uint8Array) return { $bytes: [...value] };
  if (Array.isArray(value)) return value.map(tag);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tag(v)]));
}

function dropUndefined(value) {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (value === null || typeof value !== 'object' || value.$date || value.$bytes) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => !(v && typeof v === 'object' && v.$undefined))
      .map(([k, v]) => [k, dropUndefined(v)]),
  );
}

const WHOLE = ['CountTokens', 'ApplyGuardrail', 'InvokeGuardrailChecks', 'StartAsyncInvoke', 'GetAsyncInvoke', 'ListAsyncInvokes', 'Converse'];

for (const operation of WHOLE) {
  test(`${operation}: the output of each snapshot response is the AWS SDK's`, async () => {
    const requestSnapshot = parseRequest(read(`req/${operation}.txt`));
    const body = requestSnapshot.body === null ? undefined : JSON.parse(requestSnapshot.body);
    const input = INPUTS[operation](requestSnapshot, reviveBlobs(body));
    const sections = parseResponses(read(`res/${operation}.txt`));
    assert.deepEqual(sections.map((s) => s.title), ['minimal response', 'w/ optional fields']);
    for (const section of sections) {
      assert.ok(section.output.$metadata, 'the printed output object was read');
      const respond = () =>
        new Response(section.body ? JSON.stringify(JSON.parse(section.body)) : '', { status: section.status, headers: section.headers });
      const { result } = await withFetch(respond, () => client()[METHODS[operation]](input));
      assert.deepEqual(dropUndefined(tag(result)), dropUndefined(section.output), `${operation}, ${section.title}`);
    }
  });
}

test('the snapshot clock is the one FORMAT.md names', () => {
  assert.equal(new Date(NOW).toISOString(), '2000-01-01T04:59:59.999Z');
  assert.equal(LA.format(new Date(NOW)), 'Fri, Dec 31, 1999, 20:59:59 Pacific Standard Time');
});

// ---------------------------------------------------------------------------------------------
// Errors.

/** `res-err/` file → its sections: { title, status, headers, body, error } (the printed
 * error object, or undefined when the SDK printed none). */
function parseErrors(text) {
  return text
    .split(/^=+ (.+?) =+$/m)
    .slice(1)
    .reduce((sections, part, i, all) => (i % 2 ? sections : [...sections, [part, all[i + 1]]]), [])
    .map(([title, section]) => {
      const [head, rest = ''] = section.split('--- [error name & message] ---');
      const [nameAndMessage, object = ''] = rest.split('--- [error object] ---');
      const lines = head.split('\n');
      const status = Number(lines.find((l) => l.startsWith('[status]')).split(' ')[1]);
      const headers = {};
      let i = lines.findIndex((l) => l === '  ') + 1;
      for (; lines[i] !== ''; i++) {
        const at = lines[i].indexOf(': ');
        headers[lines[i].slice(0, at)] = lines[i].slice(at + 2);
      }
      const body = lines.slice(i + 2).join('\n').trim();
      return { title, status, headers, body, printed: nameAndMessage.trim(), error: object.trim() ? parseDocument(object) : undefined };
    });
}

const ERRORS = [
  'AccessDeniedException', 'ConflictException', 'InternalServerException', 'ModelErrorException', 'ModelNotReadyException',
  'ModelStreamErrorException', 'ModelTimeoutException', 'ResourceNotFoundException', 'ServiceQuotaExceededException',
  'ServiceUnavailableException', 'ThrottlingException', 'UnmodeledServiceException', 'ValidationException',
];

for (const name of ERRORS) {
  test(`${name}: each snapshot error response gives the AWS SDK's error`, async () => {
    const sections = parseErrors(read(`res-err/${name}.txt`));
    assert.ok(sections.length >= 2);
    for (const section of sections) {
      const respond = () => new Response(section.body, { status: section.status, headers: section.headers });
      const { result: error } = await withFetch(respond, () =>
        client()
          .converse({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })
          .then(() => assert.fail('expected an error'), (e) => e),
      );
      const where = `${name}, ${section.title}`;
      if (section.title === 'frontend error') {
        // The SDK fails to parse the proxy's HTML and throws a SyntaxError (a deserialization
        // error); the package reports the service error with its status and text instead.
        assert.match(section.printed, /^SyntaxError/);
        assert.equal(error.$metadata.httpStatusCode, section.status, where);
        assert.equal(error.$fault, 'server', where);
        assert.match(error.message, /unmodeled error occurred in a front end layer/, where);
        continue;
      }
      const expected = section.error;
      assert.equal(error.name, expected.name, where);
      assert.equal(error.message, expected.message, where);
      assert.equal(error.$fault, expected.$fault, where);
      assert.deepEqual(dropUndefined(tag(error.$metadata)), dropUndefined(expected.$metadata), where);
      for (const k of ['originalStatusCode', 'resourceName']) {
        if (k in expected) assert.equal(error[k], expected[k], `${where}: ${k}`);
      }
      assert.equal(section.printed.split(': ')[0], expected.name);
    }
  });
}

test('Converse members newer than the SDK pass through untouched, both ways', async () => {
  const input = {
    modelId: 'm',
    messages: [{ role: 'user', content: [{ text: 'hi' }, { cachePoint: { type: 'default', ttl: '1h' } }, { futureBlock2027: { x: [1, 2] } }] }],
    outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{"type":"object"}' } } }, effort: 'high' },
    toolConfig: { tools: [{ toolSpec: { name: 't', inputSchema: { json: {} }, strict: true } }, { systemTool: { name: 'nova_grounding' } }] },
    aMember2027: { nested: true },
  };
  const answer = {
    output: { message: { role: 'assistant', content: [{ text: '{}' }, { futureBlock2027: { y: 'z' } }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2, cacheDetails: [{ ttl: '1h', inputTokens: 9 }] },
    metrics: { latencyMs: 1 },
    aResponseMember2027: [1],
  };
  const respond = () => new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
  const { result, sent } = await withFetch(respond, () => client().converse(input));
  const { modelId, ...body } = input;
  assert.deepEqual(JSON.parse(Buffer.from(sent[0].body).toString()), body);
  const { $metadata, ...out } = result;
  assert.deepEqual(out, answer);
});
