/**
 * Tags name what a cached value was built from, so a write can invalidate every value that
 * used it. One entity (`Job:9`), or every entity of a type (`Job:*`): a ranking over all
 * jobs depends on each of them, including those a change moves into its top ten.
 */
export const tags = {
  entity: (typename: string, id: number | string): string => `${typename}:${id}`,
  everyOf: (typename: string): string => `${typename}:*`,
  /**
   * What a match score reads of one candidate or job (skills, experience, salary, location):
   * matches and rankings record this rather than the entity, so a change the score does not
   * read (a title, a name) leaves them be. `Job:*` and `Candidate:*` are its every-of.
   */
  scoringOf: (typename: 'Candidate' | 'Job', id: number | string): string => `${typename}:${id}:scoring`,
  /** Geo data (the road model): every travel time, and every match score, is built from it. */
  geo: 'Geo:*',
  /** A materialized view: its entries change when it is refreshed. */
  view: (name: string): string => `View:${name}`,
};
