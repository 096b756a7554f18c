//! OpenRouter end to end: update, get, list and dry run against a stand-in on loopback.
