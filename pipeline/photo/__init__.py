"""Photo helpers for the photo checks: quality measures, watermark and plate reading, hashing,
and editing forensics. Pure functions over decoded pixels and bytes; no I/O, no services."""
