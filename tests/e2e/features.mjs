// One spec per playground feature (issue 6), run by playground.mjs with its page object.
// Emulator faults are selected with the `emulator-fault:<spec>:<model>` model-id prefix; each
// counted fault gets its own `key=` so reruns against the same emulator start fresh.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` (in Node) until it holds, for up to 10 s. */
async function until(ok, what) {
  for (let i = 0; i < 100; i++) {
    if (await ok()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting until ${what}`);
}

/**
 * A Markdown answer's DOM as a plain tree: elements (tag, class, attributes, children) and
 * text, adjacent text merged and the settled-block wrappers (`span.blk`) unwrapped, so the
 * streamed answer and the same answer rendered at once can be compared.
 */
function markdownTree(root) {
  const walk = (node, out) => {
    for (const c of node.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) {
        if (c.data === '') continue;
        if (typeof out.at(-1) === 'string') out[out.length - 1] += c.data;
        else out.push(c.data);
      } else if (c.nodeType === Node.ELEMENT_NODE) {
        if (c.tagName === 'SPAN' && c.className === 'blk') {
          walk(c, out);
          continue;
        }
        const attrs = [...c.attributes].map((a) => `${a.name}=${a.value}`).sort();
        out.push({ tag: c.tagName, attrs, children: walk(c, []) });
      }
    }
    return out;
  };
  return walk(root, []);
}

export function featureTests({ env, expected, emulatorLog, Playground }) {
  const unique = () => `k${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const faulty = (spec, model = 'anthropic.claude-v2') => `emulator-fault:${spec},key=${unique()}:${model}`;

  /** Waits until the newest log record of `operation` satisfies `ok`. */
  async function lastRecord(operation, ok = () => true) {
    let record;
    for (let i = 0; i < 50; i++) {
      record = (await emulatorLog()).filter((r) => r.operation === operation).at(-1);
      if (record && ok(record)) return record;
      await sleep(100);
    }
    return record;
  }

  return {
    async 'Ctrl+Enter sends; the chat keeps turns; retry, edit-last and clear work'(p) {
      await p.fillValid({ prompt: 'What is your name?' });
      await p.byId('prompt').press('Control+Enter');
      await p.waitForMetrics();
      assert.equal(await p.text('output'), ' My name is Claude.');
      assert.equal(await p.text('user-message'), 'What is your name?');
      await p.fill({ prompt: 'And what do you do?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.byId('turn').count(), 1, 'the first exchange moved into the history');
      assert.equal(await p.text('user-message'), 'And what do you do?');
      const second = await p.text('output');
      assert.ok(second.length > 0);
      // The second request carried the first exchange (Claude text format).
      const body = JSON.parse(await p.byId('invoke-body').inputValue());
      assert.match(body.prompt, /Human: What is your name\?\n\nAssistant: My name is Claude\.\n\nHuman: And what do you do\?/);
      await p.byId('retry').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), second, 'a retry asks the same question again');
      assert.equal(await p.byId('turn').count(), 1);
      await p.byId('edit-last').click();
      assert.equal(await p.byId('prompt').inputValue(), 'And what do you do?');
      assert.equal(await p.text('output'), '');
      await p.byId('clear').click();
      assert.equal(await p.byId('turn').count(), 0);
    },

    async 'Converse streams through ConverseStream and shows usage'(p) {
      await p.fillValid({ prompt: 'What is your name?', 'model-id': 'us.anthropic.claude-3-5-sonnet-20240620-v1:0' });
      await p.byId('api').selectOption('converse');
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal((await p.text('output')).trim(), 'My name is Claude.');
      const metrics = await p.text('metrics');
      assert.match(metrics, /input tokens \d+ · output tokens \d+/);
      assert.match(metrics, /stop reason end_turn/);
      const record = await lastRecord('ConverseStream');
      assert.equal(record.status, 200);
    },

    async 'parameters and the edited InvokeModel body are what is sent'(p) {
      await p.fillValid({ 'model-id': 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'What is your name?' });
      await p.fill({ temperature: '0.2', 'top-p': '0.9', 'top-k': '40', 'stop-sequences': 'END', 'system-prompt': 'Be brief.' });
      await p.expand('body-editor');
      const generated = JSON.parse(await p.byId('invoke-body').inputValue());
      assert.deepEqual(generated, {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: expected.maxTokens,
        messages: [{ role: 'user', content: 'What is your name?' }],
        system: 'Be brief.',
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ['END'],
      });
      assert.match(await p.text('model-info'), /Anthropic Claude 3 Haiku · family claude-messages · APIs: InvokeModel, Converse/);
      await p.byId('invoke-body').fill(JSON.stringify({ ...generated, max_tokens: 3 }));
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.match(await p.text('metrics'), /output tokens 3\b/);
      assert.match(await p.text('metrics'), /stop reason max_tokens/);
      assert.match(await p.text('metrics'), /≈ \$0\.\d+/, 'an estimated cost for a priced model');
    },

    async 'the catalog groups models by provider and lists inference profiles'(p) {
      const groups = await p.page.$$eval('[data-testid="model-catalog"] optgroup', (g) => g.map((x) => x.label));
      assert.deepEqual(groups, ['Anthropic', 'Amazon', 'Meta', 'Mistral AI', 'Cohere', 'AI21 Labs']);
      await p.byId('model-catalog').selectOption('anthropic.claude-sonnet-4-20250514-v1:0');
      assert.equal(await p.byId('model-id').inputValue(), 'anthropic.claude-sonnet-4-20250514-v1:0');
      const profiles = await p.page.$$eval('[data-testid="model-profile"] option', (o) => o.map((x) => x.value));
      assert.deepEqual(profiles.map((v) => v.split('.')[0]), ['anthropic', 'us', 'eu', 'apac', 'global']);
      await p.byId('model-profile').selectOption('eu.anthropic.claude-sonnet-4-20250514-v1:0');
      assert.equal(await p.byId('model-id').inputValue(), 'eu.anthropic.claude-sonnet-4-20250514-v1:0');
      await p.fill({ 'model-id': 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc' });
      assert.match(await p.text('model-info'), /Not in the catalog/);
    },

    async 'compare: panes stream concurrently, each with its own figures'(p) {
      await p.fillValid({ prompt: 'Tell me about frames' });
      await p.expand('compare');
      await p.fill({
        'compare-model-1': 'anthropic.claude-v2',
        'compare-model-2': 'amazon.nova-lite-v1:0',
        'compare-model-3': 'meta.llama3-8b-instruct-v1:0',
      });
      await p.byId('compare-send').click();
      // At some moment all three panes show partial text while none has finished.
      await p.page.waitForFunction(() => [1, 2, 3].every((i) =>
        document.querySelector(`[data-testid="compare-output-${i}"]`).textContent.length > 0
        && document.querySelector(`[data-testid="compare-metrics-${i}"]`).textContent === ''), null, { timeout: 15_000 });
      await p.screenshot('05-compare-streaming');
      for (const i of [1, 2, 3]) await p.waitForMetrics(`compare-metrics-${i}`);
      await p.screenshot('06-compare-done');
      for (const i of [1, 2, 3]) {
        assert.match(await p.text(`compare-metrics-${i}`), /output tokens \d+/);
        assert.equal(await p.text(`compare-error-${i}`), '');
      }
      const records = (await emulatorLog()).filter((r) => r.operation === 'InvokeModelWithResponseStream').slice(-3);
      assert.deepEqual(records.map((r) => r.family).sort(), ['claude-text', 'llama', 'nova']);
      const start = Math.max(...records.map((r) => r.started_ms));
      const end = Math.min(...records.map((r) => r.started_ms + r.duration_ms));
      assert.ok(start < end, 'the three requests were in flight at the same time');
    },

    async 'Stop all ends every compare stream'(p) {
      await p.fillValid();
      await p.expand('compare');
      await p.fill({ 'compare-model-1': 'anthropic.claude-v2', 'compare-model-2': 'amazon.nova-lite-v1:0' });
      await p.byId('compare-send').click();
      await p.page.waitForFunction(() => document.querySelector('[data-testid="compare-output-2"]').textContent.length > 10);
      await p.page.keyboard.press('Escape');
      await p.waitForMetrics('compare-metrics-1');
      await p.waitForMetrics('compare-metrics-2');
      assert.equal(await p.text('compare-metrics-1'), 'Stopped.');
      assert.equal(await p.text('compare-metrics-2'), 'Stopped.');
    },

    async 'the code view shows boto3, JS and CLI for a known request'(p) {
      await p.fillValid({ prompt: 'What is your name?' });
      await p.expand('code-view');
      const python = await p.text('code');
      assert.equal(python, [
        'import json',
        '',
        'import boto3',
        '',
        `client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url="${env.EMULATOR_URL}")`,
        '',
        'body = json.dumps({',
        `    "max_tokens_to_sample": ${expected.maxTokens},`,
        '    "prompt": "\\n\\nHuman: What is your name?\\n\\nAssistant:",',
        '})',
        'response = client.invoke_model_with_response_stream(modelId="anthropic.claude-v2", body=body)',
        'for event in response["body"]:',
        '    chunk = json.loads(event["chunk"]["bytes"])',
        '    print(chunk.get("completion", ""), end="", flush=True)',
        '',
      ].join('\n'));
      assert.ok(!python.includes(env.SECRET_ACCESS_KEY) && !python.includes(env.ACCESS_KEY_ID), 'no credentials in code');
      await p.byId('code-lang').selectOption('js');
      const js = await p.text('code');
      assert.match(js, /^import init, \{ BedrockRuntime \} from "bedrock-wasm";/);
      assert.match(js, /client\.invokeModelWithResponseStream\(\{\n  modelId: "anthropic\.claude-v2",/);
      assert.match(js, /console\.log\(json\.completion\)/);
      await p.byId('code-lang').selectOption('cli');
      const cli = await p.text('code');
      assert.match(cli, /aws bedrock-runtime invoke-model \\\n  --region 'us-east-1' \\\n/);
      assert.ok(cli.includes(`--body '{"max_tokens_to_sample":${expected.maxTokens},"prompt":"\\n\\nHuman: What is your name?\\n\\nAssistant:"}'`));
      await p.byId('api').selectOption('converse');
      await p.byId('code-lang').selectOption('python');
      const converse = await p.text('code');
      assert.match(converse, /response = client\.converse_stream\(modelId="anthropic\.claude-v2", \*\*request\)/);
      assert.match(converse, /"inferenceConfig": \{\n        "maxTokens": 200,/);
      await p.screenshot('07-code-view');
      await p.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await p.byId('code-copy').click();
      await p.page.waitForFunction(() => document.querySelector('[data-testid="code-copied"]').textContent !== '');
      assert.equal(await p.text('code-copied'), 'Copied.');
      assert.equal(await p.page.evaluate(() => navigator.clipboard.readText()), converse);
    },

    async 'the inspector shows every decoded frame of the last answer'(p) {
      await p.fillValid({ prompt: 'What is your name?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      const record = await lastRecord('InvokeModelWithResponseStream', (r) => r.completed);
      await p.expand('inspector');
      const frames = p.byId('frame');
      assert.equal(await frames.count(), record.chunks_sent);
      const first = await frames.first().textContent();
      assert.match(first, /:event-type: chunk/);
      assert.match(first, /:message-type: event/);
      assert.match(first, /\{"bytes":"/);
      assert.match(first, /"completion":/);
      const last = await frames.last().textContent();
      assert.match(last, /amazon-bedrock-invocationMetrics/);
      await p.screenshot('08-inspector');
    },

    async 'throttling is retried and then succeeds, and the figures say so'(p) {
      await p.fillValid({ 'model-id': faulty('throttle=2'), prompt: 'What is your name?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), ' My name is Claude.');
      assert.match(await p.text('metrics'), /3 attempts \(2 retried after [\d.]+ s of backoff\)/);
      assert.equal(await p.text('error'), '');
    },

    async 'a skewed clock is corrected and the request succeeds'(p) {
      await p.fillValid({ 'model-id': faulty('clock-skew=-600'), prompt: 'What is your name?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), ' My name is Claude.');
      assert.match(await p.text('metrics'), /clock skew corrected: signing -60\d s off this computer's clock/);
    },

    async 'access denied says which permissions are missing'(p) {
      await p.fillValid({ 'model-id': faulty('access-denied') });
      await p.byId('send').click();
      const error = await p.waitForError();
      assert.match(error, /AccessDeniedException \(HTTP 403\)/);
      assert.match(error, /bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream/);
      assert.match(error, /enabled in this region/);
      await p.screenshot('04-error');
    },

    async 'an expired token says to get new credentials'(p) {
      await p.fillValid({ 'model-id': faulty('expired-token') });
      await p.byId('send').click();
      const error = await p.waitForError();
      assert.match(error, /ExpiredTokenException/);
      assert.match(error, /The temporary credentials expired; get new ones\./);
    },

    async 'persistent throttling reports the retries'(p) {
      await p.fillValid({ 'model-id': faulty('throttle') });
      await p.byId('send').click();
      const error = await p.waitForError();
      assert.match(error, /ThrottlingException/);
      assert.match(error, /wait a moment and retry/);
      assert.match(error, /Tried 3 times/);
    },

    async 'a validation error is shown with its message'(p) {
      await p.fillValid({ 'model-id': faulty('validation') });
      await p.byId('send').click();
      const error = await p.waitForError();
      assert.match(error, /ValidationException \(HTTP 400\)/);
    },

    async 'a mid-stream exception keeps the text so far'(p) {
      await p.fillValid({ 'model-id': faulty('exception=modelStreamErrorException@5') });
      await p.byId('send').click();
      const error = await p.waitForError();
      assert.match(error, /ModelStreamErrorException/);
      assert.match(error, /text received so far is kept/);
      assert.ok((await p.text('output')).length > 0);
    },

    async 'a Bedrock API key works instead of access keys'(p) {
      await p.fillValid();
      await p.byId('auth-mode').selectOption('api-key');
      await p.fill({ 'api-key': env.API_KEY });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      const record = await lastRecord('InvokeModelWithResponseStream');
      assert.equal(record.signature, 'api-key');
    },

    async 'credentials stay out of storage unless remembered in this tab; Forget clears them'(p) {
      await p.fillValid();
      const storage = () => p.page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await storage(), '{"local":{},"session":{}}');
      assert.equal(await p.byId('remember').isChecked(), false, 'off by default');
      await p.byId('remember').check();
      const saved = JSON.parse(await storage());
      assert.deepEqual(saved.local, {});
      assert.ok(JSON.stringify(saved.session).includes(env.SECRET_ACCESS_KEY), 'kept in sessionStorage once opted in');
      await p.page.reload();
      await p.byId('send').waitFor();
      assert.equal(await p.byId('secret-access-key').inputValue(), env.SECRET_ACCESS_KEY, 'restored in this tab');
      assert.equal(await p.byId('remember').isChecked(), true);
      await p.byId('forget').click();
      assert.equal(await storage(), '{"local":{},"session":{}}');
      assert.equal(await p.byId('secret-access-key').inputValue(), '');
      assert.equal(await p.byId('access-key-id').inputValue(), '');
      // Pasting `aws configure export-credentials` output fills the fields and shows the expiry,
      // switching to access keys from whichever sign-in was chosen.
      await p.byId('auth-mode').selectOption('cognito');
      const expiration = new Date(Date.now() + 42 * 60_000).toISOString();
      await p.byId('credentials-paste').fill(JSON.stringify({
        Version: 1, AccessKeyId: 'AKIAEXAMPLE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: expiration,
      }));
      assert.equal(await p.byId('access-key-id').inputValue(), 'AKIAEXAMPLE');
      assert.equal(await p.byId('auth-mode').inputValue(), 'sigv4');
      assert.ok(await p.byId('access-key-id').isVisible(), 'the pasted keys are shown');
      assert.match(await p.text('credentials-expiry'), /Credentials expire in 4[12] min/);
      assert.equal(await storage(), '{"local":{},"session":{}}');
    },

    async 'a conversation exports as JSON (Converse shape) and Markdown, and the JSON imports back into a working chat'(p) {
      await p.fillValid({ 'system-prompt': 'Be brief.' });
      await p.byId('send').click();
      await p.waitForMetrics();
      const first = await p.text('output');
      await p.fill({ prompt: 'And what do you do?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      const second = await p.text('output');
      const fetchDownload = async (id) => {
        const [download] = await Promise.all([p.page.waitForEvent('download'), p.byId(id).click()]);
        const { readFile } = await import('node:fs/promises');
        return { name: download.suggestedFilename(), text: await readFile(await download.path(), 'utf8') };
      };
      const json = await fetchDownload('export-json');
      assert.equal(json.name, 'conversation.json');
      const file = JSON.parse(json.text);
      assert.equal(file.modelId, 'anthropic.claude-v2');
      assert.deepEqual(file.system, [{ text: 'Be brief.' }]);
      assert.equal(file.inferenceConfig.maxTokens, Number(expected.maxTokens));
      assert.deepEqual(file.messages, [
        { role: 'user', content: [{ text: expected.prompt }] },
        { role: 'assistant', content: [{ text: first }] },
        { role: 'user', content: [{ text: 'And what do you do?' }] },
        { role: 'assistant', content: [{ text: second }] },
      ]);
      const md = await fetchDownload('export-markdown');
      assert.equal(md.name, 'conversation.md');
      assert.match(md.text, /^# Conversation with anthropic\.claude-v2/);
      assert.ok(md.text.includes(`## Assistant\n\n${second}`));

      // A fresh page imports it: the turns, the model and the system prompt come back, and the
      // next request carries the history.
      await p.open();
      await p.byId('import').setInputFiles({ name: 'conversation.json', mimeType: 'application/json', buffer: Buffer.from(json.text) });
      await until(async () => /Imported 2 turns/.test(await p.text('import-status')), 'the import is done');
      assert.equal(await p.byId('turn').count(), 2);
      assert.equal(await p.byId('system-prompt').inputValue(), 'Be brief.');
      await p.fill({
        'access-key-id': env.ACCESS_KEY_ID,
        'secret-access-key': env.SECRET_ACCESS_KEY,
        'session-token': env.SESSION_TOKEN,
        endpoint: env.EMULATOR_URL,
        prompt: 'One more?',
      });
      const body = JSON.parse(await p.byId('invoke-body').inputValue());
      assert.ok(body.prompt.includes(second) && body.prompt.includes('One more?'), 'the history is in the next request');
      await p.byId('send').click();
      await p.waitForMetrics();
      // A file that is not a conversation says why, and changes nothing.
      await p.byId('import').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('{"hello":1}') });
      await until(async () => /Cannot import: .*"messages"/.test(await p.text('import-status')), 'the refusal is shown');
      assert.equal(await p.byId('turn').count(), 2);
    },

    async 'attachments: picked, dropped and pasted files reach the request byte-exact, stay in the history, and what a model cannot take is said before sending'(p) {
      const model = 'anthropic.claude-3-7-sonnet-20250219-v1:0';
      await p.fillValid({ 'model-id': model, 'max-tokens': '300', prompt: 'What are these?' });
      await p.byId('api').selectOption('converse');
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
      const pdf = Buffer.from('%PDF-1.4\n% bedrock-wasm attachment test \xff\n', 'latin1');
      const sent = [];
      p.page.on('request', (r) => { if (/\/(converse|invoke)/.test(r.url()) && r.method() === 'POST') sent.push(r); });
      const chips = () => p.page.locator('.composer [data-testid="attachment"]');
      // Picked (two at once), dropped onto the composer, pasted into the prompt.
      await p.byId('attach').setInputFiles([
        { name: 'tiny.png', mimeType: 'image/png', buffer: png },
        { name: 'Q3 report.pdf', mimeType: 'application/pdf', buffer: pdf },
      ]);
      await until(async () => (await chips().count()) === 2, 'two chips');
      await p.page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['# Notes\nbullet one'], 'notes.md'));
        document.querySelector('.composer').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await until(async () => (await chips().count()) === 3, 'the dropped file');
      await p.page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array([71, 73, 70, 56, 57, 97])], 'pasted.gif', { type: 'image/gif' }));
        document.querySelector('[data-testid="prompt"]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      });
      await until(async () => (await chips().count()) === 4, 'the pasted image');
      assert.equal(await chips().nth(0).locator('img').count(), 1, 'an image chip shows a thumbnail');
      await chips().nth(3).getByTestId('attachment-remove').click();
      assert.equal(await chips().count(), 3);
      // The preview shows each file as a placeholder, not its base64.
      let preview = JSON.parse(await p.byId('invoke-body').inputValue());
      assert.equal(preview.messages[0].content[0].image.source.bytes, `<tiny.png: ${png.length} bytes, sent as base64>`);
      await p.screenshot('13-attachments');
      await p.byId('send').click();
      await p.waitForMetrics();
      const blocks = JSON.parse(sent.at(-1).postDataBuffer().toString()).messages[0].content;
      assert.deepEqual(blocks.map((b) => Object.keys(b)[0]), ['image', 'document', 'document', 'text']);
      assert.deepEqual(Buffer.from(blocks[0].image.source.bytes, 'base64'), png, 'the image bytes, exactly');
      assert.equal(blocks[0].image.format, 'png');
      assert.deepEqual(Buffer.from(blocks[1].document.source.bytes, 'base64'), pdf, 'the PDF bytes, exactly');
      assert.deepEqual([blocks[1].document.name, blocks[1].document.format], ['Q3 report', 'pdf']);
      assert.deepEqual([blocks[2].document.name, blocks[2].document.format], ['notes', 'md']);
      assert.equal(Buffer.from(blocks[2].document.source.bytes, 'base64').toString(), '# Notes\nbullet one');
      assert.deepEqual(blocks[3], { text: 'What are these?' });
      assert.equal(await chips().count(), 0, 'sent files leave the composer');
      assert.equal(await p.page.locator('[data-testid="user-message"] [data-testid="attachment"]').count(), 3, 'the turn shows what it carried');
      // The emulator says what it received (the first 16 hex digits of each file's SHA-256).
      const { createHash } = await import('node:crypto');
      const sha = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);
      const received = (await p.text('output')).split(/\s*\n\s*|(?<=\.) (?=Received)/).slice(0, 3);
      assert.deepEqual(received, [
        `Received image png ${png.length} bytes sha256 ${sha(png)}.`,
        `Received document "Q3 report" pdf ${pdf.length} bytes sha256 ${sha(pdf)}.`,
        `Received document "notes" md 18 bytes sha256 ${sha(Buffer.from('# Notes\nbullet one'))}.`,
      ]);
      // The next turn carries them again in the history.
      await p.fill({ prompt: 'And now?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      const next = JSON.parse(sent.at(-1).postDataBuffer().toString()).messages;
      assert.equal(next.length, 3);
      assert.deepEqual(next[0].content, blocks);
      assert.deepEqual(next[2].content, [{ text: 'And now?' }]);
      assert.equal(await p.page.locator('[data-testid="turn"] [data-testid="attachment"]').count(), 3);

      // A model that takes no images: said at once and on Send; nothing is sent or lost.
      await p.byId('clear').click();
      await p.fill({ 'model-id': 'anthropic.claude-v2', prompt: 'Describe it' });
      await p.byId('attach').setInputFiles({ name: 'tiny.png', mimeType: 'image/png', buffer: png });
      await until(async () => /Claude 2 does not take images/.test(await p.text('attach-status')), 'the refusal beside the files');
      const before = sent.length;
      await p.byId('send').click();
      assert.match(await p.waitForError(), /Claude 2 does not take images/);
      assert.equal(sent.length, before, 'nothing was sent');
      assert.equal(await chips().count(), 1);
      assert.equal(await p.byId('prompt').inputValue(), 'Describe it');
      // InvokeModel: Claude's native body carries images; a Word file needs Converse.
      await p.byId('api').selectOption('invoke');
      await p.fill({ 'model-id': model });
      await p.byId('send').click();
      await p.waitForMetrics();
      const native = JSON.parse(sent.at(-1).postDataBuffer().toString());
      assert.deepEqual(native.messages[0].content[0], { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png.toString('base64') } });
      await p.fill({ prompt: 'And this?' });
      await p.byId('attach').setInputFiles({ name: 'plan.docx', mimeType: '', buffer: Buffer.from('PK\x03\x04') });
      await until(async () => /choose the Converse API/.test(await p.text('attach-status')), 'Word needs Converse');
      // An unsupported file type is refused when picked.
      await p.byId('attach').setInputFiles({ name: 'song.mp3', mimeType: 'audio/mpeg', buffer: Buffer.from('ID3') });
      await until(async () => /song\.mp3: Bedrock takes png/.test(await p.text('attach-status')), 'mp3 refused');
      // Compare panes take the attachments too, each checked against its own model.
      await p.byId('api').selectOption('converse');
      await p.expand('compare');
      await p.fill({ 'compare-model-1': model, 'compare-model-2': 'amazon.nova-micro-v1:0' });
      await p.byId('compare-send').click();
      await p.waitForMetrics('compare-metrics-1');
      assert.match(await p.text('compare-output-1'), /^Received document "plan" docx 4 bytes sha256 [0-9a-f]{16}\./);
      assert.match(await p.waitForError('compare-error-2'), /Nova Micro does not take documents/);
      // A video goes to a Nova model that takes one, as a Converse `video` block, byte-exact.
      await p.page.evaluate(() => { document.querySelector('[data-testid="compare"]').open = false; });
      await p.byId('clear').click();
      for (let i = (await chips().count()) - 1; i >= 0; i--) await chips().nth(i).getByTestId('attachment-remove').click();
      const clip = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(64, 7)]);
      await p.fill({ 'model-id': 'amazon.nova-lite-v1:0', prompt: 'What happens in it?' });
      await p.byId('attach').setInputFiles({ name: 'clip.mp4', mimeType: 'video/mp4', buffer: clip });
      await until(async () => (await chips().count()) === 1, 'the video chip');
      await p.byId('send').click();
      await p.waitForMetrics();
      const video = JSON.parse(sent.at(-1).postDataBuffer().toString()).messages[0].content;
      assert.deepEqual(video.map((b) => Object.keys(b)[0]), ['video', 'text']);
      assert.equal(video[0].video.format, 'mp4');
      assert.deepEqual(Buffer.from(video[0].video.source.bytes, 'base64'), clip, 'the video bytes, exactly');
      assert.match(await p.text('output'), new RegExp(`^Received video mp4 ${clip.length} bytes sha256 ${sha(clip)}\\.`));
    },

    async 'conversations are kept in IndexedDB: back after a reload, listed, reopened, renamed and deleted; Forget everything clears them'(p) {
      const records = async () => (await p.stored()).idb['bedrock-wasm/conversations'] ?? [];
      const items = p.byId('conversation');
      const current = () => items.evaluateAll((els) => els.map((e) => e.getAttribute('aria-current')));
      await p.fillValid({ 'system-prompt': 'Be brief.' });
      await p.byId('send').click();
      await p.waitForMetrics();
      const first = await p.text('output');
      await p.fill({ prompt: 'And what do you do?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      const second = await p.text('output');
      // Saved when the turn ends: what Export JSON writes, plus an id, a title and a time.
      await until(async () => {
        const r = await records();
        return r.length === 1 && JSON.parse(r[0].conversation).messages.length === 4;
      }, 'both turns are saved');
      const [record] = await records();
      assert.deepEqual(Object.keys(record).sort(), ['conversation', 'id', 'title', 'updated']);
      assert.equal(record.title, expected.prompt, 'titled by its first prompt');
      assert.deepEqual(JSON.parse(record.conversation).messages.map((m) => m.content[0].text), [expected.prompt, first, 'And what do you do?', second]);
      await p.assertNoStoredSecret();

      // A reload brings the transcript and its settings back, and lists it as the open one.
      await p.page.reload();
      await p.byId('send').waitFor();
      await until(async () => (await p.byId('turn').count()) === 2, 'the transcript is back');
      const turns = await p.byId('turn').allTextContents();
      assert.ok(turns[0].startsWith(expected.prompt) && turns[0].includes(first.trim()), turns[0]);
      assert.ok(turns[1].startsWith('And what do you do?') && turns[1].includes(second.trim()), turns[1]);
      assert.equal(await p.byId('system-prompt').inputValue(), 'Be brief.');
      assert.deepEqual(await items.allTextContents(), [expected.prompt]);
      assert.deepEqual(await current(), ['true']);
      assert.equal(await p.text('storage-status'), '');

      // A new conversation empties the chat and is saved on its first answer, listed first.
      await p.byId('new-conversation').click();
      assert.equal(await p.byId('turn').count(), 0);
      assert.deepEqual(await current(), [null], 'nothing open until the new one is saved');
      await p.fillValid({ prompt: 'What is your name?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      await until(async () => (await items.count()) === 2, 'the new conversation is listed');
      assert.deepEqual(await items.allTextContents(), ['What is your name?', expected.prompt], 'newest first');
      assert.deepEqual(await current(), ['true', null]);
      await p.screenshot('07-conversations');
      await until(async () => (await records()).length === 2, 'both are in IndexedDB');
      await p.assertNoStoredSecret();

      // Clicking the first one reopens it.
      await items.nth(1).click();
      await until(async () => (await p.byId('turn').count()) === 2, 'the first conversation is open');
      assert.deepEqual(await current(), [null, 'true']);
      assert.equal(await p.text('user-message'), '');

      // Renaming it (Enter commits) saves it: newest first, under its new name, after a reload too.
      await p.byId('conversation-rename').fill('  Snickers   essay ');
      await p.byId('conversation-rename').press('Enter');
      assert.deepEqual(await items.allTextContents(), ['Snickers essay', 'What is your name?']);
      await until(async () => (await records()).some((r) => r.title === 'Snickers essay'), 'the new title is saved');
      await p.page.reload();
      await p.byId('send').waitFor();
      await until(async () => (await p.byId('turn').count()) === 2, 'the renamed one reopens, being the latest');
      assert.deepEqual(await items.allTextContents(), ['Snickers essay', 'What is your name?']);
      assert.equal(await p.byId('conversation-rename').inputValue(), 'Snickers essay');

      // Deleting it empties the chat; the other one stays.
      await p.byId('conversation-delete').click();
      assert.deepEqual(await items.allTextContents(), ['What is your name?']);
      assert.equal(await p.byId('turn').count(), 0);
      await until(async () => (await records()).length === 1, 'deleted from IndexedDB');
      assert.equal((await records())[0].title, 'What is your name?');

      // Forget everything: credentials, the database and the layout choice; nothing comes back.
      await p.fillValid();
      await p.byId('settings-toggle').click();
      await p.byId('settings-toggle').click();
      assert.deepEqual((await p.stored()).local, { 'bedrock-wasm.settings': 'open' });
      await p.byId('forget-everything').click();
      await until(async () => /^Forgotten/.test(await p.text('storage-status')), 'forgotten');
      assert.equal(await items.count(), 0);
      assert.equal(await p.byId('secret-access-key').inputValue(), '');
      assert.deepEqual(await p.stored(), { local: {}, session: {}, idb: {} }, 'nothing is kept');
      assert.ok(!(await p.page.evaluate(() => indexedDB.databases())).some((d) => d.name === 'bedrock-wasm'), 'the database is gone');
      await p.page.reload();
      await p.byId('send').waitFor();
      await p.page.waitForTimeout(300);
      assert.equal(await items.count(), 0);
      assert.equal(await p.byId('turn').count(), 0);
      assert.deepEqual(await records(), []);
    },

    async 'without IndexedDB, or with a corrupt saved record, the page works and says so quietly'(p) {
      // A corrupt record (the newest: it is opened on start-up) and one without an id.
      await until(async () => 'bedrock-wasm/conversations' in (await p.stored()).idb, 'the page created its store');
      await p.page.evaluate(async () => {
        const db = await new Promise((ok) => { indexedDB.open('bedrock-wasm').onsuccess = (e) => ok(e.target.result); });
        const tx = db.transaction('conversations', 'readwrite');
        tx.objectStore('conversations').put({ id: 5, title: 'Broken', updated: Date.now() + 1e6, conversation: '{"messages": 7' }, 5);
        tx.objectStore('conversations').put({ title: 'No id', updated: Date.now() }, 6);
        tx.objectStore('conversations').put('not a record', 7);
        await new Promise((ok) => { tx.oncomplete = ok; });
        db.close();
      });
      await p.page.reload();
      await p.byId('send').waitFor();
      await until(async () => /cannot be opened/.test(await p.text('storage-status')), 'the corrupt record is reported');
      assert.deepEqual(await p.byId('conversation').allTextContents(), ['Broken']);
      assert.equal(await p.byId('turn').count(), 0);
      await p.fillValid();
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      await until(async () => (await p.byId('conversation').count()) === 2, 'a new conversation is saved beside it');

      // No IndexedDB at all (as in some private modes): chat as usual, a notice, no error.
      await p.page.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
      await p.page.reload();
      await p.byId('send').waitFor();
      await until(async () => /not kept in this browser/.test(await p.text('storage-status')), 'the notice');
      await p.fillValid();
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      assert.equal(await p.byId('conversation').count(), 1, 'listed for this page only');
      await p.byId('forget-everything').click();
      assert.equal(await p.byId('secret-access-key').inputValue(), '');
    },

    async 'reasoning and prompt caching are written into the Converse request as Bedrock expects, and answer'(p) {
      const model = 'anthropic.claude-3-7-sonnet-20250219-v1:0';
      await p.fillValid({ 'model-id': model, 'max-tokens': '4096', 'system-prompt': 'Be brief.' });
      await p.byId('api').selectOption('converse');
      const preview = async () => JSON.parse(await p.byId('invoke-body').inputValue());
      await p.byId('reasoning-enabled').check();
      await p.fill({ 'reasoning-budget': '2048' });
      await p.byId('cache-prompt').check();
      let body = await preview();
      assert.deepEqual(body.additionalModelRequestFields, { thinking: { type: 'enabled', budget_tokens: 2048 } });
      assert.deepEqual(body.system, [{ text: 'Be brief.' }, { cachePoint: { type: 'default' } }]);
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.ok((await p.text('reasoning')).length > 0, 'the emulator reasoned, and the page shows it');
      assert.ok((await p.text('output')).length > 0);
      // The next turn caches up to the end of the history.
      await p.fill({ prompt: 'And then?' });
      body = await preview();
      assert.deepEqual(body.messages[1].content.at(-1), { cachePoint: { type: 'default' } });
      await p.byId('send').click();
      await p.waitForMetrics();
      // What the model refuses is said before anything is sent.
      await p.fill({ temperature: '0.5' });
      assert.match(await p.byId('invoke-body').inputValue(), /reasoning takes the model's default temperature/);
      await p.fill({ temperature: '', 'reasoning-budget': '9000' });
      assert.match(await p.byId('invoke-body').inputValue(), /reasoning budget must be/);
      await p.fill({ 'reasoning-budget': '2048' });
      await p.byId('api').selectOption('invoke');
      assert.match(await p.byId('invoke-body').inputValue(), /choose Converse/);
      // Nova 2 reasons with an effort instead of a budget (whatever the budget field says).
      await p.byId('api').selectOption('converse');
      await p.byId('clear').click();
      await p.fill({ 'model-id': 'amazon.nova-2-lite-v1:0', 'max-tokens': '300', 'reasoning-budget': '', prompt: 'Think first' });
      await p.byId('reasoning-effort').selectOption('high');
      body = await preview();
      assert.deepEqual(body.additionalModelRequestFields, { reasoningConfig: { type: 'enabled', maxReasoningEffort: 'high' } });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.ok((await p.text('reasoning')).length > 0, 'Nova 2 reasoned');
    },

    async 'structured output and tools: the schema goes into outputConfig and the answer is checked; a tool call is answered as a toolResult turn, with the reasoning sent back signed'(p) {
      const model = 'anthropic.claude-3-7-sonnet-20250219-v1:0';
      await p.fillValid({ 'model-id': model, 'max-tokens': '4096' });
      await p.byId('api').selectOption('converse');
      const sent = [];
      p.page.on('request', (r) => { if (/\/converse/.test(r.url()) && r.method() === 'POST') sent.push(r); });
      const schema = { type: 'object', properties: { city: { type: 'string' }, temperature: { type: 'number' } }, required: ['city', 'temperature'], additionalProperties: false };
      await p.fill({ 'output-schema': JSON.stringify(schema), prompt: 'The weather in Paris, as JSON' });
      const preview = async () => JSON.parse(await p.byId('invoke-body').inputValue());
      const format = (await preview()).outputConfig.textFormat;
      assert.equal(format.type, 'json_schema');
      assert.deepEqual(JSON.parse(format.structure.jsonSchema.schema), schema);
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.deepEqual(JSON.parse(await p.text('structured-output')), { city: 'example city', temperature: 4.5 });
      assert.equal(await p.text('schema-check'), 'The answer follows the schema.');
      // A schema the answer breaks says where.
      await p.fill({ 'output-schema': JSON.stringify({ ...schema, properties: { ...schema.properties, temperature: { type: 'string' } } }) });
      assert.match(await p.text('schema-check'), /does not follow the schema: \$\.temperature: expected string, found number/);
      // What is not a schema is said before sending; structured output needs Converse.
      await p.fill({ 'output-schema': '[1]' });
      assert.match(await p.byId('invoke-body').inputValue(), /output schema must be a JSON schema object/);
      await p.fill({ 'output-schema': '' });

      // Tools, with reasoning on: the model calls get_weather, the user types its result.
      const tools = [{ name: 'get_weather', description: 'The weather in a city', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } }];
      await p.fill({ tools: JSON.stringify(tools), prompt: 'Please use get_weather for Paris' });
      await p.byId('reasoning-enabled').check();
      await p.fill({ 'reasoning-budget': '2048' });
      assert.deepEqual((await preview()).toolConfig, { tools: [{ toolSpec: tools[0] }] });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.byId('tool-call').count(), 1);
      assert.match(await p.text('tool-call'), /get_weather/);
      await p.byId('tool-result').fill('{"temperature": 21, "sky": "clear"}');
      await p.screenshot('14-tool-call');
      await p.byId('tool-result-send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('error'), '', 'the emulator accepted the replayed history');
      const messages = JSON.parse(sent.at(-1).postDataBuffer().toString()).messages;
      assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user']);
      const call = messages[3].content;
      assert.deepEqual(call.map((b) => Object.keys(b)[0]), ['reasoningContent', 'text', 'toolUse'], 'the assistant turn exactly as it came');
      assert.ok(call[0].reasoningContent.reasoningText.signature.length > 0, 'the reasoning goes back with its signature');
      assert.equal(call[2].toolUse.name, 'get_weather');
      assert.deepEqual(messages[4].content, [{ toolResult: { toolUseId: call[2].toolUse.toolUseId, content: [{ json: { temperature: 21, sky: 'clear' } }] } }]);
      assert.ok((await p.text('output')).length > 0, 'the model answered after the result');
      assert.equal(await p.byId('tool-call').count(), 0, 'no call is pending');
      // Tool use needs Converse.
      await p.byId('reasoning-enabled').uncheck();
      await p.byId('api').selectOption('invoke');
      assert.match(await p.byId('invoke-body').inputValue(), /tool use goes through the Converse API/);
    },

    async 'accessibility: axe-core finds no violation in the main states (empty, streaming, finished, error, settings open and closed, compare, attachments, phone width)'(p) {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(new URL('../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
      const audit = async (state) => {
        // Evaluated through the DevTools protocol, which the page's CSP does not govern.
        const loaded = await p.page.evaluate(() => typeof window.axe !== 'undefined');
        if (!loaded) await p.page.evaluate(source);
        const violations = await p.page.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ['violations'] });
          return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')}`);
        });
        assert.deepEqual(violations, [], `axe-core in the ${state} state`);
      };
      await audit('empty');
      await p.fillValid({ 'model-id': 'anthropic.claude-v2', 'max-tokens': '400' });
      await p.byId('send').click();
      await p.page.waitForFunction(() => document.querySelector('[data-testid="output"]').textContent.length > 0);
      await audit('streaming');
      await p.waitForMetrics();
      await audit('finished');
      await p.fill({ 'model-id': faulty('validation') });
      await p.byId('send').click();
      await p.waitForError();
      await audit('error');
      await p.byId('settings-toggle').uncheck();
      await audit('settings closed');
      await p.byId('settings-toggle').check();
      await p.fill({ 'model-id': 'anthropic.claude-3-7-sonnet-20250219-v1:0' });
      await p.byId('attach').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
      await until(async () => (await p.byId('attachment').count()) === 1, 'the chip');
      await audit('attachments');
      await p.byId('attachment-remove').click();
      await p.expand('compare');
      await p.fill({ 'compare-model-1': 'anthropic.claude-v2', 'compare-model-2': 'amazon.nova-lite-v1:0' });
      await p.byId('compare-send').click();
      await p.waitForMetrics('compare-metrics-1');
      await audit('compare');
      await p.page.setViewportSize({ width: 390, height: 844 });
      await audit('phone width');
    },

    async 'the token meter shows what CountTokens counts for the pending request, or a marked estimate; it never blocks sending'(p) {
      const { BedrockRuntime } = await import('../../pkg/node.js');
      const direct = new BedrockRuntime({
        region: 'us-east-1',
        endpoint: env.EMULATOR_URL,
        credentials: { accessKeyId: env.ACCESS_KEY_ID, secretAccessKey: env.SECRET_ACCESS_KEY, sessionToken: env.SESSION_TOKEN },
      });
      const model = 'anthropic.claude-3-5-haiku-20241022-v1:0';
      // Only this spec's counts (the emulator's log spans every spec).
      const since = Date.now();
      // Before any credentials: an estimate, marked as such.
      await p.fill({ 'model-id': model, prompt: 'How many tokens is this?' });
      await until(async () => /estimate/.test(await p.text('token-meter')), 'an estimate without credentials');
      await p.fillValid({ 'model-id': model, 'max-tokens': '50' });
      await p.byId('api').selectOption('converse');
      const prompt = 'Count the words in this prompt please';
      await p.fill({ prompt, 'system-prompt': 'Be brief.' });
      const { inputTokens } = await direct.countTokens({
        modelId: model,
        input: { converse: { messages: [{ role: 'user', content: [{ text: prompt }] }], system: [{ text: 'Be brief.' }] } },
      });
      await until(async () => (await p.text('token-count')) === String(inputTokens), `the meter shows ${inputTokens}`);
      const meter = await p.text('token-meter');
      assert.doesNotMatch(meter, /estimate/);
      assert.match(meter, /of 200000/, 'against the context window');
      assert.match(meter, /\$/, 'with the input cost');
      const counted = (await emulatorLog()).filter((r) => r.operation === 'CountTokens' && r.started_ms >= since);
      assert.ok(counted.length >= 1 && counted.length <= 4, `debounced: ${counted.length} CountTokens calls`);
      // A model Bedrock cannot count for (Nova): an estimate, and no request.
      await p.fill({ 'model-id': 'amazon.nova-lite-v1:0' });
      await until(async () => /estimate/.test(await p.text('token-meter')), 'an estimate for Nova');
      // A failing count never blocks sending: the count fails (a fault on its model id), the send works.
      await p.fill({ 'model-id': faulty('validation', model) });
      await until(async () => /estimate/.test(await p.text('token-meter')), 'an estimate when counting fails');
      await p.fill({ 'model-id': model });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.ok((await p.text('output')).length > 0);
    },

    async 'chat first: the settings panel folds away, stays folded after a reload, and sits above the chat on a phone'(p) {
      const box = (id) => p.byId(id).boundingBox();
      const settings = p.page.locator('#settings');
      assert.ok(await settings.isVisible(), 'open on a first visit (credentials are needed)');
      const chatWidth = (await box('transcript')).width;
      const settingsBox = await settings.boundingBox();
      assert.ok(settingsBox.x > (await box('transcript')).x, 'the settings sit beside the chat, on its right');
      assert.equal(await p.byId('settings-toggle').isChecked(), true);
      await p.byId('settings-toggle').click();
      assert.ok(await settings.isHidden());
      assert.equal(await p.byId('settings-toggle').isChecked(), false);
      assert.ok((await box('transcript')).width > chatWidth + 200, 'the chat takes the room');
      // The page still works folded: fill in, unfold, send.
      await p.page.reload();
      await p.byId('send').waitFor();
      assert.ok(await settings.isHidden(), 'remembered across a reload');
      const stored = await p.page.evaluate(() => ({ ...localStorage }));
      assert.deepEqual(stored, { 'bedrock-wasm.settings': 'closed' }, 'only the layout choice is stored');
      await p.byId('settings-toggle').click();
      assert.ok(await settings.isVisible());
      await p.fillValid();
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      // A phone: one column, settings first, nothing wider than the screen.
      await p.page.setViewportSize({ width: 390, height: 844 });
      const narrow = await settings.boundingBox();
      assert.ok(narrow.y < (await box('transcript')).y, 'settings above the chat');
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(overflow, false);
    },

    async 'a host config.json pre-fills, titles the page and limits sign-in and models; a bad one warns by field'(p) {
      // Without one (the site serves none), the defaults and no warning.
      assert.equal(await p.page.title(), 'bedrock-wasm playground');
      assert.ok(await p.byId('config-warning').isHidden());
      const config = {
        title: 'Acme Bedrock',
        region: 'us-east-1',
        endpoint: env.EMULATOR_URL,
        modelId: 'amazon.nova-lite-v1:0',
        models: ['amazon.nova-lite-v1:0', 'anthropic.claude-v2'],
        authModes: ['sigv4', 'cognito'],
        cognito: { identityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000', roleArn: 'arn:aws:iam::123456789012:role/Team' },
      };
      const serve = (body) => p.page.route('**/config.json', (route) => route.fulfill({ contentType: 'application/json', body }));
      await serve(JSON.stringify(config));
      await p.open();
      await until(async () => (await p.page.title()) === 'Acme Bedrock', 'the title is the host\'s');
      assert.equal(await p.page.locator('h1').textContent(), 'Acme Bedrock');
      assert.equal(await p.byId('endpoint').inputValue(), env.EMULATOR_URL);
      assert.equal(await p.byId('model-id').inputValue(), 'amazon.nova-lite-v1:0');
      assert.equal(await p.byId('cognito-pool-id').inputValue(), config.cognito.identityPoolId);
      assert.equal(await p.byId('cognito-role-arn').inputValue(), config.cognito.roleArn);
      const values = (id) => p.byId(id).locator('option').evaluateAll((os) => os.map((o) => o.value));
      assert.deepEqual(await values('auth-mode'), ['sigv4', 'cognito']);
      assert.deepEqual(await values('model-catalog'), ['', 'amazon.nova-lite-v1:0', 'anthropic.claude-v2']);
      assert.equal(await p.byId('model-catalog').inputValue(), 'amazon.nova-lite-v1:0');
      assert.ok(await p.byId('config-warning').isHidden());
      // The pre-filled page works.
      await p.fill({
        'access-key-id': env.ACCESS_KEY_ID,
        'secret-access-key': env.SECRET_ACCESS_KEY,
        'session-token': env.SESSION_TOKEN,
        'model-id': 'anthropic.claude-v2',
        prompt: expected.prompt,
        'max-tokens': expected.maxTokens,
      });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);

      // A config with wrong fields: each named, the rest applied, nothing broken. (Without the
      // conversation just kept, whose model would be restored after the host's pre-fill.)
      await p.byId('forget-everything').click();
      await until(async () => /^Forgotten/.test(await p.text('storage-status')), 'forgotten');
      await p.page.unroute('**/config.json');
      await serve(JSON.stringify({ title: 5, authModes: ['password'], modelId: 'amazon.nova-lite-v1:0', colour: 'red' }));
      await p.open();
      await p.byId('config-warning').waitFor();
      const warning = await p.text('config-warning');
      for (const field of ['"title"', '"authModes"', '"colour"']) assert.ok(warning.includes(field), `${field} in ${warning}`);
      assert.equal(await p.byId('model-id').inputValue(), 'amazon.nova-lite-v1:0');
      assert.deepEqual(await values('auth-mode'), ['sigv4', 'api-key', 'cognito']);
      assert.equal(await p.page.title(), 'bedrock-wasm playground');

      // Not JSON at all (a host's HTML error page): one warning, the defaults.
      await p.page.unroute('**/config.json');
      await serve('<html>Not here</html>');
      await p.open();
      await p.byId('config-warning').waitFor();
      assert.match(await p.text('config-warning'), /not valid JSON/);
    },

    async 'the page works from a sub-path of the host'(p) {
      const requests = [];
      p.page.on('request', (r) => requests.push(r.url()));
      await p.open(env.PLAYGROUND_SUB_PATH_URL);
      await p.fillValid();
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      const site = new URL(env.PLAYGROUND_SUB_PATH_URL);
      const assets = requests.filter((u) => new URL(u).host === site.host);
      assert.ok(assets.length >= 3);
      for (const u of assets) assert.ok(new URL(u).pathname.startsWith(site.pathname), `${u} is under the sub-path`);
    },

    async 'no request leaves for a third-party host (route interception)'(p) {
      const outside = [];
      await p.page.context().route('**/*', (route) => {
        const host = new URL(route.request().url()).hostname;
        if (host === '127.0.0.1' || host === 'localhost') return route.continue();
        outside.push(route.request().url());
        return route.abort();
      });
      await p.open();
      await p.fillValid();
      await p.byId('send').click();
      await p.waitForMetrics();
      await p.expand('code-view');
      await p.expand('inspector');
      await p.expand('compare');
      await p.byId('compare-send').click();
      await p.waitForMetrics('compare-metrics-1');
      assert.deepEqual(outside, []);
    },

    async 'phone width and dark mode'(p) {
      await p.page.setViewportSize({ width: 390, height: 844 });
      await p.page.emulateMedia({ colorScheme: 'dark' });
      await p.fillValid();
      await p.byId('send').click();
      await p.waitForMetrics();
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
      const bg = await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(15, 18, 22)', 'dark background follows the system');
      await p.screenshot('09-phone-dark');
      // Every form control has an accessible label.
      const unlabeled = await p.page.$$eval('input, select, textarea', (els) =>
        els.filter((e) => !e.closest('label') && !e.getAttribute('aria-label')).map((e) => e.dataset.testid));
      assert.deepEqual(unlabeled, []);
    },

    async 'Markdown renders as safe elements only, keeping the text'(p) {
      await p.fillValid();
      await p.byId('send').click();
      await p.waitForMetrics();
      const tags = await p.page.$$eval('[data-testid="output"] *', (els) => [...new Set(els.map((e) => e.tagName))]);
      for (const t of tags) assert.ok(['CODE', 'PRE', 'STRONG', 'EM', 'SPAN', 'A'].includes(t), `unexpected <${t}>`);
      assert.equal(await p.text('output'), expected.text);
    },

    async 'hostile Markdown and HTML in an answer stay text: no script, handler, iframe or javascript: link'(p) {
      const dialogs = [];
      p.page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
      // The emulator answers exactly the text after `emulator-echo:`, 3 characters per token,
      // so every tag below also arrives cut in pieces (partial Markdown mid-stream).
      const hostile = [
        '# Title <script>window.__pwned = 1</script>',
        'Text <img src=x onerror="window.__pwned=2"> and <iframe src="javascript:window.__pwned=3"></iframe>',
        '[click me](javascript:window.__pwned=4) [ok](https://example.com/a) [data](data:text/html,<script>1</script>)',
        '<div onclick="window.__pwned=5" style="position:fixed;inset:0">raw html block</div>',
        '<svg onload="window.__pwned=6"></svg><object data="x"></object>',
        '**bold <b onmouseover="window.__pwned=7">x</b>**',
        '```html" onload="window.__pwned=8',
        '<script>alert("in code")</script>',
        '```',
        '`<img src=y onerror=alert(2)>` and > <a href="javascript:alert(3)">quote</a>',
        '```js',
        'unterminated **bold and `code <style>body{display:none}</style>',
      ].join('\n');
      await p.fillValid({ prompt: `emulator-echo:${hostile}`, 'max-tokens': 2000 });
      await p.page.evaluate(() => {
        const output = document.querySelector('[data-testid="output"]');
        window.__violations = [];
        window.__mutations = 0;
        const check = () => {
          window.__mutations++;
          for (const el of output.querySelectorAll('*')) {
            if (!['CODE', 'PRE', 'STRONG', 'EM', 'SPAN', 'A'].includes(el.tagName)) window.__violations.push(`<${el.tagName}>`);
            for (const a of el.attributes) if (/^on/i.test(a.name) || a.name === 'style' || a.name === 'src') window.__violations.push(`${el.tagName} ${a.name}`);
            if (el.tagName === 'A' && !/^https?:\/\//.test(el.getAttribute('href'))) window.__violations.push(`href ${el.getAttribute('href')}`);
          }
        };
        new MutationObserver(check).observe(output, { childList: true, characterData: true, subtree: true, attributes: true });
      });
      await p.byId('send').click();
      await p.waitForMetrics();
      const seen = await p.page.evaluate(() => ({ v: window.__violations, n: window.__mutations, pwned: window.__pwned }));
      assert.deepEqual(seen.v, [], 'no unsafe element or attribute at any moment of the stream');
      assert.ok(seen.n >= 20, `checked ${seen.n} intermediate states`);
      assert.equal(seen.pwned, undefined, 'no injected script or handler ran');
      assert.deepEqual(dialogs, []);
      assert.equal(await p.page.locator('script:not([src])').count(), 0, 'no inline script (the loader is boot.js)');
      assert.equal(await p.page.locator('iframe, img, svg, object, embed, style').count(), 0);
      const text = await p.text('output');
      for (const literal of [
        '<script>window.__pwned = 1</script>',
        '<img src=x onerror="window.__pwned=2">',
        '<iframe src="javascript:window.__pwned=3"></iframe>',
        '[click me](javascript:window.__pwned=4)',
        '[data](data:text/html,<script>1</script>)',
        '<div onclick="window.__pwned=5" style="position:fixed;inset:0">raw html block</div>',
        '<svg onload="window.__pwned=6"></svg><object data="x"></object>',
        '<b onmouseover="window.__pwned=7">x</b>',
        '<img src=y onerror=alert(2)>',
        '<a href="javascript:alert(3)">quote</a>',
        'unterminated **bold and `code <style>body{display:none}</style>',
      ]) assert.ok(text.includes(literal), `shown as text: ${literal}`);
      const links = await p.page.$$eval('[data-testid="output"] a', (a) => a.map((x) => [x.getAttribute('href'), x.rel, x.textContent]));
      assert.deepEqual(links, [['https://example.com/a', 'noopener noreferrer nofollow', 'ok']]);
      const blocks = await p.page.$$eval('[data-testid="output"] pre', (b) => b.map((x) => [x.className, x.children.length, x.firstElementChild?.tagName, x.textContent]));
      assert.deepEqual(blocks, [
        ['code', 1, 'CODE', '<script>alert("in code")</script>'],
        ['code', 1, 'CODE', 'unterminated **bold and `code <style>body{display:none}</style>'],
      ], 'fenced code is <pre><code> text; the fence\'s info string adds nothing; an open fence is a block so far');
      await p.screenshot('11-hostile-markdown');
    },

    async 'streamed Markdown ends as the same DOM as the answer rendered at once'(p) {
      // 3-character tokens cut every marker: `co|de`, [li|nk](ht|tps…), "##|# T", "  `|``".
      const doc = [
        '### Title with `code`',
        '',
        'Some **bold**, *em*, `inline code`, a [link](https://example.com/a_b) and [not](javascript:x).',
        'Late closers: `a long code span that closes late` and **bold that closes late**.',
        '> a quote with [a link](http://example.org/q)',
        '',
        '  ```js',
        'let x = [1, 2, 3]; // **not bold** [not](https://a)',
        '',
        '  ```',
        'unclosed `tick and **stars and [bracket](https://x and * lone',
        '',
        '#nospace ####### seven é ü ☕',
        '```',
        'an unclosed fence',
      ].join('\n');
      await p.fillValid({ prompt: `emulator-echo:${doc}`, 'max-tokens': 2000 });
      await p.byId('send').click();
      await p.waitForMetrics();
      const text = await p.text('output');
      for (const literal of ['[not](javascript:x)', 'unclosed `tick and **stars and [bracket](https://x and * lone', '#nospace ####### seven é ü ☕', 'an unclosed fence']) {
        assert.ok(text.includes(literal), `shown as text: ${literal}`);
      }
      const streamed = await p.page.evaluate(`(${markdownTree})(document.querySelector('[data-testid="output"]'))`);
      // The next Send moves this answer into the history, where it renders in one go.
      await p.fill({ prompt: 'What is your name?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      const finished = await p.page.evaluate(`(${markdownTree})(document.querySelector('[data-testid="turn"] .md.answer'))`);
      assert.deepEqual(streamed, finished);
      const tags = JSON.stringify(finished).match(/"tag":"\w+"/g).sort();
      assert.deepEqual([...new Set(tags)], ['"tag":"A"', '"tag":"CODE"', '"tag":"EM"', '"tag":"PRE"', '"tag":"SPAN"', '"tag":"STRONG"']);
      const links = await p.page.$$eval('[data-testid="turn"] a', (a) => a.map((x) => x.getAttribute('href')));
      assert.deepEqual(links, ['https://example.com/a_b', 'http://example.org/q']);
    },

    async 'a clock offset learned from one endpoint is not applied to another'(p) {
      // This model id makes the emulator's clock 600 s behind for every request.
      const skewed = faulty('clock-skew=-600');
      const streams = async (from) => (await emulatorLog()).slice(from).filter((r) => r.operation === 'InvokeModelWithResponseStream');
      await p.fillValid({ 'model-id': skewed, prompt: 'What is your name?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.match(await p.text('metrics'), /clock skew corrected: signing -60\d s off/);
      // The same emulator under another name is another endpoint: it gets no offset (signed
      // 600 s in the past, the request would be refused as expired and corrected back).
      const other = env.EMULATOR_URL.replace('127.0.0.1', 'localhost');
      assert.notEqual(other, env.EMULATOR_URL);
      let from = (await emulatorLog()).length;
      await p.byId('clear').click();
      await p.fill({ endpoint: other, 'model-id': 'anthropic.claude-v2' });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), ' My name is Claude.');
      assert.doesNotMatch(await p.text('metrics'), /clock skew/);
      assert.deepEqual((await streams(from)).map((r) => r.signature), ['valid'], 'signed with this computer\'s clock, first time');
      // Back on the first endpoint, its own offset is still known: right the first time.
      from = (await emulatorLog()).length;
      await p.byId('clear').click();
      await p.fill({ endpoint: env.EMULATOR_URL, 'model-id': skewed });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), ' My name is Claude.');
      assert.doesNotMatch(await p.text('metrics'), /clock skew/);
      assert.deepEqual((await streams(from)).map((r) => r.signature), ['valid'], 'signed with the endpoint\'s offset');
    },

    async 'Cognito sign-in can be cancelled: its requests are aborted and the form stays usable'(p) {
      // An identity-pool endpoint that never answers (after allowing the CORS preflight).
      const held = [];
      let aborted = 0;
      const server = createServer((req, res) => {
        if (req.method === 'OPTIONS') {
          res.writeHead(204, {
            'access-control-allow-origin': '*',
            'access-control-allow-methods': 'POST',
            'access-control-allow-headers': '*',
          });
          res.end();
          return;
        }
        held.push(req.headers['x-amz-target']);
        res.on('close', () => { if (!res.writableFinished) aborted++; });
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const hanging = `http://127.0.0.1:${server.address().port}`;
      const status = () => p.text('cognito-status');
      try {
        await p.fillValid({ 'access-key-id': '', 'secret-access-key': '', 'session-token': '', endpoint: hanging, prompt: 'What is your name?' });
        await p.byId('auth-mode').selectOption('cognito');
        await p.fill({ 'cognito-pool-id': env.IDENTITY_POOL_ID });
        assert.equal(await p.byId('cognito-cancel').isVisible(), false, 'nothing to cancel yet');
        await p.byId('cognito-get').click();
        await until(() => held.length === 1, 'GetId is under way');
        assert.deepEqual(held, ['AWSCognitoIdentityService.GetId']);
        assert.equal(await p.byId('cognito-get').isDisabled(), true);
        await p.screenshot('12-cognito-signing-in');
        await p.byId('cognito-cancel').click();
        await p.page.waitForFunction(() => /cancelled/.test(document.querySelector('[data-testid="cognito-status"]').textContent));
        assert.match(await status(), /^Sign-in cancelled: no credentials were fetched\. Press Get credentials \(or Send\) to try again\.$/);
        assert.equal(await p.byId('cognito-cancel').isVisible(), false);
        assert.equal(await p.byId('cognito-get').isEnabled(), true);
        await until(() => aborted === 1, 'the request\'s connection is closed');
        assert.equal(await p.text('credentials-expiry'), '');
        // A Send that signs in first: cancelling the sign-in stops it.
        await p.byId('send').click();
        await until(() => held.length === 2, 'the Send signs in');
        await p.byId('cognito-cancel').click();
        await p.waitForMetrics();
        assert.equal(await p.text('metrics'), 'Stopped.');
        assert.equal(await p.text('error'), '');
        assert.match(await status(), /^Sign-in cancelled/);
        // So does Stop.
        await p.byId('send').click();
        await until(() => held.length === 3, 'the Send signs in again');
        await p.byId('stop').click();
        await p.waitForMetrics();
        assert.equal(await p.text('metrics'), 'Stopped.');
        await until(() => aborted === 3, 'every sign-in request was aborted');
        // The form still works: the emulator's pool signs in and the answer streams.
        await p.fill({ endpoint: env.EMULATOR_URL });
        await p.byId('cognito-get').click();
        await p.page.waitForFunction(() => /^Signed in/.test(document.querySelector('[data-testid="cognito-status"]').textContent));
        await p.byId('send').click();
        await p.waitForMetrics();
        assert.equal(await p.text('output'), ' My name is Claude.');
        assert.equal(held.length, 3);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    },

    async 'auto-scroll follows a streaming answer, stops when the user scrolls up, resumes at the bottom'(p) {
      await p.page.setViewportSize({ width: 1000, height: 700 });
      const lines = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`).join('\n');
      await p.fillValid({ prompt: `emulator-echo:${lines}`, 'max-tokens': 5000 });
      const state = () => p.page.evaluate(() => {
        const t = document.querySelector('[data-testid="transcript"]');
        return { top: t.scrollTop, gap: t.scrollHeight - t.clientHeight - t.scrollTop, length: document.querySelector('[data-testid="output"]').textContent.length };
      });
      await p.byId('send').click();
      // The answer alone must overflow the transcript before following means anything.
      await p.page.waitForFunction(() => {
        const t = document.querySelector('[data-testid="transcript"]');
        const out = document.querySelector('[data-testid="output"]');
        return out.offsetHeight > t.clientHeight;
      }, null, { timeout: 20_000 });
      for (let i = 0; i < 5; i++) {
        await sleep(150);
        const s = await state();
        assert.ok(s.gap <= 30, `follows the growing answer (${s.gap}px from the bottom)`);
      }
      await p.byId('transcript').hover();
      await p.page.mouse.wheel(0, -600);
      await sleep(300);
      const up = await state();
      assert.ok(up.gap > 200, `scrolled up (${up.gap}px from the bottom)`);
      await sleep(600);
      const later = await state();
      assert.ok(later.length > up.length, 'still streaming');
      assert.equal(later.top, up.top, 'the view stays where the user put it');
      await p.page.mouse.wheel(0, 100_000);
      await sleep(300);
      const before = await state();
      await sleep(500);
      const resumed = await state();
      assert.ok(resumed.length > before.length, 'still streaming after scrolling back down');
      assert.ok(resumed.gap <= 30, `back at the bottom, following again (${resumed.gap}px)`);
      await p.waitForMetrics();
      await sleep(200);
      assert.ok((await state()).gap <= 30, 'ends at the bottom');
      assert.ok((await p.text('output')).endsWith('line 120'));
    },

    async 'Cognito identity pool: sign in, see the expiry, stream an answer, renew; nothing stored'(p) {
      // The CSP lets the page reach the real Cognito and STS hosts (connect-src wildcard).
      const csp = await p.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      const connect = csp.split(';').map((d) => d.trim().split(/\s+/)).find((d) => d[0] === 'connect-src').slice(1);
      const allowed = (url) => connect.some((src) => {
        const m = /^(https?):\/\/\*\.(.+)$/.exec(src);
        const u = new URL(url);
        return m && u.protocol === `${m[1]}:` && u.hostname.endsWith(`.${m[2]}`);
      });
      for (const host of ['cognito-identity.us-east-1.amazonaws.com', 'sts.eu-west-1.amazonaws.com', 'bedrock-runtime.us-east-1.amazonaws.com']) {
        assert.ok(allowed(`https://${host}/`), `CSP connect-src allows ${host}`);
      }
      const storage = () => p.page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
      const count = async (op) => (await emulatorLog()).filter((r) => r.operation === op).length;
      const [ids0, creds0] = [await count('Cognito.GetId'), await count('Cognito.GetCredentialsForIdentity')];
      await p.fillValid({ 'access-key-id': '', 'secret-access-key': '', 'session-token': '' });
      await p.byId('auth-mode').selectOption('cognito');
      // A wrong pool id: Cognito's error in plain words.
      await p.fill({ 'cognito-pool-id': 'us-east-1:11111111-1111-1111-1111-111111111111' });
      await p.byId('cognito-get').click();
      await p.page.waitForFunction(() => document.querySelector('[data-testid="cognito-status"]').textContent !== '');
      assert.match(await p.text('cognito-status'), /ResourceNotFoundException.*IdentityPool 'us-east-1:1{8}-.*' not found.*check identityPoolId/);
      await p.fill({ 'cognito-pool-id': env.IDENTITY_POOL_ID });
      await p.byId('cognito-get').click();
      await p.page.waitForFunction(() => /^Signed in/.test(document.querySelector('[data-testid="cognito-status"]').textContent));
      const signedIn = Date.now();
      assert.match(await p.text('cognito-status'), /^Signed in as identity us-east-1:[0-9a-f-]{36}\.$/);
      // The test emulator's Cognito credentials last 320 s.
      assert.match(await p.text('credentials-expiry'), /^Credentials expire in [45] min \(at \d\d:\d\d:\d\d\)\.$/);
      await p.screenshot('10-cognito-signed-in');
      await p.recordOutput();
      await p.byId('send').click();
      await p.page.waitForFunction(() => window.__samples.length >= 4);
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      assert.equal(await p.text('error'), '');
      const record = await lastRecord('InvokeModelWithResponseStream');
      assert.equal(record.signature, 'valid', 'signed with the pool\'s temporary credentials');
      assert.equal(await count('Cognito.GetId'), ids0 + 2);
      const creds1 = await count('Cognito.GetCredentialsForIdentity');
      assert.equal(creds1, creds0 + 1, 'the credentials from Get credentials were used');
      assert.equal(await storage(), '{"local":{},"session":{}}');
      // Opting in remembers where to sign in, never the pool's credentials.
      await p.byId('remember').check();
      const saved = await storage();
      assert.ok(saved.includes(env.IDENTITY_POOL_ID) && !/ASIA/.test(saved), saved);
      await p.byId('remember').uncheck();
      // Within 5 min of expiry (the library's one renewal margin) the next Send renews them
      // first, for the same identity.
      await sleep(Math.max(0, signedIn + 21_000 - Date.now()));
      await p.byId('clear').click();
      await p.fill({ prompt: 'What is your name?' });
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), ' My name is Claude.');
      assert.equal(await count('Cognito.GetCredentialsForIdentity'), creds1 + 1, 'renewed');
      assert.equal(await count('Cognito.GetId'), ids0 + 2, 'the identity id is reused');
      assert.equal((await lastRecord('InvokeModelWithResponseStream')).signature, 'valid');
      assert.equal(await storage(), '{"local":{},"session":{}}');
      await p.byId('forget').click();
      assert.equal(await p.byId('cognito-pool-id').inputValue(), '');
      assert.equal(await p.text('credentials-expiry'), '');
    },

    async 'Cognito classic flow (role ARN): GetOpenIdToken + STS AssumeRoleWithWebIdentity, then a signed answer'(p) {
      const count = async (op) => (await emulatorLog()).filter((r) => r.operation === op).length;
      const [tokens0, sts0] = [await count('Cognito.GetOpenIdToken'), await count('STS.AssumeRoleWithWebIdentity')];
      await p.fillValid({ 'access-key-id': '', 'secret-access-key': '', 'session-token': '' });
      await p.byId('auth-mode').selectOption('cognito');
      await p.fill({ 'cognito-pool-id': env.IDENTITY_POOL_ID, 'cognito-role-arn': 'arn:aws:iam::123456789012:role/BedrockGuest' });
      await p.byId('cognito-get').click();
      await p.page.waitForFunction(() => /^Signed in/.test(document.querySelector('[data-testid="cognito-status"]').textContent));
      assert.equal(await count('Cognito.GetOpenIdToken'), tokens0 + 1);
      assert.equal(await count('STS.AssumeRoleWithWebIdentity'), sts0 + 1);
      assert.match(await p.text('credentials-expiry'), /^Credentials expire in/);
      await p.byId('send').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      assert.equal((await lastRecord('InvokeModelWithResponseStream')).signature, 'valid', 'signed with the role\'s credentials');
      await p.byId('forget').click();
    },

    async 'voice mode (Nova Sonic): the fake microphone is heard, the answer is shown and played, Stop closes'(p) {
      await p.fillValid({ 'model-id': 'amazon.nova-sonic-v1:0' });
      await p.byId('voice').waitFor();
      assert.equal(await p.text('voice-status'), '');
      await p.byId('voice-start').click();
      const lines = () => p.page.$$eval('[data-testid="voice-transcript"] li', (l) => l.map((x) => x.textContent));
      await p.page.waitForFunction(
        () => [...document.querySelectorAll('[data-testid="voice-transcript"] li')].some((l) => l.dataset.role === 'ASSISTANT'),
        null,
        { timeout: 30_000 },
      );
      const [user, assistant] = await lines();
      assert.match(user, /^USER: heard \d+ ms of audio, peak \d+$/, 'the emulator heard the tone');
      const peak = Number(user.match(/peak (\d+)/)[1]);
      assert.ok(peak > 1000, `a loud peak (${peak})`);
      assert.match(assistant, /^ASSISTANT: \S/);
      await p.page.waitForFunction(() => Number(document.querySelector('[data-testid="voice"]').dataset.scheduledMs) > 0);
      assert.match(await p.text('voice-status'), /^(listening|answering)$/);
      // The microphone's file loops: its tone comes back while the answer (seconds of speech)
      // still plays, which stops it.
      await p.page.waitForFunction(() => Number(document.querySelector('[data-testid="voice"]').dataset.bargeIns) > 0, null, { timeout: 20_000 });
      await p.byId('voice-stop').click();
      await p.page.waitForFunction(() => document.querySelector('[data-testid="voice-status"]').textContent === 'closed', null, { timeout: 30_000 });
      assert.ok((await lines()).length >= 2, 'the transcript stays');
      await p.screenshot('20-voice-closed');
      const record = (await emulatorLog()).filter((r) => r.operation === 'InvokeModelWithBidirectionalStream').at(-1);
      assert.equal(record.signature, 'valid');
      assert.equal(record.session.end_of_input, true, 'Stop ended the input');
      assert.ok(record.session.turns >= 1);
      assert.ok(record.session.audio_bytes_received > 32_000, 'about 100 ms chunks of 16 kHz audio');
    },

    async 'voice mode: Escape stops it as Stop does (the input ends, the answer under way arrives)'(p) {
      await p.fillValid({ 'model-id': 'amazon.nova-sonic-v1:0' });
      await p.byId('voice-start').click();
      await p.page.waitForFunction(() => document.querySelector('[data-testid="voice-status"]').textContent === 'listening', null, { timeout: 30_000 });
      const sessions = (await emulatorLog()).filter((r) => r.operation === 'InvokeModelWithBidirectionalStream').length;
      await p.page.keyboard.press('Escape');
      await p.page.waitForFunction(() => document.querySelector('[data-testid="voice-status"]').textContent === 'closed', null, { timeout: 30_000 });
      assert.equal(await p.byId('voice-start').isEnabled(), true, 'a new session can start');
      assert.equal(await p.byId('voice-stop').isEnabled(), false);
      const all = (await emulatorLog()).filter((r) => r.operation === 'InvokeModelWithBidirectionalStream');
      assert.equal(all.length, sessions, 'no other session');
      const record = all.at(-1);
      assert.equal(record.session.end_of_input, true, 'Escape ended the input, as Stop does');
      assert.match(record.session.ended, /^closed 1000 after the (answer|end of input)$/, 'the service closed, not the page');
    },

    async 'voice mode: a dropped session shows the error in plain words and keeps the transcript'(p) {
      await p.fillValid({ 'model-id': 'emulator-fault:ws-close@3:amazon.nova-sonic-v1:0' });
      await p.byId('voice-start').click();
      await p.page.waitForFunction(
        () => !/^(|connecting|listening|answering)$/.test(document.querySelector('[data-testid="voice-status"]').textContent),
        null,
        { timeout: 30_000 },
      );
      const status = await p.text('voice-status');
      assert.notEqual(status, 'closed');
      assert.match(status, /code 1011 \(an error on the service's side\)/, `says how the socket closed: ${status}`);
      assert.match(await p.text('voice-transcript'), /USER: heard \d+ ms of audio/, 'the transcript is kept');
      assert.equal(await p.byId('voice-start').isEnabled(), true, 'a new session can start');
    },

    async 'voice mode: an API key gets a clear message before connecting'(p) {
      await p.fillValid({ 'model-id': 'amazon.nova-sonic-v1:0' });
      await p.byId('auth-mode').selectOption('api-key');
      await p.fill({ 'api-key': env.API_KEY });
      const before = (await emulatorLog()).length;
      await p.byId('voice-start').click();
      await p.page.waitForFunction(() => /API keys/.test(document.querySelector('[data-testid="voice-status"]').textContent));
      assert.match(await p.text('voice-status'), /access keys or a Cognito identity pool/);
      assert.equal((await emulatorLog()).length, before, 'nothing was sent');
    },

    async 'voice mode is not in the first load: its chunk comes when a speech model is chosen; one that does not arrive is a plain error, and Retry loads it'(p) {
      const fetched = [];
      p.page.on('request', (r) => /\.wasm$/.test(r.url()) && fetched.push(new URL(r.url()).pathname.split('/').pop()));
      assert.ok(!fetched.includes('split_voice.wasm'), `not fetched with the page: ${fetched}`);
      await p.page.route('**/split_voice.wasm', (route) => route.abort('internetdisconnected'));
      await p.fillValid({ 'model-id': 'amazon.nova-sonic-v1:0' });
      const error = p.byId('lazy-error');
      await error.waitFor();
      assert.match(await error.textContent(), /^Could not load voice mode: its file did not arrive/);
      assert.equal(await p.byId('voice').count(), 0);
      await p.page.unroute('**/split_voice.wasm');
      await error.getByRole('button', { name: 'Retry' }).click();
      await p.byId('voice-start').waitFor();
      assert.equal(await p.byId('lazy-error').count(), 0);
      assert.ok(fetched.includes('split_voice.wasm'));
    },

    async 'sending is not in the first load: it comes with the first keystroke; if it does not arrive, Send says so, nothing typed is lost, and Retry sends once it can'(p) {
      const fetched = [];
      p.page.on('request', (r) => /\.wasm$/.test(r.url()) && fetched.push(new URL(r.url()).pathname.split('/').pop()));
      assert.ok(!fetched.includes('split_send.wasm'), `not fetched with the page: ${fetched}`);
      await p.page.route('**/split_send.wasm', (route) => route.abort('internetdisconnected'));
      const sent = [];
      p.page.on('request', (r) => r.url().startsWith(env.EMULATOR_URL) && r.method() === 'POST' && sent.push(r.url()));
      await p.fillValid();
      assert.ok(fetched.includes('split_send.wasm'), 'asked for while the prompt was typed');
      await p.byId('send').click();
      assert.match(await p.waitForError(), /^Could not send: the page's file that sends requests did not arrive/);
      assert.deepEqual(sent, [], 'nothing was sent');
      assert.equal(await p.text('user-message'), expected.prompt, 'the prompt stays, as the turn that failed');
      await p.page.unroute('**/split_send.wasm');
      await p.byId('retry').click();
      await p.waitForMetrics();
      assert.equal(await p.text('output'), expected.text);
      assert.equal(await p.text('error'), '');
      assert.equal(sent.length, 1);
    },
  };
}
