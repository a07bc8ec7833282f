/**
 * The one error class the capture stage throws and runCapture rejects with: what failed,
 * in words that name the option, file or tracer, and the exit code the command line ends
 * with for it (docs/capture.md lists them). Capture never exits the process itself.
 */
export class CaptureError extends Error {
  override name = 'CaptureError';
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
