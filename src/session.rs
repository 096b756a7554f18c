//! A session with one provider: the client, the credential and the base URL together, with the
//! reads (`get`, every page of `list`) and the checked send that commands share.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::credential::Secret;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::key::Key;
use crate::provider::{BaseUrl, ProviderKind};
use crate::request::{MAX_BODY, Request};

/// The most bytes of key listings one run reads (over every page): an endless or huge listing
/// fails (exit 7) instead of growing memory without bound.
pub const MAX_LIST_BYTES: usize = 64 * 1024 * 1024;

/// `-v` was given (set once by the settings step): notes that a terminal would show are shown
/// on a pipe too.
static VERBOSE: AtomicBool = AtomicBool::new(false);
/// The default-workspace note was shown (once a run, however many listings).
static WORKSPACE_NOTED: AtomicBool = AtomicBool::new(false);

/// Records `-v` for the notes below.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// After a listing on OpenRouter without a workspace: once a run, on a terminal or with `-v`
/// (never with `-q`), that only the default workspace's keys were listed.
fn note_default_workspace(p: ProviderKind) {
    use std::io::IsTerminal;
    let i = p.info();
    // A custom provider of the family takes a workspace, but is not known to have several.
    if !i.workspaces || i.custom {
        return;
    }
    if !(VERBOSE.load(Ordering::Relaxed) || std::io::stderr().is_terminal()) {
        return;
    }
    if WORKSPACE_NOTED.swap(true, Ordering::Relaxed) {
        return;
    }
    crate::output::diag(&format!(
        "note: {} lists only the default workspace's keys unless a workspace is given; keys in \
         its other workspaces were not read: pass --workspace ID (or set workspace in the \
         profile) to read another",
        i.name
    ));
}

pub struct Session {
    pub p: ProviderKind,
    pub base: BaseUrl,
    origin: String,
    http: Arc<Http>,
    secret: Secret,
    /// Every key, disabled ones too, read at most once per run: for names, id prefixes and
    /// `--match`, and where the provider's single-key read needs it
    /// (`Adapter::get_completes_from_list`: every `get` of a run needs the same list).
    list_once: tokio::sync::OnceCell<Vec<Key>>,
    /// The listing's keys by id (as ids compare), built on the first read from it; `None` for
    /// an id the listing shows more than once with different contents.
    by_id: std::sync::OnceLock<std::collections::HashMap<String, Option<usize>>>,
    /// Where the credential came from, when not the provider's own variable (a profile's
    /// source): named in a refusal's hint instead of the variable.
    source: Option<String>,
}

impl Session {
    pub fn new(p: ProviderKind, base: BaseUrl, http: Arc<Http>, secret: Secret) -> Session {
        let origin = base.origin();
        Session {
            p,
            base,
            origin,
            http,
            secret,
            list_once: tokio::sync::OnceCell::new(),
            by_id: std::sync::OnceLock::new(),
            source: None,
        }
    }

    /// Names the credential's source (a profile's) in a refusal's hint.
    pub fn with_source(mut self, source: Option<String>) -> Session {
        self.source = source;
        self
    }

    /// A refusal names the credential's real source, not the provider's variable.
    fn name_source(&self, e: Error) -> Error {
        match (e, &self.source) {
            (
                Error::Auth {
                    provider,
                    status,
                    message,
                    hint,
                },
                Some(src),
            ) => {
                let own = format!("{} (or the --api-key-file)", self.p.info().credential_env);
                Error::Auth {
                    provider,
                    status,
                    message,
                    hint: hint.replace(&own, src),
                }
            }
            (e, _) => e,
        }
    }

    /// Sends `req`; a non-2xx answer becomes the provider's error. A write that was applied
    /// (a 2xx keyctl did not read) or may have been (an earlier attempt went unanswered) is
    /// `Error::Unknown` whatever the answer says.
    pub async fn send(&self, req: &Request) -> Result<Vec<u8>> {
        let resp = self
            .http
            .send(self.p.info().name, &self.origin, req, &self.secret)
            .await?;
        // For the audit trail; a create is about no key yet (noted under "").
        if req.method.is_write() {
            crate::audit::note_status(req.key.as_deref().unwrap_or(""), resp.status);
        }
        let success = (200..300).contains(&resp.status);
        let e = match (success, resp.too_large) {
            (true, false) => return Ok(resp.body),
            (true, true) => Error::Provider {
                provider: self.p.info().name,
                status: Some(resp.status),
                message: format!(
                    "the provider answered HTTP {} with a body larger than {} MiB, which keyctl \
                     did not read",
                    resp.status,
                    MAX_BODY / 1024 / 1024
                ),
            },
            (false, _) => self.name_source(self.p.error_for(&resp)),
        };
        Err(
            if req.method.is_write() && (success || resp.earlier_unanswered) {
                Error::Unknown { cause: Box::new(e) }
            } else {
                e
            },
        )
    }

    /// Every key, reading pages until one is short (a provider with a page size), else one
    /// request.
    pub async fn list(&self, include_disabled: bool) -> Result<Vec<Key>> {
        let all = self.list_within(include_disabled, usize::MAX).await?;
        all.ok_or_else(|| Error::Internal("an unbounded list stopped early".into()))
    }

    /// [`Session::list`] that gives up (`None`) rather than read more than `max_pages` pages.
    async fn list_within(
        &self,
        include_disabled: bool,
        max_pages: usize,
    ) -> Result<Option<Vec<Key>>> {
        let mut pages = 0usize;
        let mut all = Vec::new();
        let mut offset = 0;
        let mut bytes = 0usize;
        loop {
            if pages >= max_pages {
                return Ok(None);
            }
            pages += 1;
            let req = self.p.build_list(&self.base, offset, include_disabled)?;
            let body = self.send(&req).await?;
            bytes = bytes.saturating_add(body.len());
            if bytes > MAX_LIST_BYTES {
                return Err(Error::Provider {
                    provider: self.p.info().name,
                    status: None,
                    message: format!(
                        "the key list is larger than {} MiB after {} keys; stopping",
                        MAX_LIST_BYTES / 1024 / 1024,
                        all.len()
                    ),
                });
            }
            let page = self.p.adapter().parse_list(self.p.info(), &body)?;
            // A page is full by its entries, not by the keys keyctl could read from it.
            let n = page.entries;
            all.extend(page.keys);
            match self.p.info().page_size {
                Some(size) if n >= size && n > 0 => offset += n,
                _ => {
                    if self.base.workspace().is_none() {
                        note_default_workspace(self.p);
                    }
                    return Ok(Some(all));
                }
            }
            if offset > 1_000_000 {
                return Err(Error::Provider {
                    provider: self.p.info().name,
                    status: None,
                    message: "the key list does not end after 1,000,000 keys; stopping".into(),
                });
            }
        }
    }

    /// Every key of the account, disabled ones too (all pages), read at most once per run.
    pub async fn listing(&self) -> Result<&[Key]> {
        Ok(self.list_once.get_or_try_init(|| self.list(true)).await?)
    }

    /// Whether this run has already read the whole listing.
    pub fn has_listing(&self) -> bool {
        self.list_once.initialized()
    }

    /// Before `n` keys are read one by one: reads the listing instead when that is cheaper —
    /// one request for a provider without pages, else when the listing ends within `n / 2`
    /// pages (so a wrong guess costs at most half again). A listing that fails or runs longer
    /// leaves the reads to [`Session::get`]. Not for a provider whose entries lack what its read
    /// gives (io.net's usage).
    pub async fn prefer_listing(&self, n: usize, cancel: &crate::http::Cancel) {
        if n < 2 || self.has_listing() || self.p.adapter().get_completes_from_list() {
            return;
        }
        let budget = match self.p.info().page_size {
            None => 1,
            Some(_) => n / 2,
        };
        if cancel.is_cancelled() {
            return;
        }
        if let Ok(Some(all)) = self.list_within(true, budget).await {
            let _ = self.list_once.set(all);
        }
    }

    /// One key before a change: its entry in the listing when this run has read it (and the
    /// provider's entries are whole), else [`Session::get`].
    pub async fn read(&self, key: &str) -> Result<Key> {
        match self.cached(key) {
            Some(entry) => Ok(entry),
            None => self.get(key).await,
        }
    }

    /// The key's entry in the listing, when this run has read it (for names or `--match`) and
    /// the provider's entries are whole: what the key was, at no cost. A key the listing shows
    /// twice with different contents (a page read while the key changed) has no entry here:
    /// neither copy is taken as its state, so [`Session::read`] reads the key itself.
    pub fn cached(&self, key: &str) -> Option<Key> {
        if self.p.adapter().get_completes_from_list() {
            return None;
        }
        let all = self.list_once.get()?;
        let index = self.by_id.get_or_init(|| {
            let mut m: std::collections::HashMap<String, Option<usize>> =
                std::collections::HashMap::with_capacity(all.len());
            for (i, k) in all.iter().enumerate() {
                m.entry(id_form(&k.id))
                    .and_modify(|first| {
                        if first
                            .and_then(|f| all.get(f))
                            .is_some_and(|f| f.raw != k.raw)
                        {
                            *first = None;
                        }
                    })
                    .or_insert(Some(i));
            }
            m
        });
        index
            .get(&id_form(key))
            .copied()
            .flatten()
            .and_then(|i| all.get(i))
            .cloned()
    }

    /// One key; completed from the key's list entry where the provider's read lacks fields
    /// (io.net has no single-key read: its usage endpoint plus the list entry).
    pub async fn get(&self, key: &str) -> Result<Key> {
        let req = self.p.build_get(&self.base, key)?;
        let mut view = self.p.parse_get(key, &self.send(&req).await?)?;
        if self.p.adapter().get_completes_from_list() {
            let all = self.listing().await?;
            if let Some(entry) = all.iter().find(|k| same_id(&k.id, &view.id)) {
                view.fill_from(entry);
            }
        }
        Ok(view)
    }
}

/// An id as [`same_id`] compares it: a UUID in one spelling, anything else as it is.
fn id_form(id: &str) -> String {
    match uuid::Uuid::parse_str(id.trim()) {
        Ok(u) => u.hyphenated().to_string(),
        Err(_) => id.to_string(),
    }
}

/// Whether two ids name the same key: equal, or the same UUID written differently (case,
/// braces, no hyphens), as a list may write it.
fn same_id(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (uuid::Uuid::parse_str(a.trim()), uuid::Uuid::parse_str(b.trim())),
            (Ok(x), Ok(y)) if x == y
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_match_in_any_uuid_form() {
        let id = "aaaaaaaa-1111-1111-1111-111111111111";
        for other in [
            id.to_string(),
            id.to_ascii_uppercase(),
            format!("{{{id}}}"),
            id.replace('-', ""),
        ] {
            assert!(super::same_id(&other, id), "{other}");
        }
        assert!(!super::same_id("aaaaaaaa-1111-1111-1111-111111111112", id));
        assert!(!super::same_id("h1", "H1"));
    }
}
