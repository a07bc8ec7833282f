/**
 * Logging for capture and doctor: pino to stderr only, so stdout carries
 * nothing but results (findings, reports, doctor's answers).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import type { Writable } from 'node:stream';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface LoggerOptions {
  /** Pretty, coloured lines for people on a terminal; JSON lines otherwise (for log collectors). */
  readonly tty: boolean;
  /** Where to write; default process.stderr. Tests and the status line pass their own stream. */
  readonly stream?: Writable;
}

/** A pino logger on stderr: pino-pretty on a TTY, JSON lines otherwise. */
export function createLogger(level: LevelWithSilent | string, options: LoggerOptions): Logger {
  const lvl = (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info';
  const stream = options.stream ?? process.stderr;
  if (options.tty) {
    // sync so a log line is out before the status line redraws over it or the process exits.
    const dest = pretty({ destination: stream, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' });
    return pino({ level: lvl, base: undefined }, dest);
  }
  return pino({ level: lvl, base: undefined }, stream);
}
