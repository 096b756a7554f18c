//! `keyctl completions SHELL` and `keyctl man`: the completion script (clap_complete) and the
//! manual page (clap_mangen), generated from the command line's own definition.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};

/// Writes the completion script for `shell` to standard output.
pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "keyctl", &mut out);
    write(&out)
}

/// Writes the manual page (roff) to standard output: the top-level page, then a section per
/// command, so one `keyctl-ai.1` file documents them all.
pub fn man() -> Result<i32> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let render = |out: &mut Vec<u8>| -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        man.render_title(out)?;
        man.render_name_section(out)?;
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        man.render_options_section(out)?;
        commands_list(out, &cmd)?;
        // Every command (and `auth status`) gets its own section.
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("keyctl {}", sub.get_name());
            if sub.has_subcommands() {
                for inner in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
                    command_section(out, &format!("{name} {}", inner.get_name()), inner)?;
                }
            } else {
                command_section(out, &name, sub)?;
            }
        }
        if let Some(after) = cmd.get_after_help() {
            roff_heading(out, "examples and credentials")?;
            roff_verbatim(out, &after.to_string())?;
        }
        std::io::Write::write_all(out, FIXED_SECTIONS.as_bytes())?;
        man.render_version_section(out)
    };
    render(&mut out).map_err(|e| Error::Internal(format!("cannot render the manual page: {e}")))?;
    write(roff_ascii(&String::from_utf8_lossy(&out)).as_bytes())
}

/// ENVIRONMENT, FILES and EXIT STATUS, which clap does not know.
const FIXED_SECTIONS: &str = r#".SH ENVIRONMENT
.TP
\fBKEYCTL_CONFIG\fR
The config file to read (it must exist); default \fI$XDG_CONFIG_HOME/keyctl/config.toml\fR.
.TP
\fBKEYCTL_PROFILE\fR, \fBKEYCTL_PROVIDER\fR, \fBKEYCTL_OUTPUT\fR
The profile, provider and output format when \fB\-P\fR, \fB\-p\fR, \fB\-o\fR are not given.
.TP
\fBKEYCTL_\fR\fIID\fR\fB_BASE_URL\fR
A provider's base URL (e.g. \fBKEYCTL_VENICE_BASE_URL\fR).
.TP
\fBKEYCTL_AUDIT\fR
\fBoff\fR (0, false, no) turns the audit trail off; \fBon\fR turns it on whatever the config file says.
.TP
\fBIONET_ADMIN_KEY\fR, \fBMODELGATES_MANAGEMENT_KEY\fR, \fBNOVAPAI_MANAGEMENT_KEY\fR, \fBOPENROUTER_MANAGEMENT_KEY\fR, \fBVENICE_ADMIN_KEY\fR
The providers' admin credentials, when no profile names another source.
.TP
\fBXDG_CONFIG_HOME\fR, \fBXDG_STATE_HOME\fR
Where the config file and the audit trail live (default \fI~/.config\fR, \fI~/.local/state\fR).
.TP
\fBNO_COLOR\fR, \fBCLICOLOR_FORCE\fR, \fBCOLUMNS\fR
Colour and table width.
.SH FILES
.TP
\fI~/.config/keyctl/config.toml\fR
Profiles (\fB[profiles.\fR\fINAME\fR\fB]\fR: provider, base_url, credential_env, credential_file or credential_command, output, concurrency, retries, timeout), custom providers (\fB[providers.\fR\fINAME\fR\fB]\fR: api, base_url, credential source, name), \fBdefault_profile\fR and \fBaudit\fR.
.TP
\fI~/.local/state/keyctl/audit.jsonl\fR
The audit trail: one JSON line per key written (mode 0600); read it with \fBkeyctl log\fR.
.SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
Internal error, or a new key's secret could not be delivered.
.TP
\fB2\fR
Usage or invalid input (nothing sent), including config file errors.
.TP
\fB3\fR
Credential missing, unreadable or rejected.
.TP
\fB4\fR
Key not found.
.TP
\fB5\fR
The provider rejected the request as invalid.
.TP
\fB6\fR
Rate limited.
.TP
\fB7\fR
Provider failure.
.TP
\fB8\fR
Network failure or timeout.
.TP
\fB9\fR
\fBkeyctl check\fR: at least one key matched.
.TP
\fB128+\fR\fIn\fR
Stopped by signal \fIn\fR after reporting.
.SH "SEE ALSO"
The README of the keyctl repository.
"#;

/// COMMANDS: each command's name and one line, its section follows (clap's own list would
/// point to keyctl-update(1) pages that do not exist).
fn commands_list(out: &mut Vec<u8>, cmd: &clap::Command) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut entries = vec![(sub.get_name().to_string(), sub)];
        if sub.has_subcommands() {
            entries = sub
                .get_subcommands()
                .map(|i| (format!("{} {}", sub.get_name(), i.get_name()), i))
                .collect();
        }
        for (name, c) in entries {
            let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
            writeln!(
                out,
                ".TP\n\\fBkeyctl {name}\\fR\n{}",
                about.replace('-', "\\-")
            )?;
        }
    }
    Ok(())
}

/// One command's section: its synopsis, description and options as subsections, then its
/// examples verbatim.
fn command_section(out: &mut Vec<u8>, name: &str, sub: &clap::Command) -> std::io::Result<()> {
    use std::io::Write;
    roff_heading(out, name)?;
    let full: &'static str = Box::leak(name.to_string().into_boxed_str());
    let sub_man = clap_mangen::Man::new(sub.clone().name(full));
    let mut part = Vec::new();
    sub_man.render_synopsis_section(&mut part)?;
    sub_man.render_description_section(&mut part)?;
    sub_man.render_options_section(&mut part)?;
    for line in String::from_utf8_lossy(&part).lines() {
        match line.strip_prefix(".SH ") {
            Some(title) => writeln!(out, ".SS {title}")?,
            None => writeln!(out, "{line}")?,
        }
    }
    if let Some(after) = sub.get_after_help() {
        writeln!(out, ".SS EXAMPLES")?;
        let text = after.to_string();
        let body: Vec<&str> = text
            .lines()
            .skip_while(|l| l.trim_start().starts_with("Example"))
            .collect();
        roff_verbatim(out, &body.join("\n"))?;
    }
    Ok(())
}

/// A section heading, upper-case as man pages write them.
fn roff_heading(out: &mut Vec<u8>, title: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(out, ".SH \"{}\"", title.to_uppercase())
}

/// Text as typed (no fill, no hyphenation), roff's special characters escaped.
fn roff_verbatim(out: &mut Vec<u8>, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(out, ".PP")?;
    writeln!(out, ".nf")?;
    for line in text.lines() {
        let esc = line.replace('\\', "\\e").replace('-', "\\-");
        // A line starting with . or ' would be read as a request.
        let esc = if esc.starts_with(['.', '\'']) {
            format!("\\&{esc}")
        } else {
            esc
        };
        writeln!(out, "{esc}")?;
    }
    writeln!(out, ".fi")
}

/// The page in ASCII: troff reads bytes, so a character beyond ASCII in a help text (`→`)
/// becomes its roff escape (`\(->`, `\[u2192]`) instead of a warning.
fn roff_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '→' => out.push_str("\\(->"),
            '←' => out.push_str("\\(<-"),
            '—' => out.push_str("\\(em"),
            '–' => out.push_str("\\(en"),
            '…' => out.push_str("..."),
            '≥' => out.push_str("\\(>="),
            '≤' => out.push_str("\\(<="),
            c => out.push_str(&format!("\\[u{:04X}]", u32::from(c))),
        }
    }
    out
}

fn write(bytes: &[u8]) -> Result<i32> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(Error::Internal(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}
