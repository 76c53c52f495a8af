"""Optional integrations with the job runners vendors already operate (each its own extra)."""
