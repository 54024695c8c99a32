"""The portfolio digest: aggregates, content, the funnel picture, delivery and the picture's web route."""
