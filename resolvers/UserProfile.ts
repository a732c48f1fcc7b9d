import type { UserProfileResolvers } from '../src/generated/resolverTypes.js';

export const UserProfile: UserProfileResolvers = {
  favoriteGenres: (profile) => profile.favorite_genres,
  ratingCount: (profile) => profile.rating_count,
  avgRating: (profile) => profile.avg_rating,
};
