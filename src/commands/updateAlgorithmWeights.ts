/** updateAlgorithmWeights: sets the weights one algorithm scores with. One transaction. */
import { inTransaction, type Db } from '../db/pool.js';
import type { AlgorithmWeightsRow } from '../db/rows.js';
import { BadUserInputError } from '../errors.js';
import type { MatchAlgorithm, MatchWeights } from '../engine/matching.js';
import type { DomainEvent } from '../invalidation/events.js';

/** Each weight must be finite and >= 0, their sum > 0; emits AlgorithmUpdated. */
export async function updateAlgorithmWeights(
  db: Db,
  algorithm: MatchAlgorithm,
  weights: MatchWeights,
): Promise<{ result: AlgorithmWeightsRow; events: DomainEvent[] }> {
  for (const [name, value] of Object.entries(weights)) {
    if (!Number.isFinite(value) || value < 0 || value > 1000) {
      throw new BadUserInputError(`weights.${name} must be a number from 0 to 1000; got ${value}`, `weights.${name}`);
    }
  }
  if (weights.skills + weights.experience + weights.location + weights.salary <= 0) {
    throw new BadUserInputError('weights must not all be 0: scores divide by their sum', 'weights');
  }
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<AlgorithmWeightsRow>(
      `INSERT INTO algorithm_weights (algorithm, skills, experience, location, salary) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (algorithm) DO UPDATE SET skills = $2, experience = $3, location = $4, salary = $5
       RETURNING algorithm, skills, experience, location, salary`,
      [algorithm, weights.skills, weights.experience, weights.location, weights.salary],
    );
    return { result: rows[0], events: [{ type: 'AlgorithmUpdated', algorithm }] };
  });
}
