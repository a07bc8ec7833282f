/**
 * The HTML report in a real headless Chromium: the demo page loads with no
 * console error and no request beyond the page itself, shows every finding and
 * a timeline per process with findings, works without JavaScript; a hostile
 * capture's strings stay text. Gated like live tests (test/helpers/browser.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { describeBrowser, launchChromium } from '../helpers/browser.ts';
import { HOSTILE, renderInput, writeHostileCapture } from './html-fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = join(ROOT, 'test/fixtures/demo/capture');

interface Loaded {
  page: Page;
  errors: string[];
  requests: string[];
}

describeBrowser('html report in Chromium', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-browser-'));
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function load(html: string, name: string, opts: { js?: boolean } = {}): Promise<Loaded> {
    const file = join(tmp, `${name}.html`);
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const context = await browser.newContext({ javaScriptEnabled: opts.js !== false });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // Every request is seen here; anything but the page itself is refused and recorded.
    await context.route('**/*', (route) => {
      const u = route.request().url();
      requests.push(u);
      return u === url ? route.continue() : route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, errors, requests: requests.filter((u) => u !== url) };
  }

  it('the demo page: no console error, nothing fetched, every finding, a timeline per process with findings', async () => {
    const { page, errors, requests } = await load(await renderInput(DEMO), 'demo');
    const jsonl = spawnSync(process.execPath, [join(ROOT, 'bin/loadtrace.js'), 'replay', DEMO, '--format', 'jsonl'], { encoding: 'utf8' }).stdout;
    const findings = jsonl.trim().split('\n').map((l) => JSON.parse(l) as { rule: string; summary: string; process: { pid: number } });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const rows = await page.locator('#findings-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows.length).toBe(findings.length);
    for (const f of findings) expect(rows.some((r) => r.includes(f.summary) && r.includes(f.rule))).toBe(true);
    const pids = [...new Set(findings.map((f) => f.process.pid))];
    for (const pid of pids) expect(await page.locator(`svg.timeline[data-pid="${pid}"]`).count()).toBe(1);
    // Pins of findings link to their rows.
    expect(await page.locator('svg.timeline a[href^="#f-"]').count()).toBe(findings.length);
    expect(await page.locator('#blind-spots li').count()).toBeGreaterThan(3);
  });

  it('the script works: filters narrow the table, sorting reorders it, a click shows decoded fields', async () => {
    const { page, errors } = await load(await renderInput(DEMO), 'demo-js');
    const visible = () => page.locator('#findings-table tbody tr:visible').count();
    const all = await visible();
    await page.selectOption('#filter-rule', 'LT-003');
    expect(await visible()).toBe(3);
    await page.selectOption('#filter-process', '700');
    expect(await visible()).toBe(2);
    await page.selectOption('#filter-rule', '');
    await page.selectOption('#filter-process', '');
    expect(await visible()).toBe(all);
    const sevs = () => page.locator('#findings-table tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-sev'))));
    await page.click('button[data-sort="sev"]');
    const asc = await sevs();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(asc[0]).toBeLessThan(asc[asc.length - 1]!);
    await page.click('button[data-sort="sev"]');
    const desc = await sevs();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    // The RWX mapping of updater: the panel shows decoded PROT and MAP names.
    const mark = page.locator('svg.timeline[data-pid="710"] g.m', { has: page.locator('circle.k-map') }).first();
    await mark.click();
    await expect.poll(() => page.locator('#detail').isVisible()).toBe(true);
    const text = await page.locator('#detail').innerText();
    expect(text).toContain('PROT_READ|PROT_WRITE|PROT_EXEC');
    expect(text).toContain('MAP_ANON');
    expect(errors).toEqual([]);
  });

  it('without JavaScript the essentials are there: findings table, blind spots, timelines', async () => {
    const { page, errors } = await load(await renderInput(DEMO), 'demo-nojs', { js: false });
    expect(errors).toEqual([]);
    expect(await page.locator('#findings-table tbody tr:visible').count()).toBe(12);
    expect(await page.locator('#blind-spots li').first().isVisible()).toBe(true);
    expect(await page.locator('svg.timeline').count()).toBeGreaterThanOrEqual(2);
    // The filters need the script, so they stay hidden without it.
    expect(await page.locator('.filters').isVisible()).toBe(false);
    expect(await page.locator('svg.timeline[data-pid="710"] title').first().textContent()).toBeTruthy();
  });

  it('a hostile capture: no injected element or script runs, the strings are shown as text', async () => {
    const dir = writeHostileCapture(join(tmp, 'hostile'));
    const { page, errors, requests } = await load(await renderInput(dir), 'hostile');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.evaluate('document.scripts.length')).toBe(2);
    expect(await page.locator('img, iframe, object, embed, b:text-is("x"), i:text-is("14")').count()).toBe(0);
    expect(await page.evaluate("[...document.querySelectorAll('*')].some((el) => [...el.attributes].some((a) => /^on/i.test(a.name)))")).toBe(false);
    expect(await page.evaluate("[...document.querySelectorAll('[href]')].every((el) => el.getAttribute('href').startsWith('#'))")).toBe(true);
    const body = await page.evaluate<string>('document.body.textContent');
    for (const s of [HOSTILE.comm, HOSTILE.exec, HOSTILE.dlopen, HOSTILE.hostname, HOSTILE.endingDetail]) expect(body).toContain(s);
    expect(body).toContain('/tmp/\\xff\\xfe<b>x</b>');
    expect(body).toContain('<script>window.__pwned=7</script>');
    // The detail panel writes text too: click every mark and check nothing new appeared.
    const marks = page.locator('g.m');
    for (let i = 0; i < (await marks.count()); i++) await marks.nth(i).click({ force: true });
    expect(await page.evaluate('document.scripts.length')).toBe(2);
    expect(await page.locator('#detail img, #detail script, #detail b').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
  });
});
