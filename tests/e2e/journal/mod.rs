//! Recoverable creates (issue 24): the create journal against a stand-in that loses create
//! answers.

mod exact_names;
mod killed_runs;
mod lost_answers;
mod runs_in_flight;
pub mod stand_in;
