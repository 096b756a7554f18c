//! `keyctl check`: which keys it selects.

mod selection;
