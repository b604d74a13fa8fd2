"""Standing connections: an adapter over a source, pulled on a schedule by every hub process."""
