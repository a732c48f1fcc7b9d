/**
 * A TCP proxy a test puts between the gateway and Postgres or Redis, to break the link on
 * cue: `cut()` resets every open connection and refuses new ones (the service is down, as
 * the gateway sees it); `blackHole()` keeps every connection open and accepts new ones but
 * carries no byte either way (the service is frozen, or the network drops everything);
 * `slow(ms)` delivers every byte `ms` late, each way, in order (a slow network or server);
 * `restore()` lets connections and bytes through again, at once.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): void;
  blackHole(): void;
  slow(delayMs: number): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  /** How late bytes are delivered: Infinity while black-holed (held until restore). */
  let delayMs = 0;
  /** Each relay's delivery of what it holds, at once (restore). */
  const flushes = new Set<() => void>();
  const relay = (from: net.Socket, to: net.Socket) => {
    // Chunks held back, each due `delayMs` after it arrived: delivered in arrival order, those
    // arriving after a restore too (they queue behind any still held).
    const held: Array<{ due: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const deliver = (upTo: number) => {
      while (held.length > 0 && held[0].due <= upTo) to.write(held.shift()!.chunk);
    };
    const schedule = () => {
      if (timer || held.length === 0 || held[0].due === Infinity) return;
      timer = setTimeout(() => {
        timer = undefined;
        deliver(Date.now());
        schedule();
      }, Math.max(0, held[0].due - Date.now()));
    };
    const flush = () => {
      deliver(Infinity);
      clearTimeout(timer);
      timer = undefined;
    };
    flushes.add(flush);
    from.on('close', () => flushes.delete(flush));
    from.on('data', (chunk: Buffer) => {
      if (delayMs === 0 && held.length === 0) return void to.write(chunk);
      held.push({ due: Date.now() + delayMs, chunk });
      schedule();
    });
  };
  const server = net.createServer((client) => {
    if (down) return void client.resetAndDestroy();
    const upstream = net.connect(target.port, target.host);
    const pair = [client, upstream];
    for (const socket of pair) {
      open.add(socket);
      socket.on('error', () => pair.forEach((s) => s.destroy()));
      socket.on('close', () => {
        open.delete(socket);
        pair.forEach((s) => s.destroy());
      });
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    blackHole() {
      delayMs = Infinity;
    },
    slow(ms: number) {
      delayMs = ms;
    },
    restore() {
      down = false;
      delayMs = 0;
      for (const flush of flushes) flush();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
