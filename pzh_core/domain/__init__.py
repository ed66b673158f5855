"""Records and their validation. No Qt, no SQL."""
