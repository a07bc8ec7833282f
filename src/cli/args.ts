/**
 * Integer option parsers for commander, shared by every command: a bad value
 * is a usage error (exit 2) that names the option and quotes what was given.
 */
import { CliError, EXIT } from './exit.ts';

/** Any integer, negative ones included. */
export const integer = (name: string) => (v: string): number => {
  if (!/^-?\d+$/.test(v)) throw new CliError(`${name} must be an integer, got "${v}"`, EXIT.usage);
  return Number(v);
};

/** An integer above 0. */
export const positiveInt = (name: string) => (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new CliError(`${name}: expected a positive integer, got "${v}"`, EXIT.usage);
  return Number(v);
};

/** An integer of 0 or more. */
export const nonNegativeInt = (name: string) => (v: string): number => {
  if (!/^\d+$/.test(v)) throw new CliError(`${name}: expected a non-negative integer, got "${v}"`, EXIT.usage);
  return Number(v);
};
