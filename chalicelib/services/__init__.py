"""Use cases, one module per area. Each takes its adapters (database, publisher, …) as arguments."""
