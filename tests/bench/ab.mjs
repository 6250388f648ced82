// An interleaved A/B of two builds of the package, for deciding a size-or-speed change on a
// noisy machine: each round decodes the bench streams with the SDK's decode path, then with
// build A and build B (textStream and the events API), and prints the median ratio to the
// SDK path per stream and read size. Not part of `cargo xtask bench` (whose one run is what
// BENCHMARKS.md reports).
//
//   cp -r pkg /tmp/pkg-a            # before the change; rebuild pkg/ after it
//   cd tests/bench && BENCH_STREAMS_DIR=../../target/bench/streams node ab.mjs /tmp/pkg-a ../../pkg
//
// The streams are the ones `cargo xtask bench` writes (run it once first). ROUNDS=n (11).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
const [dirA, dirB] = process.argv.slice(2);
const STREAMS = process.env.BENCH_STREAMS_DIR;
const ROUNDS = Number(process.env.ROUNDS || 11);
function mockFetch(bytes, piece) {
  return async () => { let o = 0; const body = new ReadableStream({ pull(c) { if (o >= bytes.length) return c.close(); c.enqueue(bytes.subarray(o, o + piece)); o += piece; } });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'b', 'x-amzn-bedrock-content-type': 'application/json' } }); };
}
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x', sessionToken: 't' };
const invokeInput = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: '{}' };
const conv = { modelId: invokeInput.modelId, messages: [{ role: 'user', content: [{ text: 'Hi' }] }] };
const load = async (d) => { const p = await import(join(d, 'node.js')); return { p, c: new p.BedrockRuntime({ region: 'us-east-1', credentials }) }; };
const A = await load(dirA), B = await load(dirB);
const utf8 = new TextDecoder();
const claudeText = (j) => (j.type === 'content_block_delta' ? j.delta.text ?? '' : '');
const { EventStreamMarshaller } = await import('@smithy/eventstream-serde-browser');
const { fromUtf8, toUtf8 } = await import('@smithy/util-utf8');
const { fromBase64 } = await import('@smithy/util-base64');
const marshaller = new EventStreamMarshaller({ utf8Encoder: toUtf8, utf8Decoder: fromUtf8 });
async function* pieces(b, p) { for (let o = 0; o < b.length; o += p) yield b.subarray(o, o + p); }
async function sdk(bytes, piece, converse) { let t = 0; for await (const e of marshaller.deserialize(pieces(bytes, piece), async (e) => e)) { const [type, m] = Object.entries(e)[0]; const pl = JSON.parse(toUtf8(m.body)); if (converse) { if (type === 'contentBlockDelta') t += (pl.delta.text ?? '').length; } else t += claudeText(JSON.parse(toUtf8(fromBase64(pl.bytes)))).length; } return t; }
async function text(X, bytes, piece, converse) { globalThis.fetch = mockFetch(bytes, piece); const r = converse ? X.c.converseStream(conv) : X.c.invokeModelWithResponseStream(invokeInput); let t = 0; for await (const s of X.p.textStream(r)) t += s.length; return t; }
async function events(X, bytes, piece, converse) { globalThis.fetch = mockFetch(bytes, piece); let t = 0;
  if (converse) { const out = await X.c.converseStream(conv); for await (const e of out.stream) t += (e.contentBlockDelta?.delta?.text ?? '').length; }
  else { const { body } = await X.c.invokeModelWithResponseStream(invokeInput); for await (const e of body) t += claudeText(JSON.parse(utf8.decode(e.chunk.bytes))).length; } return t; }
const time = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const name of ['claude-messages', 'converse-stream']) {
  const bytes = new Uint8Array(await readFile(join(STREAMS, `${name}.eventstream`)));
  const cv = name === 'converse-stream';
  for (const piece of [4096, 65536]) {
    const r = { sdk: [], tA: [], tB: [], eA: [], eB: [] };
    for (let i = 0; i < ROUNDS + 1; i++) {
      const s = await time(() => sdk(bytes, piece, cv));
      const tA = await time(() => text(A, bytes, piece, cv)); const tB = await time(() => text(B, bytes, piece, cv));
      const eA = await time(() => events(A, bytes, piece, cv)); const eB = await time(() => events(B, bytes, piece, cv));
      if (i) { r.sdk.push(s); r.tA.push(s / tA); r.tB.push(s / tB); r.eA.push(s / eA); r.eB.push(s / eB); }
    }
    console.log(`${name} ${piece}: text A ${med(r.tA).toFixed(2)}x B ${med(r.tB).toFixed(2)}x | events A ${med(r.eA).toFixed(2)}x B ${med(r.eB).toFixed(2)}x (min text A ${Math.min(...r.tA).toFixed(2)} B ${Math.min(...r.tB).toFixed(2)})`);
  }
}
