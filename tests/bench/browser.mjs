// The browser half of `cargo xtask bench` (issue 7, item 5): the release playground (dist/)
// in headless Chromium (Debian's /usr/bin/chromium through playwright-core: no download)
// streams a 20,000-token answer from the emulator at zero token delay. It measures
//
// - main-thread milliseconds per 1,000 tokens for tokens 1–1,000 and 19,001–20,000 (CDP
//   `Performance.getMetrics`: TaskDuration, i.e. everything the page's main thread did —
//   reading the body, decoding, signals, rendering, style, layout, paint), and
// - the delay from the emulator handing a token's frame to the connection to that token's
//   text being in the `output` element (a MutationObserver sees every DOM change in the
//   same task that made it).
//
// The stream is a replayed capture xtask wrote (`BENCH_CAPTURE`): Claude Messages deltas
// " w1", " w2", … so the page can tell the last token in the DOM from the last text node.
// Window edges are made exact with emulator stalls right before token 1, after token 1,000,
// before token 19,001 and after token 20,000: the browser catches up and goes idle, and the
// metrics are read while nothing else can arrive (checked before and after each reading).
// The emulator's `chunk-times` item logs each frame's write time in wall-clock µs; browser
// and emulator share the machine's clock, so `performance.timeOrigin + performance.now()`
// is directly comparable.
//
// Prints one JSON object on stdout: { markdown, results }.
import { chromium } from 'playwright-core';

const env = process.env;
const TOKENS = Number(env.BENCH_TOKENS || 20_000);
const WINDOW = 1000;
const RUNS = Number(env.BENCH_BROWSER_RUNS || 3);
// Seconds each window edge holds the stream: long enough for the page to catch up.
const STALL = Number(env.BENCH_STALL_S || 2);
// Frames before token k: message_start and content_block_start, so token k is frame k + 1.
const framesThrough = (token) => token + 2;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const fmt = (s, digits = 1) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// At zero delay the page renders once per network read, however many tokens that read
// brought, so per-token costs hide behind batching; the paced variant sends the two measured
// windows one token every PACE_MS (still zero delay in between), so every token is its own
// read and DOM update, as with a real model's 10–100 tokens/s.
const PACE_MS = Number(env.BENCH_PACE_MS || 5);
const edges = [0, WINDOW, TOKENS - WINDOW, TOKENS];
const specFor = (paced) => [
  'replay=' + env.BENCH_CAPTURE,
  'chunk-times',
  ...edges.map((t) => `stall=${STALL}@${framesThrough(t)}`),
  ...(paced ? edges.map((t, i) => `pace=${i % 2 ? 0 : PACE_MS}@${framesThrough(t)}`) : []),
].join(',');

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** One streamed 20,000-token answer in a fresh page. */
async function run(n, paced) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
  const metrics = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  };
  await page.goto(env.PLAYGROUND_URL);
  await page.getByTestId('send').waitFor();
  await page.getByTestId('api').selectOption('invoke');
  const fields = {
    'access-key-id': env.ACCESS_KEY_ID,
    'secret-access-key': env.SECRET_ACCESS_KEY,
    'session-token': env.SESSION_TOKEN,
    region: 'us-east-1',
    endpoint: env.EMULATOR_URL,
    // A key per run keeps the emulator's log records apart.
    'model-id': `emulator-fault:${specFor(paced)},key=browser-bench-${n}:anthropic.claude-3-haiku-20240307-v1:0`,
    prompt: 'Write a very long essay.',
    'max-tokens': 4096,
  };
  for (const [id, value] of Object.entries(fields)) await page.getByTestId(id).fill(String(value));
  // O(1) per DOM change: only the tail of the output is read, never its whole text.
  await page.evaluate(() => {
    const out = document.querySelector('[data-testid="output"]');
    const lastToken = (node) => {
      for (let c = node.lastChild; c; c = c.previousSibling) {
        if (c.nodeType === Node.TEXT_NODE) {
          const m = /w(\d+)\s*$/.exec(c.data);
          if (m) return Number(m[1]);
          if (c.data.trim() !== '') return 0;
        } else {
          const k = lastToken(c);
          if (k !== null) return k;
        }
      }
      return null;
    };
    window.__last = 0;
    window.__seen = [];
    window.__changes = 0;
    new MutationObserver(() => {
      const now = performance.timeOrigin + performance.now();
      window.__changes++;
      const k = lastToken(out) ?? 0;
      if (k > window.__last) {
        window.__last = k;
        window.__seen.push(k, now);
      }
    }).observe(out, { childList: true, characterData: true, subtree: true });
  });
  const last = () => page.evaluate(() => [window.__last, window.__changes]);

  const readings = [];
  await page.getByTestId('send').click();
  for (const edge of edges) {
    // Until the page shows exactly the edge token; then let rAF, style, layout and paint
    // that the last change queued finish before reading.
    const deadline = Date.now() + STALL * 1000 + 60_000;
    let seen;
    for (;;) {
      [seen] = await last();
      if (seen >= edge) break;
      if (Date.now() > deadline) throw new Error(`the page never showed token ${edge} (at ${seen})`);
      await sleep(25);
    }
    if (edge === 0) await sleep(300); // no text yet: give the headers and first frames time
    await sleep(150);
    const m = await metrics();
    const [after, changes] = await last();
    if (seen !== edge || after !== edge) {
      throw new Error(`window edge ${edge} was not held (saw ${seen}, then ${after}): raise BENCH_STALL_S`);
    }
    readings.push({ edge, m, changes });
  }
  await page.waitForFunction(() => document.querySelector('[data-testid="metrics"]').textContent.trim() !== '', null, { timeout: 60_000 });
  const seen = await page.evaluate(() => window.__seen);
  const text = await page.getByTestId('metrics').textContent();
  const log = await (await fetch(`${env.EMULATOR_URL}/_emulator/log`)).json();
  const record = log.filter((r) => r.fault?.includes(`key=browser-bench-${n}`) && r.operation === 'InvokeModelWithResponseStream').at(-1);
  await page.close();
  if (!record?.completed) throw new Error(`the emulator did not complete the stream: ${JSON.stringify(record?.error)}`);
  const times = record.chunk_times_us;

  // Per token: when its frame was written, and the first DOM change that showed it.
  const delays = [];
  let j = 0;
  for (let k = 1; k <= TOKENS; k++) {
    while (j < seen.length && seen[j] < k) j += 2;
    if (j >= seen.length) throw new Error(`token ${k} never appeared in the DOM`);
    delays.push(seen[j + 1] - times[framesThrough(k) - 1] / 1000);
  }
  const span = (a, b) => {
    const ms = (name) => (b.m[name] - a.m[name]) * 1000;
    return {
      task: ms('TaskDuration'), script: ms('ScriptDuration'),
      layout: ms('LayoutDuration') + ms('RecalcStyleDuration'), changes: b.changes - a.changes,
    };
  };
  const dist = (xs) => ({ median: median(xs), p99: quantile(xs, 0.99), max: Math.max(...xs) });
  return {
    first: span(readings[0], readings[1]),
    last: span(readings[2], readings[3]),
    firstToken: delays[0],
    all: dist(delays),
    firstWindow: dist(delays.slice(0, WINDOW)),
    lastWindow: dist(delays.slice(TOKENS - WINDOW)),
    figures: text,
  };
}

const variants = [
  { name: 'zero delay throughout', paced: false, runs: Number(env.BENCH_ZERO_RUNS || 2) },
  { name: `windows paced ${PACE_MS} ms/token`, paced: true, runs: RUNS },
];
try {
  for (const v of variants) {
    v.results = [];
    for (let n = 0; n < v.runs; n++) {
      v.results.push(await run(`${Date.now()}-${n}`, v.paced));
      process.stderr.write(`browser, ${v.name}, run ${n + 1}: ${JSON.stringify(v.results.at(-1))}\n`);
    }
  }
} finally {
  await browser.close();
}

const results = {};
const k = (n) => n.toLocaleString('en');
let md = `## In the browser (headless Chromium, playground \`dist/\`, emulator at zero token delay)\n\n`;
md += `A ${k(TOKENS)}-token Claude Messages answer (InvokeModelWithResponseStream, one token per frame, each frame written in 2–3 pieces, a paragraph every 80 tokens) streamed into the playground from the emulator (a replayed capture, \`--token-delay-ms 0\`); median (min–max) over runs, each in a fresh page. Main-thread time is CDP \`Performance.getMetrics\` TaskDuration over the window: everything the page's main thread did (reading the body, decoding, signals, Markdown, style, layout, paint). Emulator stalls hold the stream at each window edge until the page has caught up, so each reading covers exactly those 1,000 tokens. Two variants: the whole stream at zero delay, where the page renders once per network read whatever that read brought (so the number of DOM updates, not the tokens, sets the cost); and the two windows paced at ${PACE_MS} ms per token (the rest still at zero delay), so every token is its own read and DOM update, as with a real model.\n\n`;
md += `| stream | tokens | main-thread ms per 1,000 tokens | of which script | style + layout | other (paint, compositing, loading) | DOM updates |\n|---|---|---|---|---|---|---|\n`;
for (const v of variants) {
  const s = (f) => stats(v.results.map(f));
  const r = {
    first: { task: s((x) => x.first.task), script: s((x) => x.first.script), layout: s((x) => x.first.layout), other: s((x) => x.first.task - x.first.script - x.first.layout), changes: s((x) => x.first.changes) },
    last: { task: s((x) => x.last.task), script: s((x) => x.last.script), layout: s((x) => x.last.layout), other: s((x) => x.last.task - x.last.script - x.last.layout), changes: s((x) => x.last.changes) },
    firstToken: s((x) => x.firstToken),
    all: { median: s((x) => x.all.median), p99: s((x) => x.all.p99), max: s((x) => x.all.max) },
    firstWindow: { median: s((x) => x.firstWindow.median), p99: s((x) => x.firstWindow.p99) },
    lastWindow: { median: s((x) => x.lastWindow.median), p99: s((x) => x.lastWindow.p99) },
    runs: v.results.length,
  };
  r.ratio = r.last.task.median / r.first.task.median;
  results[v.paced ? 'paced' : 'zero'] = r;
  for (const [w, label] of [['first', `1–${k(WINDOW)}`], ['last', `${k(TOKENS - WINDOW + 1)}–${k(TOKENS)}`]]) {
    md += `| ${v.name} (${r.runs} runs) | ${label} | ${fmt(r[w].task)} | ${fmt(r[w].script)} | ${fmt(r[w].layout)} | ${fmt(r[w].other)} | ${fmt(r[w].changes, 0)} |\n`;
  }
}
md += `\nLast window ÷ first window: ${results.zero.ratio.toFixed(2)}× at zero delay, ${results.paced.ratio.toFixed(2)}× paced.\n\n`;
md += `Chunk → DOM: from the emulator handing a token's frame to the connection (wall clock, logged by its \`chunk-times\` item) to that token's text being in the \`output\` element (a MutationObserver, \`performance.timeOrigin + performance.now()\`); browser and emulator run on this machine and read the same clock. ms:\n\n`;
md += `| stream | first token | median | p99 | tokens |\n|---|---|---|---|---|\n`;
const z = results.zero;
const p = results.paced;
md += `| zero delay throughout | ${fmt(z.firstToken, 2)} | ${fmt(z.all.median, 2)} | ${fmt(z.all.p99, 2)} | all ${k(TOKENS)} (includes the backlog of a page that cannot keep up with a zero-delay stream) |\n`;
md += `| windows paced ${PACE_MS} ms/token | ${fmt(p.firstToken, 2)} | ${fmt(p.firstWindow.median, 2)} | ${fmt(p.firstWindow.p99, 2)} | 1–${k(WINDOW)} |\n`;
md += `| windows paced ${PACE_MS} ms/token | | ${fmt(p.lastWindow.median, 2)} | ${fmt(p.lastWindow.p99, 2)} | ${k(TOKENS - WINDOW + 1)}–${k(TOKENS)} |\n`;
process.stdout.write(JSON.stringify({ markdown: md, results }));
