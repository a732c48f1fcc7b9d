/**
 * A small structured logger: one line per event, `level namespace message {fields}`.
 * Namespaces say which part of the gateway speaks (`db.migrate`, `server`, `seed`).
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
let threshold = order.info;

/** Sets the lowest level printed; default info. */
export function setLogLevel(level: Level | 'silent'): void {
  threshold = order[level];
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger whose lines carry `namespace`. */
export function logger(namespace: string): Logger {
  const write = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (order[level] < threshold) return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields, errorReplacer) : '';
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${namespace}: ${message}${extra}\n`;
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
