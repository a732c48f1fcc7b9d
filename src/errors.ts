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

/** Node and Postgres codes of a Postgres the gateway cannot reach or that is shutting down. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
const UNREACHABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Connection ended unexpectedly/;

/**
 * The code a failure is reported with: its own `extensions.code`; SERVICE_UNAVAILABLE when
 * Postgres could not be reached (and nothing cached could answer); else INTERNAL_SERVER_ERROR.
 */
export function codeOf(error: GraphQLError): string {
  const own = error.extensions?.code;
  if (own !== undefined && own !== 'INTERNAL_SERVER_ERROR') return String(own);
  const cause = error.originalError as (Error & { code?: string }) | undefined;
  if (cause && (UNREACHABLE_CODES.has(cause.code ?? '') || UNREACHABLE_MESSAGES.test(cause.message))) return 'SERVICE_UNAVAILABLE';
  return 'INTERNAL_SERVER_ERROR';
}
