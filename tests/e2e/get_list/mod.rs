//! `keyctl get` and `keyctl list`: reads, pagination, sorting and matching, ids in tables, the blocked state.

mod blocked_state;
mod figures_and_columns;
mod reads;
mod sort_match;
mod table_ids;
