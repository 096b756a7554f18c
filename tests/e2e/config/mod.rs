//! The config file, profiles, credential sources and `keyctl providers`.

mod credential_command;
mod credential_source;
mod files;
mod profile_choice;
mod profiles;
mod providers_command;
mod refused_values;
