/** Waiting for something the system does on its own (a message heard, a takeover), with a bound. */
import assert from 'node:assert/strict';

/** Resolves once `condition` holds; fails the test, naming `what`, after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
