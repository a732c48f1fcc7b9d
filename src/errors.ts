/**
 * The gateway's client-facing errors. Each carries a stable `extensions.code`, so clients
 * and tests branch on the code, never on message text.
 */
import { GraphQLError } from 'graphql';

/** An argument or input that cannot be accepted; nothing was written. */
export class BadUserInputError extends GraphQLError {
  static readonly code = 'BAD_USER_INPUT';
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: BadUserInputError.code, ...(field ? { field } : {}) } });
  }
}

/** The entity an operation names does not exist; nothing was written. */
export class NotFoundError extends GraphQLError {
  static readonly code = 'NOT_FOUND';
  constructor(typename: string, id: string | number) {
    super(`${typename} ${id} does not exist`, { extensions: { code: NotFoundError.code, typename, id: String(id) } });
  }
}

/** The field needs a caller, and the request carried no valid bearer token. */
export class UnauthenticatedError extends GraphQLError {
  static readonly code = 'UNAUTHENTICATED';
  constructor(reason: string) {
    super(`${reason}; send "Authorization: Bearer <JWT signed with JWT_SECRET, sub = user id>"`, {
      extensions: { code: UnauthenticatedError.code },
    });
  }
}

/** Parses a GraphQL ID argument into the integer key the tables use. */
export function parseId(value: string, argument: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) {
    throw new BadUserInputError(`${argument} must be a positive integer id such as "42"; got "${value}"`, argument);
  }
  return id;
}

/** Checks an integer argument's range, e.g. `limit` or `n`. */
export function checkRange(value: number, argument: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${argument} must be an integer from ${min} to ${max}; got ${value}`, argument);
  }
  return value;
}
