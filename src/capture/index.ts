/**
 * Live capture: run a tracer, keep its raw output in a capture directory, stream it through
 * the analysis, say how it ended. Public API of the capture stage (docs/capture.md).
 */
export { runCapture, captureOptionsSchema, type CaptureOptions, type CaptureDeps, type CaptureResult } from './capture.ts';
export { classifyEnding, exitCodeForEnding } from './ending.ts';
export { defaultCaptureDir } from './folder.ts';
export { ENDINGS, metaSchema, type CaptureMeta, type Ending } from '../pipeline/capture-dir.ts';
export { runDoctor, renderDoctor, systemDoctorDeps, type DoctorReport, type DoctorCheck, type DoctorDeps } from './doctor.ts';
export { createCaptureAnalysis } from './analysis.ts';
export { parseDropThreshold, dropsExceeded, type DropThreshold, type OnDrops } from './drops.ts';
export { parseCsrutilStatus, type SipStatus } from './sip.ts';
export { createLogger, type Logger } from './log.ts';
export { runCommand, type CommandRunner, type CommandResult } from './run-command.ts';
export type { CaptureAnalysis, Analyzer, GenerateFn, FollowGenerateFn, Generated, ReportChoices, ResourceLimits, Target } from './ports.ts';
export type { RawFile, RawFileOpener } from './raw.ts';
