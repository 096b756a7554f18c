//! `keyctl create`: the create request per provider, unique names, Venice's read-back, the
//! secret handed to a command.

mod requests;
mod secret_command;
mod secret_command_unread;
mod secret_shown;
mod unique_names;
mod venice_read_back;
mod venice_read_back_attack;
