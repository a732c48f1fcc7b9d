/** Matching statistics (materialized view mv_matching_stats) and the match history they aggregate. */
import type { MatchAlgorithm } from '../../engine/matching.js';
import type { Db } from '../pool.js';
import type { MatchingStatsRow } from '../rows.js';

/** Hours of one sector (or all), newest first, over the last `hours` hours. */
export async function matchingStats(db: Db, sector: string | null, hours: number): Promise<MatchingStatsRow[]> {
  const { rows } = await db.query<MatchingStatsRow>(
    `SELECT hour, sector, total_matches, avg_score, p95_score FROM mv_matching_stats
      WHERE hour >= date_trunc('hour', now()) - make_interval(hours => $2)
        AND ($1::text IS NULL OR sector = $1)
      ORDER BY hour DESC, sector`,
    [sector, hours],
  );
  return rows;
}

/** Appends computed matches to the history, in one multi-row statement. */
export async function appendMatches(
  db: Db,
  matches: ReadonlyArray<{ candidateId: number; jobId: number; algorithm: MatchAlgorithm; score: number }>,
): Promise<void> {
  if (matches.length === 0) return;
  await db.query(
    `INSERT INTO matches (candidate_id, job_id, algorithm, score)
     SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::real[])`,
    [matches.map((m) => m.candidateId), matches.map((m) => m.jobId), matches.map((m) => m.algorithm), matches.map((m) => m.score)],
  );
}
