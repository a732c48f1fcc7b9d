/**
 * `npm run seed -- [--scale N] [--reset]`: migrates and seeds the database of DATABASE_URL
 * (or the embedded one when unset).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../open.js';
import { migrate } from '../migrate.js';
import { isEmpty, seedDatabase } from './seedDatabase.js';

const { values } = parseArgs({
  options: { scale: { type: 'string' }, reset: { type: 'boolean', default: false } },
});
const config = loadConfig();
const scale = values.scale === undefined ? config.seed.scale : Number(values.scale);
if (!(scale > 0)) {
  console.error(`--scale must be a number above 0 (1 = 5,000 candidates, 10,000 movies, 300,000 ratings); got "${values.scale}"`);
  process.exit(2);
}
const database = await openDatabase(config);
try {
  await migrate(database.db);
  if (!values.reset && !(await isEmpty(database.db))) {
    console.error('The database already holds seeded data; run `npm run seed -- --reset` to replace it.');
    process.exitCode = 1;
  } else {
    await seedDatabase(database.db, { scale, reset: values.reset });
  }
} finally {
  await database.close();
}
