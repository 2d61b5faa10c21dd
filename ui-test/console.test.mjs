// The Cairn console in a real browser (Debian's chromium, driven by playwright-core) against a
// three-member cluster that run.sh started: the page loads with the members; a write made with
// the CLI appears without a reload; a presence holder killed with SIGKILL leaves the presence
// within its TTL; the history takes the view back to an old value. A screenshot of each state.
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.CAIRN_UI_BASE;
const shots = process.env.CAIRN_UI_SHOTS;
const cairnBin = process.env.CAIRN_BIN;
mkdirSync(shots, { recursive: true });

function cairn(...args) {
  return execFileSync(cairnBin, args, { encoding: 'utf8' }).trim();
}

function check(ok, what) {
  if (!ok) throw new Error('FAILED: ' + what);
  console.log('  ok: ' + what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let holder = null;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  page.on('pageerror', (e) => console.log('  page error: ' + e.message));
  await page.goto(base + '/ui/');
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  await page.waitForFunction(() => document.querySelectorAll('#members tbody tr').length === 3, null, { timeout: 20000 });
  const leaders = await page.locator('#members tbody tr.leader').count();
  check(leaders === 1, 'the page loads from the cluster: three members, one leader');
  await page.waitForSelector('#live.on', { timeout: 10000 });
  await page.screenshot({ path: join(shots, '1-loaded.png') });

  // A write with the CLI appears without a reload, highlighted.
  const t0 = Date.now();
  const blueRev = Number(cairn('set', '/config/app/color', 'blue'));
  await page.locator('#tree li', { hasText: 'config' }).first().waitFor({ timeout: 10000 });
  const seenAfter = Date.now() - t0;
  console.log('  the new directory was in the tree ' + seenAfter + ' ms after the CLI wrote it');
  check(await page.locator('#tree li.changed', { hasText: 'config' }).count() === 1, 'a write made with the CLI appears without a reload, highlighted');
  await page.locator('#tree li', { hasText: 'config' }).first().click();
  await page.locator('#tree li', { hasText: 'app' }).first().click();
  await page.locator('#tree li', { hasText: 'color' }).first().click();
  await page.waitForFunction(() => document.getElementById('value').textContent === 'blue', null, { timeout: 10000 });
  const t1 = Date.now();
  cairn('set', '/config/app/color', 'green');
  await page.waitForFunction(() => document.getElementById('value').textContent === 'green', null, { timeout: 10000 });
  console.log('  the open file showed the new value ' + (Date.now() - t1) + ' ms after the CLI wrote it');
  check(true, 'the open file follows a change without a reload');
  await page.locator('input[name=view][value=json]').check();
  cairn('set', '/config/app/limits', '{"max":3,"burst":[1,2]}');
  await page.locator('#tree li', { hasText: 'limits' }).first().click();
  await page.waitForFunction(() => document.getElementById('value').textContent.includes('"burst": ['), null, { timeout: 10000 });
  check(true, 'a JSON value is shown pretty');
  await page.screenshot({ path: join(shots, '2-live-update.png') });

  // Presence: a holder's ephemeral file appears; killed with SIGKILL, it goes within its TTL.
  holder = spawn(cairnBin, ['set', '--ephemeral', '--ttl', '2s', '/presence/default/web/web-1', '{"status":"ready","rev":7}', '--hold'],
    { stdio: 'ignore' });
  writeFileSync(join(process.env.CAIRN_WORK, 'holder.pid'), String(holder.pid));
  await page.locator('#presence tr[data-path="/presence/default/web/web-1"]').waitFor({ timeout: 20000 });
  check(await page.locator('#presence h4', { hasText: 'default/web (1)' }).count() === 1, 'the holder appears in presence, by namespace and app');
  await page.screenshot({ path: join(shots, '3-presence.png') });
  const killedAt = Date.now();
  holder.kill('SIGKILL');
  holder = null;
  await page.locator('#presence tr[data-path="/presence/default/web/web-1"]').waitFor({ state: 'detached', timeout: 15000 });
  console.log('  the killed holder left the presence ' + (Date.now() - killedAt) + ' ms after SIGKILL (TTL 2 s)');
  check(true, 'a holder killed with SIGKILL disappears from presence');
  await page.screenshot({ path: join(shots, '4-presence-gone.png') });

  // The history takes the view back: the file at the revision that wrote blue.
  await page.locator('input[name=view][value=text]').check();
  await page.locator('#tree li', { hasText: 'color' }).first().click();
  await page.waitForFunction(() => document.querySelectorAll('#history tbody tr').length >= 2, null, { timeout: 10000 });
  await page.locator('#history tbody tr').last().click();
  await page.waitForFunction(() => document.getElementById('value').textContent === 'blue', null, { timeout: 10000 });
  const shown = await page.locator('#rev-shown').textContent();
  check(!(await page.locator('#rev-latest').isChecked()) && shown === String(blueRev),
    'the history slider shows the old value (rev ' + shown + ')');
  await page.screenshot({ path: join(shots, '5-history.png') });
  await page.locator('#rev-latest').check();
  await page.waitForFunction(() => document.getElementById('value').textContent === 'green', null, { timeout: 10000 });
  check(true, 'back to the latest revision');
  console.log('console: all checks passed; screenshots in ' + shots);
} catch (e) {
  // What the page showed when it failed, for whoever reads the log.
  for (const p of browser.contexts().flatMap((c) => c.pages())) {
    await p.screenshot({ path: join(shots, 'failed.png') }).catch(() => {});
    console.log('  page at failure: value=' + JSON.stringify(await p.locator('#value').textContent().catch(() => null))
      + ' rev=' + JSON.stringify(await p.locator('#rev-shown').textContent().catch(() => null))
      + ' file=' + JSON.stringify(await p.locator('#file-path').textContent().catch(() => null))
      + ' history=' + JSON.stringify(await p.locator('#history tbody').innerText().catch(() => null)));
  }
  throw e;
} finally {
  if (holder) holder.kill('SIGKILL');
  await browser.close();
}
