import { GraphQLScalarType, Kind } from 'graphql';
import { BadUserInputError } from '../src/errors.js';

/** ISO-8601 in UTC on the way out; an ISO-8601 string on the way in. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new TypeError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new BadUserInputError(`DateTime must be an ISO-8601 string such as 2026-11-24T20:00:00Z; got ${JSON.stringify(value)}`);
  return date;
}
