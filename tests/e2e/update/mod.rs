//! `keyctl update`: conditions (`--if-*`), the input it reads (key files, stdin), and its bounds.

mod amount_range;
mod bounds;
mod condition_mistakes;
mod conditions;
mod cron_conditions;
mod input;
mod key_file;
mod unchanged_keys;
