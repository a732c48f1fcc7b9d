/**
 * Secrets and access, end to end through `npm start`'s entry point: Postgres over TLS
 * (`sslmode=verify-full` with the server's CA in DATABASE_URL) with a password, and Redis over
 * TLS (`rediss://`, REDIS_TLS_CA_FILE) as an ACL user with a password. The gateway serves
 * through both, and prints neither password, even at LOG_LEVEL=debug, even when one is wrong.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { setLogLevel } from '../../src/log.js';
import { spawnListening } from '../helpers/gatewayProcess.js';
import { freePort } from '../helpers/ports.js';
import { TEST_JWT_SECRET } from '../helpers/gateway.js';
import { signToken } from '../../src/auth/jwt.js';

const PG_PASSWORD = 'pg-secret-7f3a9c';
const REDIS_PASSWORD = 'redis-secret-42d1e8';

let dir: string;
let postgres: EmbeddedDatabase;
let postgresUrl: URL;
let redisPort: number;
let redisServer: ChildProcess;
let redis: Redis;

/** A CA, and a certificate it signs for 127.0.0.1 (the servers'), in `dir`. */
function makeCertificates(): void {
  const sh = (command: string) => execFileSync('sh', ['-c', command], { cwd: dir, stdio: 'ignore' });
  sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=strata-test-ca"');
  sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=some-other-ca"');
  sh('openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1"');
  sh('printf "subjectAltName=IP:127.0.0.1,DNS:localhost" > san && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san');
  for (const file of ['server.key', 'server.pem']) {
    // As root, Postgres runs as `postgres` (db/embedded.ts), and wants its key to itself.
    if (process.getuid?.() === 0) chownSync(path.join(dir, file), Number(execFileSync('id', ['-u', 'postgres'])), -1);
    chmodSync(path.join(dir, file), 0o600);
  }
}

before(async () => {
  setLogLevel('warn');
  dir = mkdtempSync(path.join(tmpdir(), 'strata-secrets-'));
  chmodSync(dir, 0o755);
  makeCertificates();
  postgres = await startEmbeddedPostgres(
    { dataDir: path.join(dir, 'pgdata'), port: await freePort() },
    { ssl: 'on', ssl_cert_file: path.join(dir, 'server.pem'), ssl_key_file: path.join(dir, 'server.key') },
  );
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`ALTER USER postgres PASSWORD '${PG_PASSWORD}'`);
  await admin.end();
  postgresUrl = new URL(postgres.url);
  postgresUrl.password = PG_PASSWORD;
  postgresUrl.search = `?sslmode=verify-full&sslrootcert=${path.join(dir, 'ca.pem')}`;

  redisPort = await freePort();
  redisServer = spawn('redis-server', [
    '--port', '0', '--tls-port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
    '--tls-cert-file', path.join(dir, 'server.pem'), '--tls-key-file', path.join(dir, 'server.key'), '--tls-ca-cert-file', path.join(dir, 'ca.pem'),
    '--tls-auth-clients', 'no',
    // No anonymous access: only the `strata` ACL user, with its password, and nothing @dangerous
    // (INFO, CONFIG, KEYS, FLUSHALL, …): what a least-privilege deployment grants.
    '--user', 'default', 'off', '--user', 'strata', 'on', `>${REDIS_PASSWORD}`, '~*', '&*', '+@all', '-@dangerous',
  ], { stdio: 'ignore' });
  redis = new Redis({ port: redisPort, host: '127.0.0.1', username: 'strata', password: REDIS_PASSWORD, tls: { ca: readFileSync(path.join(dir, 'ca.pem'), 'utf8') }, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  redis.on('error', () => undefined);
  for (let i = 0; i < 50 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await redis.ping(), 'PONG');
});

after(async () => {
  redis?.disconnect();
  redisServer?.kill('SIGKILL');
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `npm start`'s entry point with `env`; every line it prints lands in `output`. */
async function startMain(env: Record<string, string>, output: string[]) {
  const { child, port } = await spawnListening(
    'src/main.ts',
    { NODE_ENV: 'development', LOG_LEVEL: 'debug', JWT_SECRET: TEST_JWT_SECRET, SEED_SCALE: '0.02', PORT: String(await freePort()), ...env },
    { ready: /Strata is serving http:\/\/[^:]+:(\d+)\/graphql/, output },
  );
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    query: async (query: string, headers: Record<string, string> = {}) =>
      (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) })).json(),
    ready: async () => (await fetch(`${url}/ready`)).json(),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function assertNoSecret(output: string[], ...secrets: string[]): void {
  const text = output.join('');
  assert.match(text, /Strata is serving/, 'the output was captured');
  for (const secret of secrets) assert.ok(!text.includes(secret), `the output shows a password:\n${text.split('\n').filter((l) => l.includes(secret)).join('\n')}`);
}

describe('TLS and credentials', () => {
  test('serves through Postgres over verified TLS and Redis over TLS as an ACL user without @dangerous, printing no password, secret or token', async () => {
    const output: string[] = [];
    const token = await signToken(7, TEST_JWT_SECRET);
    const gateway = await startMain(
      { DATABASE_URL: postgresUrl.toString(), REDIS_URL: `rediss://strata:${REDIS_PASSWORD}@127.0.0.1:${redisPort}`, REDIS_TLS_CA_FILE: path.join(dir, 'ca.pem') },
      output,
    );
    try {
      const first = await gateway.query('{ movie(id: "1") { id title } }');
      assert.equal(first.data.movie.id, '1');
      assert.deepEqual(await gateway.query('{ movie(id: "1") { id title } }'), first);
      assert.ok((await redis.dbsize()) > 0, 'the gateway wrote its L2 entries to the TLS Redis');
      // A caller's token, and the secret that signs it, reach no log line either (LOG_LEVEL=debug).
      const me = await gateway.query('{ me { id } }', { authorization: `Bearer ${token}` });
      assert.deepEqual(me.data, { me: { id: '7' } });
      const ready = await gateway.ready();
      assert.equal(ready.redis.state, 'up');
      const admin = new pg.Client({ connectionString: postgresUrl.toString() });
      await admin.connect();
      const { rows } = await admin.query(
        "SELECT count(*)::int AS connections, bool_and(s.ssl) AS all_tls FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'strata'",
      );
      await admin.end();
      assert.ok(rows[0].connections > 0);
      assert.equal(rows[0].all_tls, true, "every one of the gateway's Postgres connections is TLS");
    } finally {
      await gateway.stop();
    }
    assertNoSecret(output, PG_PASSWORD, REDIS_PASSWORD, TEST_JWT_SECRET, token);
  });

  test('with a wrong Redis password it serves from L1 and Postgres, says Redis is down, and prints no password', async () => {
    const output: string[] = [];
    const wrong = 'not-the-redis-password-9b7c';
    const gateway = await startMain(
      { DATABASE_URL: postgresUrl.toString(), REDIS_URL: `rediss://strata:${wrong}@127.0.0.1:${redisPort}`, REDIS_TLS_CA_FILE: path.join(dir, 'ca.pem') },
      output,
    );
    try {
      assert.equal((await gateway.query('{ movie(id: "2") { id } }')).data.movie.id, '2');
      assert.match((await gateway.ready()).redis.state, /^down/);
    } finally {
      await gateway.stop();
    }
    assertNoSecret(output, PG_PASSWORD, wrong);
  });

  test('a Postgres whose certificate the configured CA did not sign is refused at start, with no password printed', async () => {
    const url = new URL(postgresUrl);
    url.search = `?sslmode=verify-full&sslrootcert=${path.join(dir, 'other-ca.pem')}`;
    const output: string[] = [];
    await assert.rejects(startMain({ DATABASE_URL: url.toString() }, output), /exited with 1/);
    const text = output.join('');
    assert.match(text, /certificate/i, 'it says the certificate is why');
    assert.ok(!text.includes(PG_PASSWORD));
  });
});
