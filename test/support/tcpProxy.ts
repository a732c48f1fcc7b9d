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
  let holding = false;
  let delayMs = 0;
  /** Bytes held back while black-holed, per direction, delivered at restore. */
  const held: Array<() => void> = [];
  const relay = (from: net.Socket, to: net.Socket) => {
    // Chunks slowed down, each due `delayMs` after it arrived: delivered in arrival order,
    // those arriving after a restore too (they queue behind any still due).
    const slowed: Array<{ due: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const deliverDue = () => {
      timer = undefined;
      while (slowed.length > 0 && slowed[0].due <= Date.now()) to.write(slowed.shift()!.chunk);
      if (slowed.length > 0) timer = setTimeout(deliverDue, slowed[0].due - Date.now());
    };
    from.on('data', (chunk: Buffer) => {
      if (holding) return void held.push(() => to.write(chunk));
      if (delayMs === 0 && slowed.length === 0) return void to.write(chunk);
      slowed.push({ due: Date.now() + delayMs, chunk });
      timer ??= setTimeout(deliverDue, delayMs);
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
      holding = true;
    },
    slow(ms: number) {
      delayMs = ms;
    },
    restore() {
      down = false;
      holding = false;
      delayMs = 0;
      for (const deliver of held.splice(0)) deliver();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
