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
  /**
   * What a user's ratings make: their profile and their recommendations record this as well as
   * (or rather than) the user, so a rating leaves the user's own row (name, power-user flag) be.
   */
  ratingsOf: (id: number | string): string => `User:${id}:ratings`,
  /**
   * Every movie's genres: a user's profile (their favourite genres) is built from the genres of
   * the movies they rated, and genre recommendations from the profile, so both record this; a
   * movie's update, which may have changed its genres, invalidates it.
   */
  movieGenres: 'Movie:*:genres',
  /** Geo data (the road model): every travel time, and every match score, is built from it. */
  geo: 'Geo:*',
  /** A materialized view: its entries change when it is refreshed. */
  view: (name: string): string => `View:${name}`,
};
