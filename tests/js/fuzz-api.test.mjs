// A short run of the JS-API fuzzer (fuzz-api.mjs) in its own process: a crash of the host is
// seen as a crash. `cargo xtask fuzz` runs it for longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('fuzzed API inputs never surface a trap, a panic or a hang, and never kill the process', () => {
  const script = fileURLToPath(new URL('./fuzz-api.mjs', import.meta.url));
  const seed = String(Date.now() % 2 ** 31);
  const r = spawnSync(process.execPath, [script, '--runs', '3000', '--seed', seed], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.signal, null, `killed (${r.signal}): a hang\n${r.stdout}${r.stderr}`);
  assert.equal(r.status, 0, `findings or a crash (seed ${seed}, replay one with --runs 1 --seed <its seed>):\n${r.stdout}${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.equal(summary.executions, 3000);
});
