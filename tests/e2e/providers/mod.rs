//! Each provider's own requests, answers and errors.

mod gates;
mod ionet;
mod openrouter;
mod openrouter_workspace;
mod venice;
mod venice_currencies;
