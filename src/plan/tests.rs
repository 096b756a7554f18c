//! Unit tests of the plan: drift found per field, update vs replace, duplicates.
