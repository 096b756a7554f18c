//! The config file, profiles, credential sources and `keyctl providers`.

mod files;
mod profiles;
mod providers_command;
