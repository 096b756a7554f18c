//! Where a command's key results go: each is recorded in the audit trail (a write command's,
//! when auditing is on) by an explicit call, then printed; a new secret is delivered first.

use crate::audit::Trail;
use crate::output::{KeyResult, Mode, Printer, View};
use crate::settings::Global;

/// A command's results: the [`Printer`] and, for a write command with auditing on, the trail
/// each result is recorded in before the rest of it is printed.
pub struct Reporter {
    printer: Printer,
    mode: Mode,
    trail: Option<Trail>,
    /// A failure to write the trail was said (once a run).
    warned: bool,
    /// apply: the profile the trail is of ([`Reporter::account`]).
    profile: Option<Option<String>>,
}

impl Reporter {
    /// Results of a command that writes nothing (`get`, `list`, any dry run): printed only.
    pub fn new(view: &View, mode: Mode) -> Reporter {
        Reporter {
            printer: Printer::new(view, mode),
            mode,
            trail: None,
            warned: false,
            profile: None,
        }
    }

    /// Results of a write command (`writes`: not a dry run), recorded in the audit trail when
    /// auditing is on (its file, `global.audit`; a setting that could not be read was refused
    /// before the command ran).
    pub fn writing(global: &Global, mode: Mode, writes: bool) -> Reporter {
        let mut r = Reporter::new(&global.view, mode);
        if let (true, Ok(Some(path))) = (writes, &global.audit) {
            r.trail = Some(Trail::new(
                path.clone(),
                global.profile().map(|p| p.name.clone()),
            ));
        }
        r
    }

    /// [`Reporter::writing`] for the account of `profile` (apply writes to several profiles in
    /// one run: each trail line names the profile of its key).
    pub fn writing_as(global: &Global, mode: Mode, profile: Option<String>) -> Reporter {
        let mut r = Reporter::new(&global.view, mode);
        if let Ok(Some(path)) = &global.audit {
            r.trail = Some(Trail::new(path.clone(), profile));
        }
        r
    }

    /// apply: the results from now on are of `profile`'s account, recorded in the trail as
    /// `mode`'s writes, their JSON lines carrying `labels` (profile, declared name, line).
    pub fn account(
        &mut self,
        global: &Global,
        mode: Mode,
        profile: Option<String>,
        labels: serde_json::Map<String, serde_json::Value>,
    ) {
        self.mode = mode;
        if let Ok(Some(path)) = &global.audit
            && self.profile.as_ref() != Some(&profile)
        {
            self.trail = Some(Trail::new(path.clone(), profile.clone()));
            self.profile = Some(profile);
        }
        self.printer.label(labels);
    }

    /// One result, as it ended: its new secret delivered first (unless its command already
    /// did, [`Reporter::push_secret_first`]), then recorded in the trail, then the rest of it
    /// printed (its error on stderr, its record).
    pub fn push(&mut self, r: KeyResult) {
        self.printer.deliver(&r);
        self.record(&r);
        self.printer.push(r);
    }

    /// Records a result in the trail; a failure is said once on stderr, even with -q (the
    /// change itself is done and reported as usual).
    fn record(&mut self, r: &KeyResult) {
        let Some(trail) = &self.trail else { return };
        if let Err(e) = trail.record(r, self.mode)
            && !std::mem::replace(&mut self.warned, true)
        {
            crate::output::warn_even_if_quiet(&e);
        }
    }

    /// See [`Printer::push_secret_first`]: the part of a new key's record holding its secret,
    /// written before anything depends on it; true when the secret reached stdout.
    pub fn push_secret_first(&mut self, r: &KeyResult) -> bool {
        self.printer.push_secret_first(r)
    }

    /// See [`Printer::hold_state`].
    pub fn hold_state(&mut self) {
        self.printer.hold_state();
    }

    /// See [`Printer::known_ids`].
    pub fn known_ids(&mut self, ids: impl IntoIterator<Item = String>) {
        self.printer.known_ids(ids);
    }

    /// Prints what is kept for the end (a table).
    pub fn finish(self) {
        self.printer.finish();
    }
}
