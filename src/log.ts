/**
 * Structured logs: pino, one JSON object per line on stdout (`time`, `level`, `ns`, `msg`, and
 * the event's fields), for a log pipeline to index. Namespaces say which part of the gateway
 * speaks (`db.migrate`, `server`, `cache.l2`). Errors are logged as their name, message and
 * code; fields that could carry credentials are redacted.
 */
import pino from 'pino';

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
// The threshold is this module's, not pino's: loggers are made at import, before setLogLevel.
let threshold = order.info;

const root = pino({
  level: 'debug',
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  serializers: { err: serializeError, error: serializeError },
  redact: { paths: ['authorization', 'password', 'token', '*.authorization', '*.password', '*.token'], censor: '[redacted]' },
  // Through process.stdout (synchronous for files and pipes): what a test or a host captures there sees every line.
}, process.stdout);

/** Sets the lowest level printed; default info. */
export function setLogLevel(level: Level | 'silent'): void {
  threshold = order[level];
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether `level` is printed now: skip building fields that would be dropped. */
  enabled(level: Level): boolean;
}

/** A logger whose lines carry `ns: namespace`. */
export function logger(namespace: string): Logger {
  const write = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (order[level] < threshold) return;
    root[level]({ ns: namespace, ...fields }, message);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), enabled: (level) => order[level] >= threshold };
}

function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, message: value.message, ...(code !== undefined && { code }) };
}
