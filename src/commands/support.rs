//! `keyctl support`: the generated support tables (which flag becomes which body field), for
//! every provider or the one `-p` names: a table fitted to the terminal, or Markdown when
//! piped (the README's copy), or as `-o` asks (table, md, tsv, json).

use std::io::IsTerminal;

use crate::cli::{GlobalArgs, OutputArg};
use crate::error::{Error, Result};
use crate::output::{print_text, records, terminal_width};
use crate::provider::ProviderKind;
use crate::support_table;

pub fn run(args: &GlobalArgs) -> Result<i32> {
    let providers = match args.provider.as_deref() {
        None => crate::provider::configured(),
        Some(name) => vec![find(name)?],
    };
    // Piped, the Markdown it has always printed (`keyctl support > support.md`), unless -o asks.
    let format = args.output.unwrap_or(if std::io::stdout().is_terminal() {
        OutputArg::Table
    } else {
        OutputArg::Md
    });
    match format {
        OutputArg::Toml => return OutputArg::Toml.format().map(|_| 2),
        OutputArg::Md => print_text(&support_table::markdown_for(&providers)),
        OutputArg::Table => print_text(&support_table::table_for(&providers, terminal_width())),
        OutputArg::Tsv => support_table::tsv_for(&providers, true)
            .iter()
            .for_each(|l| print_text(l)),
        OutputArg::Json => support_table::json_for(&providers)
            .iter()
            .for_each(|v| print_text(&records::json_text(v))),
    }
    Ok(0)
}

/// The provider `-p` names (an id or alias in any case, or a `[providers.NAME]` of the config
/// file), or the usage error that lists them.
fn find(name: &str) -> Result<ProviderKind> {
    crate::provider::find(name).ok_or_else(|| {
        let ids: Vec<&str> = crate::provider::configured()
            .iter()
            .map(|p| p.info().id)
            .collect();
        Error::usage(format!(
            "invalid value '{}' for -p/--provider; `keyctl support` covers {} (or a provider \
             defined under [providers.NAME] in the config file)",
            crate::config::shown(name),
            ids.join(", ")
        ))
    })
}
