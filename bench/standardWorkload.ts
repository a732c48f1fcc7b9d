/**
 * The standard workload of `npm run bench` (issue 6), over a database seeded at `scale`, with
 * Zipf(s = 1) key choice over the seeded ids: 50% Movie, 10% Movies (20 ids), 15%
 * Recommendations, 5% PopularMovies, 8% TopMatches or Match, 5% UserProfile, 5% Candidate or
 * Job, 2% writes (RateMovie, UpdateCandidate). The operations are the contract's
 * (contract/operations.graphql), so a persisted GET sends the hash of the trusted documents.
 */
import { TrustedDocuments } from '../src/server/persisted/manifest.js';
import { zipfSampler } from './workload.js';

export interface Operation {
  name: string;
  query: string;
  hash: string;
  variables: Record<string, unknown>;
  mutation: boolean;
  /** For UpdateCandidate: the candidate and the title written, which every later read must show. */
  wrote?: { candidateId: string; title: string };
}

let operations: Map<string, { query: string; hash: string }> | undefined;

/** The contract's operations by name: text and sha256 (read once). */
export function contractOperations(): Map<string, { query: string; hash: string }> {
  return (operations ??= TrustedDocuments.load().byOperationName());
}

/**
 * Which id each Zipf rank asks for, per kind: by default rank r is id r. A bench may order the
 * ids by how popular the data says they are (bench/warming.ts), so the hottest keys are the
 * most rated movies, the most active users, the most matched candidates and jobs.
 */
export interface RankedIds {
  movies?: readonly string[];
  users?: readonly string[];
  candidates?: readonly string[];
  jobs?: readonly string[];
}

export function standardWorkload(scale: number, ranked: RankedIds = {}): () => Operation {
  const ops = contractOperations();
  const ranks = (n: number, ids?: readonly string[]) => {
    const rank = zipfSampler(ids?.length ?? n);
    return ids ? () => ids[rank() - 1] : () => String(rank());
  };
  const movieId = ranks(Math.round(10000 * scale), ranked.movies);
  const userId = ranks(Math.round(5000 * scale), ranked.users);
  const candidateId = ranks(Math.round(5000 * scale), ranked.candidates);
  const jobId = ranks(Math.round(1000 * scale), ranked.jobs);
  let writes = 0;
  const op = (name: string, variables: Record<string, unknown>, extra: Partial<Operation> = {}): Operation => {
    const { query, hash } = ops.get(name)!;
    return { name, query, hash, variables, mutation: query.startsWith('mutation') || query.includes(' mutation '), ...extra };
  };
  const id = (sample: () => string) => sample();
  const mix: Array<[number, () => Operation]> = [
    [50, () => op('Movie', { id: id(movieId) })],
    [10, () => op('Movies', { ids: Array.from({ length: 20 }, () => id(movieId)) })],
    [15, () => op('Recommendations', { userId: id(userId), n: 10 })],
    [5, () => op('PopularMovies', { limit: 20 })],
    [4, () => op('TopMatches', { candidateId: id(candidateId), limit: 10 })],
    [4, () => op('Match', { candidateId: id(candidateId), jobId: id(jobId) })],
    [5, () => op('UserProfile', { id: id(userId) })],
    [2.5, () => op('Candidate', { id: id(candidateId) })],
    [2.5, () => op('Job', { id: id(jobId) })],
    [1, () => op('RateMovie', { userId: id(userId), movieId: id(movieId), rating: 0.5 * (1 + Math.floor(Math.random() * 10)) })],
    [1, () => {
      const candidate = id(candidateId);
      const title = `Benchmarked engineer ${++writes}-${process.pid}`;
      return op('UpdateCandidate', { id: candidate, input: { title } }, { wrote: { candidateId: candidate, title } });
    }],
  ];
  const total = mix.reduce((sum, [w]) => sum + w, 0);
  return () => {
    let x = Math.random() * total;
    for (const [w, make] of mix) if ((x -= w) < 0) return make();
    return mix[0][1]();
  };
}

/**
 * The standard mix without its writes: the steady state a cache reaches when nothing changes,
 * where the hit rate and SQL per request show what the tiers keep (with 2% writes, each write
 * costs at least its own statement, and the answers it invalidated run again).
 */
export function standardReads(scale: number): () => Operation {
  const mix = standardWorkload(scale);
  return () => {
    for (;;) {
      const op = mix();
      if (!op.mutation) return op;
    }
  };
}

/**
 * Hot PUBLIC reads: Movie, Candidate and PopularMovies over the 100 most asked-for ids, once
 * warm. What a CDN-fronted deployment sees most of, and where the response tier should run
 * close to a server that sends fixed bytes.
 */
export function hotReads(): () => Operation {
  const ops = contractOperations();
  const id = zipfSampler(100);
  const op = (name: string, variables: Record<string, unknown>): Operation => ({ name, ...ops.get(name)!, variables, mutation: false });
  return () => {
    const x = Math.random();
    if (x < 0.7) return op('Movie', { id: String(id()) });
    if (x < 0.9) return op('Candidate', { id: String(id()) });
    return op('PopularMovies', { limit: 20 });
  };
}

/**
 * Every key the mix reads by one id, once each, shuffled: what a warm-up asks for, so that
 * the measured window meets the Zipf tail warm (Movies and Match draw combinations, and
 * stay partly cold).
 */
export function everyKey(scale: number): () => Operation | undefined {
  const ops = contractOperations();
  const keys: Operation[] = [];
  const add = (name: string, count: number, variables: (id: string) => Record<string, unknown>) => {
    const { query, hash } = ops.get(name)!;
    for (let i = 1; i <= Math.round(count * scale); i++) keys.push({ name, query, hash, variables: variables(String(i)), mutation: false });
  };
  add('Movie', 10000, (id) => ({ id }));
  add('Recommendations', 5000, (userId) => ({ userId, n: 10 }));
  add('UserProfile', 5000, (id) => ({ id }));
  add('TopMatches', 5000, (candidateId) => ({ candidateId, limit: 10 }));
  add('Candidate', 5000, (id) => ({ id }));
  add('Job', 1000, (id) => ({ id }));
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  let next = 0;
  return () => keys[next++];
}

/** The read that shows whether a write is visible: the candidate it updated. */
export function candidateRead(candidateId: string): Operation {
  const { query, hash } = contractOperations().get('Candidate')!;
  return { name: 'Candidate', query, hash, variables: { id: candidateId }, mutation: false };
}
