/**
 * Ranks every job for a candidate, or every candidate for a job, in one pass over columns
 * held in typed arrays: skills as bitsets, coordinates and numbers as flat arrays. No
 * allocation per pair, no query per pair; scores equal `scoreMatch`'s for the same pair.
 */
import { haversineKm, STANDARD_ROADS, travelMinutesForKm, type RoadModel } from './geo.js';
import {
  combine,
  experienceFit,
  locationFit,
  salaryFit,
  skillsFit,
  type CandidateProfile,
  type JobProfile,
  type MatchScore,
  type MatchWeights,
} from './matching.js';

export interface RankedMatch extends MatchScore {
  /** The id of the ranked side (a job for topJobsFor, a candidate for topCandidatesFor). */
  id: number;
}

/** Skill names → bit positions, shared by both tables so bitsets can be ANDed. */
class SkillVocabulary {
  private readonly bits = new Map<string, number>();
  get size(): number {
    return this.bits.size;
  }
  bitOf(skill: string): number {
    let bit = this.bits.get(skill);
    if (bit === undefined) {
      bit = this.bits.size;
      this.bits.set(skill, bit);
    }
    return bit;
  }
  peek(skill: string): number | undefined {
    return this.bits.get(skill);
  }
}

/** One side's rows as columns. Slots are dense; `slotOf` maps an id to its slot. */
class ProfileColumns {
  ids = new Int32Array(0);
  lat = new Float64Array(0);
  lng = new Float64Array(0);
  years = new Int32Array(0);
  salaryA = new Int32Array(0); // candidates: expectation; jobs: salary_min
  salaryB = new Int32Array(0); // jobs: salary_max
  remote = new Uint8Array(0);
  skillCount = new Int32Array(0);
  skillBits = new Uint32Array(0);
  words = 4;
  length = 0;
  private readonly slotOf = new Map<number, number>();

  slotFor(id: number): number {
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      slot = this.length++;
      if (slot >= this.ids.length) this.grow(Math.max(64, this.ids.length * 2), this.words);
      this.slotOf.set(id, slot);
      this.ids[slot] = id;
    }
    return slot;
  }

  setSkills(slot: number, bits: number[]): void {
    const needed = Math.ceil((Math.max(-1, ...bits) + 1) / 32);
    if (needed > this.words) this.grow(this.ids.length, Math.max(needed, this.words * 2));
    const base = slot * this.words;
    this.skillBits.fill(0, base, base + this.words);
    for (const bit of bits) this.skillBits[base + (bit >>> 5)] |= 1 << (bit & 31);
    this.skillCount[slot] = bits.length;
  }

  private grow(capacity: number, words: number): void {
    const copy = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, Math.min(old.length, capacity)));
      return next;
    };
    this.ids = copy(this.ids, (n) => new Int32Array(n));
    this.lat = copy(this.lat, (n) => new Float64Array(n));
    this.lng = copy(this.lng, (n) => new Float64Array(n));
    this.years = copy(this.years, (n) => new Int32Array(n));
    this.salaryA = copy(this.salaryA, (n) => new Int32Array(n));
    this.salaryB = copy(this.salaryB, (n) => new Int32Array(n));
    this.remote = copy(this.remote, (n) => new Uint8Array(n));
    this.skillCount = copy(this.skillCount, (n) => new Int32Array(n));
    const bits = new Uint32Array(capacity * words);
    for (let slot = 0; slot < this.length; slot++) {
      bits.set(this.skillBits.subarray(slot * this.words, slot * this.words + this.words), slot * words);
    }
    this.skillBits = bits;
    this.words = words;
  }
}

/** Every job and candidate, held for ranking. Upserts replace a row in place. */
export class MatchingIndex {
  private readonly vocabulary = new SkillVocabulary();
  private readonly jobs = new ProfileColumns();
  private readonly candidates = new ProfileColumns();

  get jobCount(): number {
    return this.jobs.length;
  }
  get candidateCount(): number {
    return this.candidates.length;
  }

  upsertJob(id: number, job: JobProfile): void {
    const slot = this.jobs.slotFor(id);
    this.jobs.lat[slot] = job.lat;
    this.jobs.lng[slot] = job.lng;
    this.jobs.years[slot] = job.minYearsExperience;
    this.jobs.salaryA[slot] = job.salaryMin;
    this.jobs.salaryB[slot] = job.salaryMax;
    this.jobs.remote[slot] = job.remote ? 1 : 0;
    this.jobs.setSkills(slot, uniqueBits(job.requiredSkills, (s) => this.vocabulary.bitOf(s)));
  }

  upsertCandidate(id: number, candidate: CandidateProfile): void {
    const slot = this.candidates.slotFor(id);
    this.candidates.lat[slot] = candidate.lat;
    this.candidates.lng[slot] = candidate.lng;
    this.candidates.years[slot] = candidate.yearsExperience;
    this.candidates.salaryA[slot] = candidate.salaryExpectation;
    this.candidates.setSkills(slot, uniqueBits(candidate.skills, (s) => this.vocabulary.bitOf(s)));
  }

  /** The `limit` best jobs for `candidate`, best first (ties: lower id first); travel times under `roads`. */
  topJobsFor(candidate: CandidateProfile, weights: MatchWeights, limit: number, roads: RoadModel = STANDARD_ROADS): RankedMatch[] {
    const t = this.jobs;
    const mine = this.bitsetOf(candidate.skills, t.words);
    const top = new TopK(limit);
    for (let slot = 0; slot < t.length; slot++) {
      const shared = sharedBits(mine, t.skillBits, slot * t.words, t.words);
      const km = haversineKm(candidate, { lat: t.lat[slot], lng: t.lng[slot] });
      const travelMinutes = Math.round(travelMinutesForKm(km, roads) * 10) / 10;
      const breakdown = {
        skills: skillsFit(t.skillCount[slot], shared),
        experience: experienceFit(candidate.yearsExperience, t.years[slot]),
        location: locationFit(travelMinutes, t.remote[slot] === 1),
        salary: salaryFit(candidate.salaryExpectation, t.salaryA[slot], t.salaryB[slot]),
      };
      top.offer(t.ids[slot], combine(breakdown, weights), travelMinutes, breakdown);
    }
    return top.sorted();
  }

  /** The `limit` best candidates for `job`, best first (ties: lower id first); travel times under `roads`. */
  topCandidatesFor(job: JobProfile, weights: MatchWeights, limit: number, roads: RoadModel = STANDARD_ROADS): RankedMatch[] {
    const t = this.candidates;
    const required = this.bitsetOf(job.requiredSkills, t.words);
    const requiredCount = new Set(job.requiredSkills).size;
    const top = new TopK(limit);
    for (let slot = 0; slot < t.length; slot++) {
      const shared = sharedBits(required, t.skillBits, slot * t.words, t.words);
      const km = haversineKm(job, { lat: t.lat[slot], lng: t.lng[slot] });
      const travelMinutes = Math.round(travelMinutesForKm(km, roads) * 10) / 10;
      const breakdown = {
        skills: skillsFit(requiredCount, shared),
        experience: experienceFit(t.years[slot], job.minYearsExperience),
        location: locationFit(travelMinutes, job.remote),
        salary: salaryFit(t.salaryA[slot], job.salaryMin, job.salaryMax),
      };
      top.offer(t.ids[slot], combine(breakdown, weights), travelMinutes, breakdown);
    }
    return top.sorted();
  }

  /** A query-side bitset; skills no row has get no bit, as they can never be shared. */
  private bitsetOf(skills: readonly string[], words: number): Uint32Array {
    const bits = new Uint32Array(words);
    for (const skill of skills) {
      const bit = this.vocabulary.peek(skill);
      if (bit !== undefined && bit >>> 5 < words) bits[bit >>> 5] |= 1 << (bit & 31);
    }
    return bits;
  }
}

function uniqueBits(skills: readonly string[], bitOf: (skill: string) => number): number[] {
  return [...new Set(skills)].map(bitOf);
}

function sharedBits(query: Uint32Array, table: Uint32Array, base: number, words: number): number {
  let count = 0;
  for (let w = 0; w < words && w < query.length; w++) count += popcount(query[w] & table[base + w]);
  return count;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Keeps the k best offers; a sorted array, as k is at most a few hundred. */
class TopK {
  private readonly items: RankedMatch[] = [];
  constructor(private readonly k: number) {}

  offer(id: number, score: number, travelMinutes: number, breakdown: RankedMatch['breakdown']): void {
    const items = this.items;
    if (items.length === this.k && !better(score, id, items[items.length - 1])) return;
    let i = items.length;
    while (i > 0 && better(score, id, items[i - 1])) i--;
    items.splice(i, 0, { id, score, travelMinutes, breakdown });
    if (items.length > this.k) items.pop();
  }

  sorted(): RankedMatch[] {
    return this.items;
  }
}

function better(score: number, id: number, than: RankedMatch): boolean {
  return score > than.score || (score === than.score && id < than.id);
}
