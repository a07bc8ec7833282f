/** When the tables use ANSI colour: `--color auto|always|never`, with NO_COLOR (https://no-color.org). */
export const COLOR_WHEN = ['auto', 'always', 'never'] as const;
export type ColorWhen = (typeof COLOR_WHEN)[number];

/**
 * `auto`: only on a terminal, and only when NO_COLOR is unset or empty. An explicit
 * `always` wins over NO_COLOR: the flag is the more specific request. `--no-color`
 * (commander's false) is `never`.
 */
export function useColor(when: ColorWhen | boolean | undefined, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (when === 'always') return true;
  if (when === 'never' || when === false) return false;
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
