//! Recoverable creates (issue 24): the create journal against a stand-in that loses create
//! answers.

mod lost_answers;
pub mod stand_in;
