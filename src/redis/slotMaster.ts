/**
 * A plain connection to whichever node of a cluster serves one key's slot as master, found again at
 * every (re)connection: after a failover it reconnects to the promoted replica. The bus
 * subscribes on such a connection (sharded pub/sub): SPUBLISH hands a message to the master's
 * own subscribers as it answers the writer, so a subscriber on the master has it in its socket
 * once the writer's next command is answered (L2.delivered), before the write is acknowledged;
 * one on a replica would hear it later.
 */
import net from 'node:net';
import tls from 'node:tls';
import { AbstractConnector, Redis, type RedisOptions } from 'ioredis';
import { clusterSeeds, type RedisTarget } from './connect.js';

/** How long one seed node may take to say who serves the slot. */
const ASK_TIMEOUT_MS = 1000;
/** The pause before asking every seed again, when none answered. */
const ASK_AGAIN_MS = 200;

interface SlotMasterOptions extends RedisOptions {
  slotMaster: { target: RedisTarget; key: string };
}

type Stream = net.Socket | tls.TLSSocket;

class SlotMasterConnector extends AbstractConnector {
  constructor(private readonly options: SlotMasterOptions) {
    super(options.disconnectTimeout ?? 2000);
  }

  async connect(): Promise<Stream> {
    this.connecting = true;
    const { target, key } = this.options.slotMaster;
    const { seeds, credentials } = clusterSeeds(target);
    for (;;) {
      for (const seed of seeds) {
        const master = await askMaster(seed, key, credentials).catch(() => undefined);
        if (!this.connecting) throw new Error('Connection is closed.');
        if (!master) continue;
        const stream: Stream = credentials.tls ? tls.connect({ ...master, ...credentials.tls }) : net.createConnection(master);
        stream.once('error', (err) => (this.firstError = err));
        this.stream = stream;
        return stream;
      }
      await new Promise((resolve) => setTimeout(resolve, ASK_AGAIN_MS));
      if (!this.connecting) throw new Error('Connection is closed.');
    }
  }
}

/** A connection to the master serving `key`, with `options`; it follows the key's slot through failovers. */
export function connectToSlotMaster(target: RedisTarget, key: string, options: RedisOptions): Redis {
  const { credentials } = clusterSeeds(target);
  const slotMaster: SlotMasterOptions = { ...options, ...credentials, Connector: SlotMasterConnector as never, slotMaster: { target, key } };
  return new Redis(slotMaster);
}

/** The address of the master serving `key`, as `seed` sees the cluster (CLUSTER KEYSLOT, CLUSTER SLOTS). */
async function askMaster(seed: { host: string; port: number }, key: string, credentials: RedisOptions): Promise<{ host: string; port: number } | undefined> {
  const client = new Redis({
    ...seed,
    ...credentials,
    lazyConnect: true,
    connectTimeout: ASK_TIMEOUT_MS,
    commandTimeout: ASK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const slot = await client.cluster('KEYSLOT', key);
    const range = (await client.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to);
    const master = range?.[2];
    // An empty host means "the node you asked" (Redis 7 may answer so for itself).
    return master && { host: master[0] || seed.host, port: master[1] };
  } finally {
    client.disconnect();
  }
}
