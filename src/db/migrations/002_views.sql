-- L3: materialized views. Each has the unique index that
-- REFRESH MATERIALIZED VIEW CONCURRENTLY requires.

-- Seed 000: matching per hour and sector over 30 days.
CREATE MATERIALIZED VIEW mv_matching_stats AS
SELECT date_trunc('hour', m.computed_at) AS hour,
       j.sector,
       count(*)::integer AS total_matches,
       avg(m.score)::double precision AS avg_score,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY m.score)::double precision AS p95_score
FROM matches m
JOIN jobs j ON j.id = m.job_id
WHERE m.computed_at >= now() - interval '30 days'
GROUP BY 1, 2;
CREATE UNIQUE INDEX mv_matching_stats_key ON mv_matching_stats (hour, sector);

-- Seed 004: average rating and rating count per movie.
CREATE MATERIALIZED VIEW movie_stats AS
SELECT movie_id,
       avg(rating)::double precision AS avg_rating,
       count(*)::integer AS rating_count
FROM ratings
GROUP BY movie_id;
CREATE UNIQUE INDEX movie_stats_key ON movie_stats (movie_id);
CREATE INDEX movie_stats_popularity ON movie_stats (rating_count DESC, movie_id);

-- Seed 004: the best-rated movies per genre among those with enough ratings.
CREATE MATERIALIZED VIEW top_movies_by_genre AS
SELECT g.genre,
       s.movie_id,
       s.avg_rating,
       s.rating_count,
       rank() OVER (PARTITION BY g.genre ORDER BY s.avg_rating DESC, s.rating_count DESC, s.movie_id)::integer AS rank
FROM movie_stats s
JOIN movies m ON m.id = s.movie_id
CROSS JOIN LATERAL unnest(m.genres) AS g (genre)
WHERE s.rating_count >= 20;
CREATE UNIQUE INDEX top_movies_by_genre_key ON top_movies_by_genre (genre, movie_id);
CREATE INDEX top_movies_by_genre_rank ON top_movies_by_genre (genre, rank);
