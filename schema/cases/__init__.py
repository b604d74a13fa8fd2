"""Cases: the type, its queries and its mutations."""
