// The JS half of `cargo xtask bench`: our built package (pkg/) next to the JS peers, in the
// same Node process and run, on the streams xtask wrote. Prints one JSON object on stdout:
// { markdown, results }. Every stream is served by a mocked fetch, so no network is involved.
import { readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { gzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = process.env.BENCH_ROOT;
const STREAMS = process.env.BENCH_STREAMS_DIR;
const FRAMES = { 'claude-messages': 10_000, 'converse-stream': 9_999 };
const PIECES = [4096, 65536];
const RUNS = 7;
const results = {};

// --- helpers ---------------------------------------------------------------------------
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const fmt = (s, digits = 0) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** A fetch that answers with `bytes` cut into `piece`-byte reads, as a network would. */
function mockFetch(bytes, piece, contentType = 'application/vnd.amazon.eventstream') {
  return async () => {
    let offset = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, offset + piece));
        offset += piece;
      },
    });
    return new Response(body, {
      status: 200,
      headers: { 'content-type': contentType, 'x-amzn-requestid': 'bench', 'x-amzn-bedrock-content-type': 'application/json' },
    });
  };
}

async function timeRuns(fn) {
  const ms = [];
  await fn(); // warm-up
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

const utf8 = new TextDecoder();
const claudeText = (json) => (json.type === 'content_block_delta' ? json.delta.text ?? '' : '');

// --- (a) ours: pkg/ in Node ----------------------------------------------------------------
// The package's Node entry initialises itself (reads the wasm from disk on first use).
const pkg = await import(join(ROOT, 'pkg/node.js'));
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token' };
const ours = new pkg.BedrockRuntime({ region: 'us-east-1', credentials });
const invokeInput = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: '{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[]}' };

async function oursDecode(bytes, piece) {
  globalThis.fetch = mockFetch(bytes, piece);
  const { body } = await ours.invokeModelWithResponseStream(invokeInput);
  let text = 0;
  for await (const event of body) text += claudeText(JSON.parse(utf8.decode(event.chunk.bytes))).length;
  return text;
}

// --- (b) the SDK's decode path: its browser framer + codec, base64, JSON, text ----------
const { EventStreamMarshaller } = await import('@smithy/eventstream-serde-browser');
const { fromUtf8, toUtf8 } = await import('@smithy/util-utf8');
const { fromBase64 } = await import('@smithy/util-base64');
const marshaller = new EventStreamMarshaller({ utf8Encoder: toUtf8, utf8Decoder: fromUtf8 });

async function* pieces(bytes, piece) {
  for (let o = 0; o < bytes.length; o += piece) yield bytes.subarray(o, o + piece);
}

async function sdkPathDecode(bytes, piece, converse) {
  let text = 0;
  const events = marshaller.deserialize(pieces(bytes, piece), async (event) => event);
  for await (const event of events) {
    const [type, message] = Object.entries(event)[0];
    const payload = JSON.parse(toUtf8(message.body));
    if (converse) {
      if (type === 'contentBlockDelta') text += (payload.delta.text ?? '').length;
    } else {
      text += claudeText(JSON.parse(toUtf8(fromBase64(payload.bytes)))).length;
    }
  }
  return text;
}

// --- (c) the SDK client end to end with a mocked fetch --------------------------------
const { BedrockRuntimeClient, InvokeModelWithResponseStreamCommand, ConverseStreamCommand } = await import('@aws-sdk/client-bedrock-runtime');
const { FetchHttpHandler } = await import('@smithy/fetch-http-handler');
const sdk = new BedrockRuntimeClient({ region: 'us-east-1', credentials, requestHandler: new FetchHttpHandler(), maxAttempts: 1 });

async function sdkClientDecode(bytes, piece, converse) {
  globalThis.fetch = mockFetch(bytes, piece);
  let text = 0;
  if (converse) {
    const out = await sdk.send(new ConverseStreamCommand({ modelId: invokeInput.modelId, messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }));
    for await (const event of out.stream) text += (event.contentBlockDelta?.delta?.text ?? '').length;
  } else {
    const out = await sdk.send(new InvokeModelWithResponseStreamCommand(invokeInput));
    for await (const event of out.body) text += claudeText(JSON.parse(utf8.decode(event.chunk.bytes))).length;
  }
  return text;
}

async function oursConverseDecode(bytes, piece) {
  globalThis.fetch = mockFetch(bytes, piece);
  if (!ours.converseStream) return null;
  const out = await ours.converseStream({ modelId: invokeInput.modelId, messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
  let text = 0;
  for await (const event of out.stream) text += (event.contentBlockDelta?.delta?.text ?? '').length;
  return text;
}

/** Ours through `textStream()`: the text is pulled out in Rust, one string per read. */
async function oursText(bytes, piece, converse) {
  globalThis.fetch = mockFetch(bytes, piece);
  const response = converse
    ? ours.converseStream({ modelId: invokeInput.modelId, messages: [{ role: 'user', content: [{ text: 'Hi' }] }] })
    : ours.invokeModelWithResponseStream(invokeInput);
  let text = 0;
  for await (const piece of pkg.textStream(response)) text += piece.length;
  return text;
}

let md = '## Decode throughput (Node, mocked fetch)\n\n';
md += '(a) our package, events API (the SDK\'s shapes: the caller `JSON.parse`s each chunk, as with the SDK); (a′) our package, `textStream()` (text extracted in Rust); (b) `@smithy/eventstream-serde-browser` framer + codec + base64 + JSON + text, the SDK\'s browser decode path; (c) `@aws-sdk/client-bedrock-runtime` end to end with `FetchHttpHandler` and a mocked fetch. MB/s of event-stream bytes, median (min–max) of ' + RUNS + ' runs.\n\n';
md += '| stream | piece | (a) ours MB/s | (a′) ours textStream MB/s | (b) SDK path MB/s | (c) SDK client MB/s | (a)/(b) | (a)/(c) | (a′)/(b) | (a′)/(c) | (a′) frames/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n';
for (const name of ['claude-messages', 'converse-stream']) {
  const bytes = new Uint8Array(await readFile(join(STREAMS, `${name}.eventstream`)));
  const mb = bytes.length / 1e6;
  const converse = name === 'converse-stream';
  for (const piece of PIECES) {
    const a = converse ? (ours.converseStream ? await timeRuns(() => oursConverseDecode(bytes, piece)) : null) : await timeRuns(() => oursDecode(bytes, piece));
    const t = await timeRuns(() => oursText(bytes, piece, converse));
    const b = await timeRuns(() => sdkPathDecode(bytes, piece, converse));
    const c = await timeRuns(() => sdkClientDecode(bytes, piece, converse));
    const rate = (ms) => stats(ms.map((t) => mb / (t / 1000)));
    const ra = a && rate(a), rt = rate(t), rb = rate(b), rc = rate(c);
    results[`decode/${name}/${piece}`] = { ours: ra, oursText: rt, sdkPath: rb, sdkClient: rc };
    const x = (p, q) => (p.median / q.median).toFixed(2) + '×';
    md += `| ${name} | ${piece} B | ${fmt(ra, 1)} | ${fmt(rt, 1)} | ${fmt(rb, 1)} | ${fmt(rc, 1)} | ${x(ra, rb)} | ${x(ra, rc)} | ${x(rt, rb)} | ${x(rt, rc)} | ${(FRAMES[name] * rt.median / mb).toFixed(0)} |\n`;
  }
}

// --- signing ----------------------------------------------------------------------------
const { SignatureV4 } = await import('@smithy/signature-v4');
const { Sha256: Sha256Js } = await import('@aws-crypto/sha256-js');
const { Sha256: Sha256Browser } = await import('@aws-crypto/sha256-browser');
const { AwsClient } = await import('aws4fetch');
const signBody = '{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":256}}';
const url = 'https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream';
const request = {
  method: 'POST', protocol: 'https:', hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
  path: '/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream',
  headers: { host: 'bedrock-runtime.us-east-1.amazonaws.com', 'content-type': 'application/json' }, body: signBody,
};
// Signing samples are short (500 calls), so a GC pause moves one a lot: take more of them.
const SIGN_RUNS = 15;
async function perOp(n, fn) {
  for (let i = 0; i < 50; i++) await fn();
  const samples = [];
  for (let r = 0; r < SIGN_RUNS; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn();
    samples.push(((performance.now() - t) * 1000) / n);
  }
  return stats(samples);
}
const signers = {
  '@smithy/signature-v4 + WebCrypto SHA-256': new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials, sha256: Sha256Browser }),
  '@smithy/signature-v4 + pure-JS SHA-256': new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials, sha256: Sha256Js }),
};
md += '\n## Signing (Node, µs per signature, the BEDROCK.md Appendix A request)\n\n| signer | µs |\n|---|---|\n';
// Ours: the package's `signRequest` (async, like the peers; same request, same body).
const oursSign = await perOp(500, () => pkg.signRequest({ url, headers: { 'content-type': 'application/json' }, body: signBody }, { region: 'us-east-1', credentials }));
results['sign/ours'] = oursSign;
md += `| ours (wasm \`signRequest\`, aws-sigv4) | ${fmt(oursSign, 1)} |\n`;
for (const [name, signer] of Object.entries(signers)) {
  const s = await perOp(500, () => signer.sign({ ...request, headers: { ...request.headers } }));
  results[`sign/${name}`] = s;
  md += `| ${name} | ${fmt(s, 1)} |\n`;
}
const aws4 = new AwsClient({ ...credentials, service: 'bedrock', region: 'us-east-1' });
const a4 = await perOp(500, () => aws4.sign(url, { method: 'POST', body: signBody, headers: { 'content-type': 'application/json' } }));
results['sign/aws4fetch'] = a4;
md += `| aws4fetch | ${fmt(a4, 1)} |\n`;

// --- size ---------------------------------------------------------------------------------
async function bundle(name, source) {
  const out = await esbuild.build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
  });
  return out.outputFiles[0].contents;
}
const sizeOf = (buffers) => {
  const all = Buffer.concat(buffers.map((b) => Buffer.from(b)));
  return {
    raw: all.length,
    gzip: buffers.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
    brotli: buffers.reduce((n, b) => n + brotliCompressSync(b, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length, 0),
  };
};
const sizes = {};
sizes['ours: pkg/ (JS + wasm)'] = sizeOf([
  await bundle('ours', `export { BedrockRuntime } from ${JSON.stringify(join(ROOT, 'pkg/index.js'))};`),
  await readFile(join(ROOT, 'pkg/bedrock_wasm_bg.wasm')),
]);
const { readdir } = await import('node:fs/promises');
// The files that show the page (xtask's build::FIRST_LOAD, passed in); the chunks loaded on
// demand are not part of the first load.
const firstLoad = (process.env.BENCH_FIRST_LOAD ?? '').split(',').filter(Boolean);
const distFiles = (await readdir(join(ROOT, 'dist'))).filter((f) => (firstLoad.length ? firstLoad.includes(f) : /\.(html|js|wasm|css)$/.test(f)));
sizes['ours: dist/ first load (playground)'] = sizeOf(await Promise.all(distFiles.map((f) => readFile(join(ROOT, 'dist', f)))));
sizes['AWS SDK v3, one streaming operation'] = sizeOf([await bundle('sdk', `export { BedrockRuntimeClient, InvokeModelWithResponseStreamCommand } from '@aws-sdk/client-bedrock-runtime';`)]);
sizes['aws4fetch + @smithy/eventstream-codec'] = sizeOf([await bundle('aws4fetch', `export { AwsClient } from 'aws4fetch'; export { EventStreamCodec } from '@smithy/eventstream-codec'; export { toUtf8, fromUtf8 } from '@smithy/util-utf8';`)]);
sizes['Vercel AI SDK (ai + @ai-sdk/amazon-bedrock)'] = sizeOf([await bundle('vercel', `export { streamText } from 'ai'; export { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';`)]);
results.size = sizes;
md += '\n## Size (bundled with esbuild, minified, browser platform)\n\n| what | raw | gzip | brotli |\n|---|---|---|---|\n';
for (const [name, s] of Object.entries(sizes)) md += `| ${name} | ${(s.raw / 1024).toFixed(1)} KB | ${(s.gzip / 1024).toFixed(1)} KB | ${(s.brotli / 1024).toFixed(1)} KB |\n`;

// --- cold start: a fresh Node process each time ----------------------------------------
const coldScript = (which) => `
const t0 = performance.now();
const bytes = new Uint8Array(require('node:fs').readFileSync(${JSON.stringify(join(STREAMS, 'claude-messages.eventstream'))}).subarray(0, 4096));
globalThis.fetch = async () => new Response(bytes.slice(0, 0).length === 0 ? new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } }) : null, { status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream' } });
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
const input = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: '{}' };
(async () => {
  ${which === 'ours'
    ? `const pkg = await import(${JSON.stringify(join(ROOT, 'pkg/node.js'))});
  const { body } = await new pkg.BedrockRuntime({ region: 'us-east-1', credentials }).invokeModelWithResponseStream(input);`
    : `const { BedrockRuntimeClient, InvokeModelWithResponseStreamCommand } = await import('@aws-sdk/client-bedrock-runtime');
  const { FetchHttpHandler } = await import('@smithy/fetch-http-handler');
  const { body } = await new BedrockRuntimeClient({ region: 'us-east-1', credentials, requestHandler: new FetchHttpHandler() }).send(new InvokeModelWithResponseStreamCommand(input));`}
  for await (const _ of body) break;
  console.log(performance.now() - t0);
})();`;
md += '\n## Cold start (Node, fresh process: import + instantiate + first chunk, mocked fetch)\n\n| client | ms |\n|---|---|\n';
for (const which of ['ours', 'sdk']) {
  const ms = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, ['--input-type=commonjs', '-e', coldScript(which)], { cwd: process.cwd(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold start (${which}) failed: ${r.stderr}`);
    ms.push(Number(r.stdout.trim()));
  }
  results[`cold/${which}`] = stats(ms);
  md += `| ${which === 'ours' ? 'ours (pkg/)' : '@aws-sdk/client-bedrock-runtime'} | ${fmt(stats(ms), 1)} |\n`;
}

// --- memory: 1,000 sequential streamed calls in one process ---------------------------
{
  const all = new Uint8Array(await readFile(join(STREAMS, 'claude-messages.eventstream')));
  // The first 200 frames of the Claude stream, cut at a frame boundary.
  let end = 0;
  for (let i = 0; i < 200; i++) end += new DataView(all.buffer, all.byteOffset + end).getUint32(0);
  const small = all.subarray(0, end);
  const sample = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
  };
  const points = [];
  for (let call = 1; call <= 1000; call++) {
    await oursDecode(small, 4096);
    if (call === 100 || call === 1000) points.push(sample());
  }
  results.memory = points;
  const mib = (n) => (n / 1048576).toFixed(1);
  md += '\n## Memory (Node, 1,000 sequential streamed calls of 200 frames each, after GC)\n\n| after call | RSS MiB | JS heap MiB | external + ArrayBuffers MiB |\n|---|---|---|---|\n';
  md += `| 100 | ${mib(points[0].rss)} | ${mib(points[0].heap)} | ${mib(points[0].external)} |\n| 1,000 | ${mib(points[1].rss)} | ${mib(points[1].heap)} | ${mib(points[1].external)} |\n`;
  md += '\nThe decoder holds at most one partial frame (`tests/eventstream.rs`, `the_buffer_never_holds_more_than_one_frame`).\n';
}

process.stdout.write(JSON.stringify({ markdown: md, results }));
