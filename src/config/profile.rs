//! One `[profiles.NAME]` checked: its provider (built in or the file's own), base URL,
//! workspace, output, numbers and duration, and its credential source.

use toml::Spanned;

use super::doc::Doc;
use super::parse::{check_base_url, check_name};
use super::raw::{RawProfile, sources};
use super::source::source;
use super::{CustomProvider, Profile, ProviderRef, shown};
use crate::error::Result;
use crate::output::Format;

pub(super) fn profile(
    doc: &Doc,
    name: &Spanned<String>,
    body: Spanned<RawProfile>,
    custom: &[CustomProvider],
) -> Result<Profile> {
    let pname = check_name(doc, "profiles", name)?;
    let table = format!("profiles.{pname}");
    let at = body.span().start;
    let body = body.into_inner();
    let Some(prov) = body.provider else {
        return doc.err(
            at..at,
            &table,
            "missing provider: e.g. provider = \"venice\"",
        );
    };
    let wanted = prov.get_ref().trim();
    let provider = if let Some(p) = crate::provider::all().iter().copied().find(|p| {
        let i = p.info();
        i.id.eq_ignore_ascii_case(wanted)
            || i.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
    }) {
        ProviderRef::Builtin(p)
    } else if let Some(i) = custom
        .iter()
        .position(|c| c.id.eq_ignore_ascii_case(wanted))
    {
        ProviderRef::Custom(i)
    } else {
        let mut ids: Vec<&str> = crate::provider::all().iter().map(|p| p.info().id).collect();
        ids.extend(custom.iter().map(|c| c.id.as_str()));
        return doc.err(
            prov.span(),
            &format!("{table}.provider"),
            format!(
                "no provider '{}'; use one of {} (or define it under [providers.NAME])",
                shown(wanted),
                ids.join(", ")
            ),
        );
    };
    if let Some(b) = &body.base_url {
        check_base_url(doc, &format!("{table}.base_url"), b)?;
    }
    let workspace = match body.workspace {
        None => None,
        Some(w) => {
            let key = format!("{table}.workspace");
            // A custom provider has its API family's workspaces.
            let (name, has) = match provider {
                ProviderRef::Builtin(p) => (p.info().name, p.info().workspaces),
                ProviderRef::Custom(i) => custom.get(i).map_or(("this provider", false), |c| {
                    (c.id.as_str(), c.family.info().workspaces)
                }),
            };
            if !has {
                return doc.err(
                    w.span(),
                    &key,
                    format!(
                        "{name}'s key API has no workspaces (only OpenRouter's has): remove this \
                         line, or use the profile for an OpenRouter account"
                    ),
                );
            }
            match crate::provider::Workspace::parse(w.get_ref(), "workspace") {
                Ok(ws) => Some(ws),
                Err(m) => return doc.err(w.span(), &key, m.trim_start_matches("workspace: ")),
            }
        }
    };
    let output = match body.output {
        None => None,
        Some(o) => Some(
            <Format as clap::ValueEnum>::from_str(o.get_ref().trim(), true).or_else(|_| {
                doc.err(
                    o.span(),
                    &format!("{table}.output"),
                    "use \"table\", \"tsv\" or \"json\"",
                )
            })?,
        ),
    };
    let concurrency = match body.concurrency {
        None => None,
        Some(c) => Some(
            u16::try_from(*c.get_ref())
                .ok()
                .filter(|n| (1..=256).contains(n))
                .map_or_else(
                    || {
                        doc.err(
                            c.span(),
                            &format!("{table}.concurrency"),
                            "a whole number from 1 to 256",
                        )
                    },
                    Ok,
                )?,
        ),
    };
    let retries = match body.retries {
        None => None,
        Some(r) => Some(
            u32::try_from(*r.get_ref())
                .ok()
                .filter(|n| *n <= 100)
                .map_or_else(
                    || {
                        doc.err(
                            r.span(),
                            &format!("{table}.retries"),
                            "a whole number from 0 to 100",
                        )
                    },
                    Ok,
                )?,
        ),
    };
    let timeout = match body.timeout {
        None => None,
        Some(t) => Some(crate::duration::parse(t.get_ref()).or_else(|e| {
            doc.err(
                t.span(),
                &format!("{table}.timeout"),
                format!("not a duration more than zero: {e}"),
            )
        })?),
    };
    Ok(Profile {
        credential: source(doc, &table, at, sources!(body))?,
        name: pname,
        provider,
        base_url: body.base_url.map(Spanned::into_inner),
        workspace,
        output,
        concurrency,
        retries,
        timeout,
    })
}
