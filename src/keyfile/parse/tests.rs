//! Unit tests of the key file parse: fields, defaults, refusals with their line.
