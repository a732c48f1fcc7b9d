/**
 * Marks on tags that another instance has just changed, set by the bus watcher thread
 * (invalidation/busWatcher.ts). The main thread checks them on every L1 read. A bus message
 * waits in the main thread's socket until the event loop reaches it, which takes as long as
 * the work queued ahead of it, up to tens of milliseconds under load. The watcher thread waits
 * for nothing but that socket, and marks the message's tags in shared memory as soon as it
 * arrives. From then on L1 stops trusting those tags (the read goes to Redis, which already has
 * their new versions), even before the main thread has handled the message.
 *
 * Tags hash to a fixed number of slots. Each slot counts the messages the watcher marked
 * (`marked`, shared) and the messages the main thread has handled (`handled`, its own). A slot
 * with more marked than handled is pending. Two tags that share a slot cost each other an extra
 * L1 miss now and then, and nothing worse: a mark only ever makes L1 distrust an entry.
 */

const SLOTS = 1 << 16;
/** The last cell counts every message marked, so a read can skip hashing while none is pending. */
const TOTAL = SLOTS;

export class TagMarks {
  readonly buffer: SharedArrayBuffer;
  private readonly marked: Int32Array;
  private readonly handled = new Int32Array(SLOTS + 1);

  /** New marks, or (in the watcher thread) the marks of `buffer` from the main thread. */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer((SLOTS + 1) * Int32Array.BYTES_PER_ELEMENT);
    this.marked = new Int32Array(this.buffer);
  }

  /** Watcher thread: a message from another instance changed `tags`. */
  mark(tags: readonly string[]): void {
    for (const slot of slotsOf(tags)) Atomics.add(this.marked, slot, 1);
    Atomics.add(this.marked, TOTAL, 1);
  }

  /** Main thread: it has handled the message the watcher marked for `tags` (in the order marked). */
  handle(tags: readonly string[]): void {
    for (const slot of slotsOf(tags)) this.handled[slot]++;
    this.handled[TOTAL]++;
  }

  /**
   * Main thread: the watcher is gone, and will hand over nothing more. What it marked and did
   * not hand over is handled as far as marks go (the main thread's subscription carries the
   * same messages), or those tags would stay distrusted for good.
   */
  release(): void {
    for (let slot = 0; slot <= SLOTS; slot++) this.handled[slot] = Atomics.load(this.marked, slot);
  }

  /** Every message marked so far (it only grows): while it stays the same, no tag became pending. */
  total(): number {
    return Atomics.load(this.marked, TOTAL);
  }

  /** Main thread: a change to `tag` is marked and not handled yet. */
  pending(tag: string): boolean {
    // Subtraction wraps like the counters do, so the comparison survives their overflow.
    if (((Atomics.load(this.marked, TOTAL) - this.handled[TOTAL]) | 0) <= 0) return false;
    const slot = slotOf(tag);
    return ((Atomics.load(this.marked, slot) - this.handled[slot]) | 0) > 0;
  }
}

/** The distinct slots of `tags`: a message counts once per slot, however many of its tags share it. */
function slotsOf(tags: readonly string[]): Set<number> {
  return new Set(tags.map(slotOf));
}

/** FNV-1a over the tag's UTF-16 code units. */
function slotOf(tag: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) hash = Math.imul(hash ^ tag.charCodeAt(i), 0x01000193);
  return (hash >>> 0) & (SLOTS - 1);
}
