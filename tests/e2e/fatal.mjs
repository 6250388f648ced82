// The playground's panic banner (www/src/fatal.rs), against its test build (target/dist-test,
// `--features test-panic`), which `cargo xtask test` serves at PLAYGROUND_TEST_BUILD_URL: a
// panic inside a task shows what happened, disables the dead controls, keeps the text on
// screen, and Reload brings back a working page.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const env = process.env;
const browser = await chromium.launch({
  executablePath: env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  const csp = [];
  page.on('console', (m) => /Content Security Policy/.test(m.text()) && csp.push(m.text()));
  await page.goto(env.PLAYGROUND_TEST_BUILD_URL);
  await page.getByTestId('send').waitFor();
  assert.equal(await page.getByTestId('fatal-error').count(), 0, 'no banner before a panic');
  await page.getByTestId('prompt').fill('text typed before the panic');
  await page.evaluate(() => window.wasmBindings.__testPanic());
  const banner = page.getByTestId('fatal-error');
  await banner.waitFor({ timeout: 10_000 });
  const text = await banner.textContent();
  assert.match(text, /test panic \(playground\)/);
  assert.match(text, /Reload the page/);
  assert.ok(await page.getByTestId('send').isDisabled(), 'Send is disabled, not busy for ever');
  assert.equal(await page.getByTestId('prompt').inputValue(), 'text typed before the panic');
  await page.getByTestId('fatal-reload').click();
  await page.getByTestId('send').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="fatal-error"]'));
  assert.ok(!(await page.getByTestId('send').isDisabled()), 'the reloaded page works');
  assert.deepEqual(csp, [], 'no CSP violation');
  console.log('fatal.mjs: the panic banner shows, disables the dead page and reloads it');
} finally {
  await browser.close();
}
