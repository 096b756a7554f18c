//! `keyctl check`: its criteria, which keys it selects, its reports and warnings.

mod criteria;
mod failed_listing;
mod reports;
mod selection;
