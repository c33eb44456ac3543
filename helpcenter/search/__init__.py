"""Search over the knowledge base: analyzers, index life, queries."""
