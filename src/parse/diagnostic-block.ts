/**
 * The diagnostics a tracer prints over several lines: a probe error wrapped
 * onto a second line, and an `invalid probe specifier` block that echoes the
 * program. Their lines are gathered until the diagnostic is complete or a line
 * arrives that cannot belong to it.
 */
import {
  classifyLine,
  closesProbeSpecifier,
  completeProbeError,
  interruptsProbeSpecifier,
  isProbeSpecifierStart,
  isWrappedProbeError,
  probeSpecifierDiagnostic,
} from './diagnostics.ts';
import type { ParseItem } from './types.ts';

/** Longest `invalid probe specifier` block; an echoed program longer than this is cut into several. */
const MAX_SPECIFIER_LINES = 1000;

const enum Block {
  None,
  ProbeHead,
  Specifier,
}

/** The multi-line diagnostic being gathered, if any. */
export class DiagnosticBlock {
  private kind = Block.None;
  private text: string[] = [];
  private line = 0;
  /** Characters held in a specifier block: bounded by maxLineLength like a single line. */
  private chars = 0;

  /**
   * @param markerAt position of the trace's marker in a line, or -1 (a record
   *   ends a specifier block; looking for it may lock the nonce)
   */
  constructor(
    private readonly emit: (item: ParseItem) => void,
    private readonly maxLen: number,
    private readonly markerAt: (l: string) => number,
  ) {}

  /** Whether a diagnostic is being gathered. */
  get open(): boolean {
    return this.kind !== Block.None;
  }

  /** Whether line n begins a multi-line diagnostic (emitted at once if the line completes it). */
  start(l: string, n: number): boolean {
    if (isProbeSpecifierStart(l)) {
      if (closesProbeSpecifier(l, true)) this.emit(probeSpecifierDiagnostic([l], n, true));
      else {
        this.kind = Block.Specifier;
        this.text = [l];
        this.chars = l.length;
        this.line = n;
      }
      return true;
    }
    if (isWrappedProbeError(l)) {
      this.kind = Block.ProbeHead;
      this.text = [l];
      this.line = n;
      return true;
    }
    return false;
  }

  /** Try to attach line n to the diagnostic; false: the diagnostic was emitted and the line is unclaimed. */
  continues(l: string, n: number): boolean {
    switch (this.kind) {
      case Block.ProbeHead: {
        const d = completeProbeError(this.text[0]!, l, this.line);
        if (d) {
          this.kind = Block.None;
          this.text = [];
          this.emit(d);
          return true;
        }
        this.settle(null);
        return false;
      }
      case Block.Specifier: {
        if (interruptsProbeSpecifier(l) || this.markerAt(l) >= 0) {
          this.settle(null);
          return false;
        }
        this.text.push(l);
        this.chars += l.length;
        if (closesProbeSpecifier(l, false)) this.settle(true);
        else if (this.text.length >= MAX_SPECIFIER_LINES || this.chars > this.maxLen) this.settle(false);
        return true;
      }
      default:
        return false;
    }
  }

  /** Emit the diagnostic gathered so far. closed applies to a specifier block. */
  settle(closed: boolean | null): void {
    switch (this.kind) {
      case Block.None:
        return;
      case Block.ProbeHead: {
        this.kind = Block.None;
        const text = this.text[0]!;
        this.text = [];
        this.emit(classifyLine(text, this.line)!);
        return;
      }
      case Block.Specifier: {
        this.kind = Block.None;
        const lines = this.text;
        this.text = [];
        this.emit(probeSpecifierDiagnostic(lines, this.line, closed === true));
        return;
      }
    }
  }
}
