/**
 * Reading Xtream Codes values without trusting their types: panels send numbers as strings or numbers,
 * `""` and `null` for nothing, `[]` (PHP's empty array) where an object was due. Each reader answers
 * the value or null, never throws.
 */

export type Wire = Record<string, unknown>;

/** An object, or null for `[]`, `null`, strings and everything else. */
export function object(value: unknown): Wire | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Wire) : null;
}

/** A trimmed non-empty string (numbers are written out), or null. */
export function text(value: unknown, max = 2000): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed.slice(0, max);
}

/** A finite number from a number or a numeric string, or null. */
export function number(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const parsed = Number(value.trim());
  return Number.isFinite(parsed) ? parsed : null;
}

/** A whole number within PostgreSQL's integer, or null. */
export function integer(value: unknown): number | null {
  const n = number(value);
  return n !== null && Number.isInteger(n) && Math.abs(n) <= 2_147_483_647 ? n : null;
}

/** `1`, `"1"`, `true` → true; `0`, `"0"`, `false` → false; else null. */
export function flag(value: unknown): boolean | null {
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'false') return false;
  return null;
}

/** Unix seconds (a number or a string), `0`/`""`/`null` meaning none, as a Date; absurd values are null. */
export function epoch(value: unknown): Date | null {
  const seconds = number(value);
  if (seconds === null || seconds <= 0 || seconds > 32_503_680_000) return null;
  return new Date(Math.round(seconds) * 1000);
}

/** A list of non-empty strings from an array, a single string, or nothing. */
export function strings(value: unknown, maxItems = 20): string[] {
  if (Array.isArray(value)) return value.map((v) => text(v)).filter((v): v is string => v !== null).slice(0, maxItems);
  const single = text(value);
  return single ? [single] : [];
}
