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
        use std::io::Write;
        let man = clap_mangen::Man::new(cmd.clone());
        man.render_title(out)?;
        man.render_name_section(out)?;
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        man.render_options_section(out)?;
        man.render_subcommands_section(out)?;
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = sub.get_name();
            roff_heading(out, &format!("keyctl {name}"))?;
            // The command's own sections, as subsections of its heading.
            let full: &'static str = Box::leak(format!("keyctl {name}").into_boxed_str());
            let sub_man = clap_mangen::Man::new(sub.clone().name(full));
            let mut part = Vec::new();
            sub_man.render_synopsis_section(&mut part)?;
            sub_man.render_description_section(&mut part)?;
            sub_man.render_options_section(&mut part)?;
            if sub.has_subcommands() {
                sub_man.render_subcommands_section(&mut part)?;
            }
            for line in String::from_utf8_lossy(&part).lines() {
                match line.strip_prefix(".SH ") {
                    Some(title) => writeln!(out, ".SS {title}")?,
                    None => writeln!(out, "{line}")?,
                }
            }
            if let Some(after) = sub.get_after_help() {
                roff_examples(out, &after.to_string())?;
            }
        }
        man.render_extra_section(out)?;
        man.render_version_section(out)?;
        man.render_authors_section(out)
    };
    render(&mut out).map_err(|e| Error::Internal(format!("cannot render the manual page: {e}")))?;
    write(roff_ascii(&String::from_utf8_lossy(&out)).as_bytes())
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

/// A section heading, upper-case as man pages write them.
fn roff_heading(out: &mut Vec<u8>, title: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(out, ".SH \"{}\"", title.to_uppercase())
}

/// A command's examples, verbatim (no fill), with roff's special characters escaped.
fn roff_examples(out: &mut Vec<u8>, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(out, ".SS EXAMPLES")?;
    writeln!(out, ".PP")?;
    writeln!(out, ".nf")?;
    let body = text
        .lines()
        .skip_while(|l| l.trim_start().starts_with("Example"));
    for line in body {
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
