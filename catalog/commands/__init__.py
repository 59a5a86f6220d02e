"""``catalog`` subcommands, one module per area."""
