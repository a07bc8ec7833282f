/**
 * Gate for tests that load pages in a real headless Chromium (the HTML
 * report). On a user's machine without Chromium they skip and say why; with
 * LOADTRACE_REQUIRE_LIVE=1 (set by .ci/run, which installs chromium) a missing
 * browser fails instead, so CI can never pass by skipping.
 */
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { REQUIRE_LIVE } from './live.ts';

/** The browser binary: Debian's chromium package, or LOADTRACE_CHROMIUM. */
export const CHROMIUM = process.env.LOADTRACE_CHROMIUM ?? '/usr/bin/chromium';

function status(): { ok: boolean; reason: string } {
  if (!existsSync(CHROMIUM)) return { ok: false, reason: `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set LOADTRACE_CHROMIUM)` };
  return { ok: true, reason: '' };
}

/** describe() for browser tests: runs, skips, or fails with the reason when CI requires them. */
export function describeBrowser(name: string, body: () => void): void {
  const s = status();
  if (s.ok) describe(name, body);
  else if (REQUIRE_LIVE) {
    describe(name, () => {
      it('has a browser', () => {
        throw new Error(`browser tests are required (LOADTRACE_REQUIRE_LIVE=1) but ${s.reason}`);
      });
    });
  } else describe.skip(`${name} (skipped: ${s.reason})`, body);
}

/** Chromium, headless, with nothing of its own that talks to the network; playwright-core never downloads a browser. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const launch = () =>
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  // On a loaded machine Debian's Chromium now and then dies with SIGTRAP while starting, before any page
  // is opened, sometimes twice in a row: up to three starts, a moment apart, so that the tests judge
  // the page and not the browser's startup. The last failure is the one reported.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch();
    } catch (err) {
      if (attempt === 3) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}
