// The hostile-server suite: each case (hostile/cases.mjs) runs in its own Node process
// against its own small local server, so a case that kills the host is reported as a crash.
// No case may see a RuntimeError, a hang (the per-case timeout) or a dead process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('./hostile/cases.mjs', import.meta.url));
const names = JSON.parse(execFileSync(process.execPath, [runner], { encoding: 'utf8' }));

function run(name, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, name], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

// The panic cases need the test build of the package (`--features test-panic`), which
// `cargo xtask test-npm` writes to target/pkg-test.
const testPkg = process.env.PKG_TEST_DIR;

for (const name of names) {
  const isPanic = name.startsWith('panic:');
  test(`hostile: ${name}`, { skip: isPanic && !testPkg && 'PKG_TEST_DIR is unset' }, async () => {
    const { code, signal, out } = await run(name, isPanic ? { PKG_DIR: testPkg } : {});
    assert.ok(signal === null, `the process was killed (${signal}): a hang\n${out}`);
    assert.equal(code, 0, `the case failed or the process crashed (exit ${code}):\n${out}`);
    assert.match(out, /^ok$/m);
  });
}
