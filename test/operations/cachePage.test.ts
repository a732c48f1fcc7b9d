/**
 * The live cache page (GET /cache) in headless Chromium (Debian's, driven by playwright-core):
 * it loads and goes live, and its numbers move as queries and a mutation are sent: requests
 * answered, hit rates, L1 and Redis memory, the invalidation by its reason and in the feed.
 * A screenshot is saved to test-output/cache-page.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { projectRoot } from '../../src/config.js';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';

let redis: TestRedis;
let gw: TestGateway;
let browser: Browser;
before(async () => {
  redis = await startTestRedis();
  gw = await startTestGateway({ redisUrl: redis.url });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
after(async () => {
  await browser?.close();
  await gw?.stop();
  await redis?.stop();
});

test('the cache page loads, goes live, and its numbers move as queries and a mutation are sent', async () => {
  const page = await browser.newPage();
  const base = gw.url.replace(/\/graphql$/, '');
  await page.goto(`${base}/cache`);
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('live'), undefined, { timeout: 10_000 });
  const text = (id: string) => page.locator(`#${id}`).innerText();
  const answeredBefore = Number((await text('answered-total')).replace(/,/g, ''));

  for (let i = 0; i < 60; i++) dataOf(await gw.post(`{ movie(id: "${1 + (i % 10)}") { title ratingCount } }`));
  dataOf(await gw.post('mutation { updateCandidate(id: "5", input: { title: "Seen on the cache page" }) { id } }'));

  await page.waitForFunction(
    (before) => Number(document.getElementById('answered-total')!.textContent!.replace(/,/g, '')) >= before + 61,
    answeredBefore,
    { timeout: 10_000 },
  );
  await page.waitForFunction(() => document.getElementById('feed')!.textContent!.includes('Candidate 5'), undefined, { timeout: 10_000 });
  assert.match(await text('hit-l1-total'), /^\d+(\.\d)?%$/, 'an L1 hit rate');
  assert.match(await text('hit-response-total'), /^\d+(\.\d)?%$/, 'a response tier hit rate');
  assert.match(await text('l1-memory'), /KB|MB/);
  assert.match(await text('reasons'), /CandidateUpdated\s+1/);
  assert.match(await text('types'), /Movie/);

  const dir = path.join(projectRoot, 'test-output');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'cache-page.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log(`the cache page, live: ${path.relative(projectRoot, file)}`);
});
