/**
 * A TCP proxy a test puts between the gateway and Postgres or Redis, to break the link on
 * cue: `cut()` resets every open connection and refuses new ones (the service is down, as
 * the gateway sees it); `blackHole()` keeps every connection open and accepts new ones but
 * carries no byte either way (the service is frozen, or the network drops everything);
 * `restore()` lets connections and bytes through again.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): void;
  blackHole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  let holding = false;
  /** Bytes held back while black-holed, per direction, delivered at restore. */
  const held: Array<() => void> = [];
  const relay = (from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (holding) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
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
    restore() {
      down = false;
      holding = false;
      for (const deliver of held.splice(0)) deliver();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
