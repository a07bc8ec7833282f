/**
 * Facts about the machine for meta.json and doctor: host name, OS version,
 * SIP status (macOS).
 */
import { readFileSync } from 'node:fs';
import { arch, hostname, release } from 'node:os';
import type { CommandRunner } from './run-command.ts';
import { parseCsrutilStatus, SIP_NOT_APPLICABLE, type SipStatus } from './sip.ts';

export interface HostInfo {
  readonly hostname: string;
  readonly platform: string;
  readonly arch: string;
  readonly osVersion: string;
  readonly kernelRelease: string;
}

/** OS name and version: `sw_vers` on macOS, /etc/os-release elsewhere. */
export async function osVersion(run: CommandRunner, platform: NodeJS.Platform, readFile = readFileSync): Promise<string> {
  if (platform === 'darwin') {
    const name = await run('sw_vers', ['-productName'], { timeoutMs: 5000 });
    const ver = await run('sw_vers', ['-productVersion'], { timeoutMs: 5000 });
    const build = await run('sw_vers', ['-buildVersion'], { timeoutMs: 5000 });
    const parts = [name.stdout.trim() || 'macOS', ver.stdout.trim(), build.stdout.trim() ? `(${build.stdout.trim()})` : ''];
    return parts.filter(Boolean).join(' ');
  }
  try {
    const text = String(readFile('/etc/os-release', 'utf8'));
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1];
    if (pretty) return pretty;
  } catch {
    // No os-release: fall back to the kernel name.
  }
  return `${platform} ${release()}`;
}

/** SIP status from `csrutil status` on macOS; 'n/a' elsewhere. */
export async function sipStatus(run: CommandRunner, platform: NodeJS.Platform): Promise<SipStatus> {
  if (platform !== 'darwin') return SIP_NOT_APPLICABLE;
  const res = await run('csrutil', ['status'], { timeoutMs: 5000 });
  if (res.code !== 0 && !res.stdout) return { state: 'unknown', dtraceRestricted: null, raw: res.error ?? res.stderr.trim() };
  return parseCsrutilStatus(res.stdout);
}

/** Everything about the host that goes into meta.json. */
export async function hostInfo(run: CommandRunner, platform: NodeJS.Platform): Promise<HostInfo> {
  return {
    hostname: hostname(),
    platform,
    arch: arch(),
    osVersion: await osVersion(run, platform),
    kernelRelease: release(),
  };
}
