/** Input checks shared by the commands; each failure is a BadUserInputError naming the field. */
import { BadUserInputError } from '../errors.js';
import { invalidCoordinates } from '../engine/geo.js';

/** A non-blank string of at most `max` characters, trimmed. */
export function text(value: string, field: string, max = 200): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max) {
    throw new BadUserInputError(`${field} must be 1 to ${max} characters; got ${trimmed.length}`, field);
  }
  return trimmed;
}

/** A list of 1 to 50 distinct non-blank skill names. */
export function skills(values: readonly string[], field: string): string[] {
  const cleaned = [...new Set(values.map((v) => text(v, field, 80)))];
  if (cleaned.length === 0 || cleaned.length > 50) {
    throw new BadUserInputError(`${field} must list 1 to 50 skills; got ${cleaned.length}`, field);
  }
  return cleaned;
}

/** An integer in [min, max]. */
export function integer(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${field} must be an integer from ${min} to ${max}; got ${value}`, field);
  }
  return value;
}

/** A city name and coordinates on Earth. */
export function location(value: { city: string; lat: number; lng: number }, field: string): { city: string; lat: number; lng: number } {
  const problem = invalidCoordinates(value);
  if (problem) throw new BadUserInputError(`${field}.${problem}`, field);
  return { city: text(value.city, `${field}.city`, 120), lat: value.lat, lng: value.lng };
}

/** Throws unless at least one field of a partial update is set. */
export function someField(input: object, field: string): void {
  if (!Object.values(input).some((v) => v !== undefined && v !== null)) {
    throw new BadUserInputError(`${field} sets no field; give at least one field to change`, field);
  }
}

export const MAX_SALARY = 10_000_000;
