//! `keyctl auth status`: the credential check per API family, its statuses and exit codes.

mod status;
