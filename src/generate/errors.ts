/** A generation request that cannot become a safe script: bad option, refused string, unsupported combination. */
export class GenerateError extends Error {
  override name = 'GenerateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
