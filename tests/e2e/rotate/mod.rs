//! `keyctl rotate`: the successor's name and settings, and the delivery of its secret.

mod names;
mod requests;
mod secret_delivery;
mod successor_settings;
