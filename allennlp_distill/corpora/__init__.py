"""Real data read out of packages or the project's data folders into ready-to-train files."""
