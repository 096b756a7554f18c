//! `keyctl support`: the generated support table (which flag becomes which body field).

use crate::error::Result;

pub fn run() -> Result<i32> {
    crate::output::print_text(&crate::support::markdown());
    Ok(0)
}
