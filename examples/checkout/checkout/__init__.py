"""A small checkout service: the application the example policy promotes."""
