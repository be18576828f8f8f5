//! The storage seam.
//!
//! [`Store`] is the one interface the rest of QeP talks to. Each method is one whole business
//! operation in one transaction (the audit entry it writes included); transaction handles
//! never cross this seam. Errors are semantic ([`StoreError`]), translated by each backend
//! from its own error codes.
//!
//! Both backends run the same SQL, written once in [`sql`]; they differ in connection
//! set-up, migrations and error-code translation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use chrono::NaiveDate;
use qep_core::account::{Email, Role};
use qep_core::calendar::{CalendarSettings, Closure, ExtraHoliday, WorkedHoliday};
use qep_core::ids::{
    AttachmentId, CalendarEntryId, ItemId, JobId, LogEntryId, MailId, ServiceId, SiteId, UserId,
};
use qep_core::indicators::Comparator;
use qep_core::indicators::imported::Fact;
use qep_core::prefecture::{PrefectureSettings, Service, ServiceDraft, Site, SiteDraft};
use qep_core::registers::correspondence::{AnswerType, Channel, Kind as ItemKind, OutOfScope};
use qep_core::registers::log::{LogEntry, LogRegister};

#[cfg(feature = "testing")]
pub mod conformance;
#[doc(hidden)]
pub mod sql;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("{0} introuvable")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(Conflict),
    #[error("la base de données est occupée, réessayez")]
    Busy,
    #[error("donnée enregistrée illisible : {0}")]
    Corrupt(String),
    #[error("erreur de la base de données : {0}")]
    Backend(String),
}

/// Why a write was refused because of what is already stored.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    #[error("un compte existe déjà avec cette adresse")]
    EmailTaken,
    #[error("ce site porte encore des services : déplacez-les ou supprimez-les d'abord")]
    SiteHasServices,
    #[error("des éléments du registre ont été reçus sur ce site ; ils doivent le rester")]
    SiteHasItems,
    #[error("des entrées de registres de suivi concernent ce site ; elles doivent le rester")]
    SiteHasLogEntries,
    #[error("des valeurs d'indicateurs sont saisies pour ce site ; supprimez-les d'abord")]
    SiteHasValues,
    #[error("la préfecture est déjà initialisée")]
    AlreadyInitialised,
    #[error("cet élément est référencé ailleurs ou en double")]
    Constraint,
    #[error("cette période est déjà validée")]
    AlreadyValidated,
}

/// Who does a change, as recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<UserId>,
    /// The account's e-mail, or `cli` / `système` for changes made outside the web UI.
    pub label: String,
}

impl Actor {
    pub fn user(id: UserId, email: &Email) -> Actor {
        Actor {
            user_id: Some(id),
            label: email.to_string(),
        }
    }

    pub fn cli() -> Actor {
        Actor {
            user_id: None,
            label: "ligne de commande".into(),
        }
    }

    pub fn system() -> Actor {
        Actor {
            user_id: None,
            label: "système".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub services: Vec<ServiceId>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    /// A PHC string (argon2id); hashing happens before the store.
    pub password_hash: String,
    pub services: Vec<ServiceId>,
}

#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub services: Vec<ServiceId>,
}

/// A server-side session. Only a hash of the cookie's token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token_hash: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SessionUser {
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

impl SessionUser {
    /// The signed-in user as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.email)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor: String,
    /// What was done, e.g. `site.create`, `user.update`, `login`.
    pub action: String,
    /// What it was done to, e.g. `site 3`.
    pub target: String,
    /// Human-readable detail (French), e.g. the new values.
    pub detail: String,
}

/// A stored item with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    pub id: CalendarEntryId,
    pub item: T,
}

/// A site's calendar choices, withdrawn ones included (they matter for "as of" queries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteCalendar {
    pub closures: Vec<Stored<Closure>>,
    pub worked_holidays: Vec<Stored<WorkedHoliday>>,
    pub extra_holidays: Vec<Stored<ExtraHoliday>>,
}

impl SiteCalendar {
    /// Everything ever recorded; use [`CalendarSettings::as_of`] for the calendar of a day.
    pub fn settings(&self) -> CalendarSettings {
        CalendarSettings {
            closures: self.closures.iter().map(|s| s.item.clone()).collect(),
            worked_holidays: self
                .worked_holidays
                .iter()
                .map(|s| s.item.clone())
                .collect(),
            extra_holidays: self.extra_holidays.iter().map(|s| s.item.clone()).collect(),
        }
    }
}

/// A holiday setting of a site: one it works, or a local one it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolidaySetting {
    Worked(WorkedHoliday),
    Extra(ExtraHoliday),
}

/// What to withdraw from a site's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarEntry {
    Closure(CalendarEntryId),
    Holiday(CalendarEntryId),
}

/// Whether a value was typed in or came from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueOrigin {
    Entered,
    Imported,
}

impl ValueOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueOrigin::Entered => "entered",
            ValueOrigin::Imported => "imported",
        }
    }
}

/// One indicator value for a period, for the whole prefecture (`site: None`) or a site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorValue {
    pub code: String,
    /// `2020-01`, `2020-Q1` or `2020`.
    pub period: String,
    pub site: Option<SiteId>,
    pub value: f64,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub weight: Option<f64>,
    pub origin: ValueOrigin,
}

/// The file a batch of values comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile {
    pub kind: String,
    pub file_name: String,
    pub sha256: String,
}

/// A column mapping saved under a name (its TOML text is checked by the importer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedMapping {
    pub name: String,
    /// The fact source, e.g. `calls`.
    pub source: String,
    pub definition: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// A file imported, newest first in listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub rows: i64,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved {
        rows: usize,
    },
    /// The same file was imported before: nothing was changed.
    AlreadyImported {
        file_name: String,
        at: DateTime<Utc>,
        by: String,
    },
}

/// A local target, overriding the national one for a year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalTarget {
    pub year: i32,
    pub comparator: Comparator,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodValidation {
    pub period: String,
    pub validated_by: String,
    pub validated_at: DateTime<Utc>,
    /// The results as computed at validation, as JSON.
    pub snapshot: String,
}

/// A correspondence item to register. `reference: None` gets the next `YYYY-NNNNNN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCorrespondence {
    pub reference: Option<String>,
    pub channel: Channel,
    pub kind: ItemKind,
    pub site: SiteId,
    pub service: Option<ServiceId>,
    pub received_at: DateTime<Utc>,
    /// The receipt day in the site's time (day 0 of the deadline).
    pub received_on: NaiveDate,
    pub deadline_days: u32,
    /// Computed with the site's calendar at registration.
    pub due_on: NaiveDate,
    pub requester_name: String,
    pub requester_email: String,
    pub requester_address: String,
    pub subject: String,
    pub in_scope: bool,
    pub out_of_scope: Option<OutOfScope>,
    /// For imported items already answered.
    pub answered_on: Option<NaiveDate>,
    pub answer: Option<AnswerType>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correspondence {
    pub id: ItemId,
    pub reference: String,
    pub channel: Channel,
    pub kind: ItemKind,
    pub site: SiteId,
    pub service: Option<ServiceId>,
    pub received_at: DateTime<Utc>,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub deadline_days: u32,
    pub due_on: NaiveDate,
    pub requester_name: String,
    pub requester_email: String,
    pub requester_address: String,
    pub subject: String,
    pub in_scope: bool,
    pub out_of_scope: Option<OutOfScope>,
    pub answered_on: Option<NaiveDate>,
    pub answer: Option<AnswerType>,
    /// The text of a message received through the public form ("" otherwise).
    pub body: String,
}

/// A message for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub correspondence_id: Option<ItemId>,
    /// The sender (`None`: the instance's `mail_from`).
    pub sender: Option<String>,
    pub reply_to: Option<String>,
    /// Written by QeP itself (acknowledgements, digests): sent with `Auto-Submitted`.
    pub automatic: bool,
}

impl NewMail {
    /// A message QeP writes itself, from the instance's sender.
    pub fn automatic(
        to: &str,
        subject: &str,
        body: &str,
        correspondence_id: Option<ItemId>,
    ) -> NewMail {
        NewMail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            correspondence_id,
            sender: None,
            reply_to: None,
            automatic: true,
        }
    }
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub id: MailId,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub sender: Option<String>,
    pub reply_to: Option<String>,
    pub automatic: bool,
    pub correspondence_id: Option<ItemId>,
}

/// What a durable job is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        match s {
            "queued" => Some(JobState::Queued),
            "running" => Some(JobState::Running),
            "done" => Some(JobState::Done),
            "failed" => Some(JobState::Failed),
            _ => None,
        }
    }

    /// The word the jobs page shows.
    pub fn label(self) -> &'static str {
        match self {
            JobState::Queued => "en attente",
            JobState::Running => "en cours",
            JobState::Done => "terminée",
            JobState::Failed => "en échec",
        }
    }
}

/// A durable job: one (kind, key) exists once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: JobId,
    /// `digest`, `retention`, `sessions`, `import`…
    pub kind: String,
    /// What makes it unique within its kind, e.g. the day of a daily job.
    pub key: String,
    pub state: JobState,
    pub run_after: DateTime<Utc>,
    pub attempts: u32,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// What the last run did, in words.
    pub detail: String,
    pub updated_at: DateTime<Utc>,
}

/// How a job's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Done(String),
    /// Failed; retried at `retry_at`, or given up when `None`.
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// An editable message template (acknowledgements…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub key: String,
    pub subject: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Builds the acknowledgement of a just-registered item (it needs the reference).
pub type AckBuilder = Box<dyn FnOnce(&Correspondence) -> Option<NewMail> + Send>;

/// A file attached to a register item (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub id: AttachmentId,
    pub correspondence_id: ItemId,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub uploaded_at: DateTime<Utc>,
    pub uploaded_by: String,
}

/// A log register entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredLogEntry {
    pub id: LogEntryId,
    pub site: SiteId,
    pub service: Option<ServiceId>,
    pub entry: LogEntry,
}

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct CorrespondenceQuery {
    /// `None`: every service (quality lead); `Some`: an agent's services only.
    pub services: Option<Vec<ServiceId>>,
    pub open_only: bool,
    /// Open items due on or before this day.
    pub due_by: Option<NaiveDate>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    /// At most this many items; `0` (the default) lists them all.
    pub limit: u32,
    /// Items to skip first, in the list's order (due date, then id: stable, so pages
    /// neither repeat nor miss an item while nothing changes).
    pub offset: u32,
}

/// What the indicator engine needs of an item: compact, for whole years of items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterRow {
    pub site: SiteId,
    pub channel: Channel,
    pub kind: ItemKind,
    pub received_on: NaiveDate,
    pub answered_on: Option<NaiveDate>,
    pub deadline_days: u32,
}

/// The whole store: every context's trait, from one backend. The rest of QeP holds an
/// `Arc<dyn Store>` and calls the context traits' methods on it (import them from
/// [`prelude`]).
#[async_trait]
pub trait Store:
    AccountStore
    + PrefectureStore
    + IndicatorStore
    + RegisterStore
    + ImportStore
    + MailStore
    + JobStore
    + DocumentStore
    + AuditStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`, for messages and `/healthz`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;
}

/// The context traits, to call their methods on a `dyn Store`.
pub mod prelude {
    pub use crate::{
        AccountStore, AuditStore, DocumentStore, ImportStore, IndicatorStore, JobStore, MailStore,
        PrefectureStore, RegisterStore, Store,
    };
}

/// Accounts and sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_user(&self, actor: &Actor, user: &NewUser) -> StoreResult<User>;

    async fn update_user(&self, actor: &Actor, id: UserId, u: &UserUpdate) -> StoreResult<User>;

    async fn set_password(&self, actor: &Actor, id: UserId, hash: &str) -> StoreResult<()>;

    async fn get_user(&self, id: UserId) -> StoreResult<User>;

    async fn list_users(&self) -> StoreResult<Vec<User>>;

    /// The account and its password hash, for a login attempt.
    async fn find_credentials(&self, email: &Email) -> StoreResult<Option<(User, String)>>;

    /// Opens a session for a successful login, records the login time and the audit entry.
    async fn open_session(&self, user: UserId, session: &NewSession) -> StoreResult<()>;

    /// The live session with this token hash; expired sessions and inactive accounts give `None`.
    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionUser>>;

    async fn close_session(&self, token_hash: &str) -> StoreResult<()>;

    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// The prefecture, its sites and services, and the sites' calendars.
#[async_trait]
pub trait PrefectureStore: Send + Sync {
    async fn find_prefecture(&self) -> StoreResult<Option<PrefectureSettings>>;

    /// First set-up, with the prefecture's first sites, in one transaction; refused with
    /// [`Conflict::AlreadyInitialised`] if done already.
    async fn init_prefecture(
        &self,
        actor: &Actor,
        s: &PrefectureSettings,
        sites: &[SiteDraft],
    ) -> StoreResult<Vec<Site>>;

    async fn update_prefecture(&self, actor: &Actor, s: &PrefectureSettings) -> StoreResult<()>;

    async fn list_sites(&self) -> StoreResult<Vec<Site>>;

    async fn insert_site(&self, actor: &Actor, site: &SiteDraft) -> StoreResult<Site>;

    async fn update_site(&self, actor: &Actor, id: SiteId, site: &SiteDraft) -> StoreResult<Site>;

    async fn delete_site(&self, actor: &Actor, id: SiteId) -> StoreResult<()>;

    async fn list_services(&self) -> StoreResult<Vec<Service>>;

    async fn insert_service(&self, actor: &Actor, s: &ServiceDraft) -> StoreResult<Service>;

    async fn update_service(
        &self,
        actor: &Actor,
        id: ServiceId,
        s: &ServiceDraft,
    ) -> StoreResult<Service>;

    async fn delete_service(&self, actor: &Actor, id: ServiceId) -> StoreResult<()>;

    /// The site's calendar settings; `NotFound("site")` for an unknown site.
    async fn site_calendar(&self, site: SiteId) -> StoreResult<SiteCalendar>;

    async fn insert_closure(
        &self,
        actor: &Actor,
        site: SiteId,
        c: &Closure,
    ) -> StoreResult<CalendarEntryId>;

    async fn insert_site_holiday(
        &self,
        actor: &Actor,
        site: SiteId,
        h: &HolidaySetting,
    ) -> StoreResult<CalendarEntryId>;

    /// Marks an entry withdrawn on `on` (never deleted: earlier calendars still see it).
    async fn withdraw_calendar_entry(
        &self,
        actor: &Actor,
        site: SiteId,
        entry: CalendarEntry,
        on: NaiveDate,
    ) -> StoreResult<()>;
}

/// Indicator values, local targets and indicators, validated periods.
#[async_trait]
pub trait IndicatorStore: Send + Sync {
    /// Saves values in one transaction (all or nothing), replacing those of the same
    /// (code, period, site). With `file`, a file already imported changes nothing.
    async fn save_indicator_values(
        &self,
        actor: &Actor,
        values: &[IndicatorValue],
        file: Option<&ImportFile>,
    ) -> StoreResult<SaveOutcome>;

    /// The latest year any value was stored for.
    async fn latest_value_year(&self) -> StoreResult<Option<i32>>;

    /// Every value whose period lies in `year` (months, quarters and the year itself).
    async fn list_indicator_values(&self, year: i32) -> StoreResult<Vec<IndicatorValue>>;

    async fn delete_indicator_value(
        &self,
        actor: &Actor,
        code: &str,
        period: &str,
        site: Option<SiteId>,
    ) -> StoreResult<()>;

    /// (code, target) pairs.
    async fn list_local_targets(&self) -> StoreResult<Vec<(String, LocalTarget)>>;

    async fn set_local_target(&self, actor: &Actor, code: &str, t: &LocalTarget)
    -> StoreResult<()>;

    async fn delete_local_target(&self, actor: &Actor, code: &str, year: i32) -> StoreResult<()>;

    /// (code, JSON definition) pairs.
    async fn list_local_indicators(&self) -> StoreResult<Vec<(String, String)>>;

    async fn save_local_indicator(&self, actor: &Actor, code: &str, json: &str) -> StoreResult<()>;

    /// Freezes a period; [`Conflict::AlreadyValidated`] if it was.
    async fn validate_period(&self, actor: &Actor, period: &str, snapshot: &str)
    -> StoreResult<()>;

    /// Validations of the periods of `year`.
    async fn list_validations(&self, year: i32) -> StoreResult<Vec<PeriodValidation>>;
}

/// The registers: correspondence items and their attachments, log registers, sampled weeks, personal-data retention.
#[async_trait]
pub trait RegisterStore: Send + Sync {
    /// Registers items in one transaction (all or nothing). Items whose reference exists
    /// already are skipped (re-importing a file adds nothing); returns the ids added.
    async fn insert_correspondence(
        &self,
        actor: &Actor,
        items: &[NewCorrespondence],
    ) -> StoreResult<Vec<ItemId>>;

    async fn get_correspondence(&self, id: ItemId) -> StoreResult<Correspondence>;

    /// Hands `visit` every item received on a day of [from, until), in order of receipt
    /// (time, then reference), as the rows arrive from the database: a year of a million
    /// items is exported in bounded memory. Stops at `visit`'s first error. Returns how
    /// many items were visited.
    async fn for_each_received(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        visit: &mut (dyn FnMut(Correspondence) -> StoreResult<()> + Send),
    ) -> StoreResult<u64>;

    async fn list_correspondence(
        &self,
        q: &CorrespondenceQuery,
    ) -> StoreResult<Vec<Correspondence>>;

    async fn answer_correspondence(
        &self,
        actor: &Actor,
        id: ItemId,
        on: NaiveDate,
        answer: AnswerType,
    ) -> StoreResult<()>;

    /// Records the answer and queues the e-mail carrying it, in one transaction.
    async fn answer_by_mail(
        &self,
        actor: &Actor,
        id: ItemId,
        on: NaiveDate,
        answer: AnswerType,
        mail: &NewMail,
    ) -> StoreResult<()>;

    async fn insert_attachment(
        &self,
        actor: &Actor,
        item: ItemId,
        file_name: &str,
        content_type: &str,
        data: &[u8],
    ) -> StoreResult<AttachmentId>;

    async fn list_attachments(&self, item: ItemId) -> StoreResult<Vec<Attachment>>;

    async fn get_attachment(&self, id: AttachmentId) -> StoreResult<(Attachment, Vec<u8>)>;

    /// Moves an item to another service; its due date does not change.
    async fn transfer_correspondence(
        &self,
        actor: &Actor,
        id: ItemId,
        to: ServiceId,
    ) -> StoreResult<()>;

    async fn set_correspondence_scope(
        &self,
        actor: &Actor,
        id: ItemId,
        out_of_scope: Option<OutOfScope>,
    ) -> StoreResult<()>;

    /// Registers one item with its message text and queues its acknowledgement, in one
    /// transaction: the acknowledgement can fail to send later, never to be queued.
    async fn register_with_acknowledgement(
        &self,
        actor: &Actor,
        item: &NewCorrespondence,
        body: &str,
        ack: AckBuilder,
    ) -> StoreResult<Correspondence>;

    /// Anonymises citizens' personal data of items closed before `cutoff` (name, e-mail,
    /// postal address, message text, attachments; the item and its dates stay for the
    /// indicators) and deletes the sent messages addressed to them. An item is closed on
    /// its answer day; one never answered (out of scope, or abandoned) on its receipt day,
    /// so that it is purged as many months after receipt. Returns how many were anonymised.
    async fn purge_personal_data(&self, actor: &Actor, cutoff: NaiveDate) -> StoreResult<u64>;

    /// Declared sampled periods (first and last day), oldest first.
    async fn list_sampled_weeks(&self) -> StoreResult<Vec<(NaiveDate, NaiveDate)>>;

    async fn add_sampled_week(
        &self,
        actor: &Actor,
        start: NaiveDate,
        end: NaiveDate,
    ) -> StoreResult<()>;

    async fn remove_sampled_week(&self, actor: &Actor, start: NaiveDate) -> StoreResult<()>;

    async fn insert_log_entry(
        &self,
        actor: &Actor,
        site: SiteId,
        service: Option<ServiceId>,
        entry: &LogEntry,
    ) -> StoreResult<LogEntryId>;

    /// Records the later dates of an entry (a meeting fixed, then held; an update published).
    async fn update_log_dates(
        &self,
        actor: &Actor,
        id: LogEntryId,
        first_on: Option<NaiveDate>,
        second_on: Option<NaiveDate>,
    ) -> StoreResult<()>;

    async fn get_log_entry(&self, id: LogEntryId) -> StoreResult<StoredLogEntry>;

    /// Entries started in [from, to]; every register when `register` is `None`.
    async fn list_log_entries(
        &self,
        register: Option<LogRegister>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<StoredLogEntry>>;

    /// In-scope items received in [from, to], for the indicator engine.
    async fn register_rows(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<RegisterRow>>;
}

/// Imported files, their facts, and saved column mappings.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Saves the facts of an imported file in one transaction, each replacing the fact of
    /// the same (source, period, key, measure). A file already imported (same SHA-256)
    /// changes nothing. `rows` is the number of file rows they come from.
    async fn save_facts(
        &self,
        actor: &Actor,
        file: &ImportFile,
        rows: u64,
        facts: &[Fact],
    ) -> StoreResult<SaveOutcome>;

    /// Facts whose period (day, month, quarter) falls in `year`.
    async fn list_facts(&self, year: i32) -> StoreResult<Vec<Fact>>;

    /// The latest imported files, newest first.
    async fn list_imports(&self, limit: u32) -> StoreResult<Vec<ImportRecord>>;

    /// Saved column mappings, by name.
    async fn list_mappings(&self) -> StoreResult<Vec<SavedMapping>>;

    /// Creates or replaces a mapping.
    async fn save_mapping(
        &self,
        actor: &Actor,
        name: &str,
        source: &str,
        definition: &str,
    ) -> StoreResult<()>;

    async fn delete_mapping(&self, actor: &Actor, name: &str) -> StoreResult<()>;
}

/// The outbox and the message templates.
#[async_trait]
pub trait MailStore: Send + Sync {
    async fn enqueue_mail(&self, mail: &NewMail) -> StoreResult<MailId>;

    /// Messages due for a (re)try at `now`, oldest first.
    async fn due_mails(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Mail>>;

    async fn mark_mail_sent(&self, id: MailId, at: DateTime<Utc>) -> StoreResult<()>;

    /// Records a failed attempt; `retry_at: None` gives up on the message.
    async fn mark_mail_failed(
        &self,
        id: MailId,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;

    /// Claims up to `limit` messages due at `now` until `lease_until`: no other process
    /// gets them meanwhile (one `UPDATE … RETURNING`, safe with several servers on one
    /// database). A message not marked sent or failed by then is due again.
    async fn claim_mails(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Mail>>;

    /// (waiting, given up) counts, for supervision.
    async fn outbox_counts(&self) -> StoreResult<(u64, u64)>;

    /// Queues a daily job's messages once per `day`, all or nothing: `None` when the job
    /// already ran that day, else how many were queued.
    async fn enqueue_mails_once(
        &self,
        job: &str,
        day: NaiveDate,
        mails: &[NewMail],
    ) -> StoreResult<Option<usize>>;

    async fn find_template(&self, key: &str) -> StoreResult<Option<Template>>;

    async fn save_template(
        &self,
        actor: &Actor,
        key: &str,
        subject: &str,
        body: &str,
    ) -> StoreResult<()>;
}

/// Durable jobs under leases, and the older once-a-day job runs.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queues job (`kind`, `key`) to run from `run_after`; `false` when it exists already.
    async fn schedule_job(
        &self,
        kind: &str,
        key: &str,
        run_after: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Records a job started now by `owner` (an import), running under a lease.
    async fn start_job(
        &self,
        kind: &str,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<JobId>;

    /// Extends the lease `owner` holds on running job `id` (a long import's heartbeat).
    async fn renew_job(
        &self,
        id: JobId,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Claims the oldest queued job of `kinds` due at `now` for `owner` until `lease_until`.
    async fn claim_job(
        &self,
        kinds: &[&str],
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Job>>;

    /// Ends a run of job `id` held by `owner`.
    async fn finish_job(
        &self,
        id: JobId,
        owner: &str,
        now: DateTime<Utc>,
        outcome: &JobOutcome,
    ) -> StoreResult<()>;

    /// Jobs whose lease ran out while running (the process died): those of `retry_kinds`
    /// are queued again, the others (imports) fail with `reason`. Returns how many.
    async fn expire_jobs(
        &self,
        now: DateTime<Utc>,
        retry_kinds: &[&str],
        reason: &str,
    ) -> StoreResult<u64>;

    /// The most recently updated jobs first.
    async fn list_jobs(&self, limit: u32) -> StoreResult<Vec<Job>>;

    /// Claims the run of a daily job for `day`: `true` the first time only.
    async fn claim_job_run(&self, job: &str, day: NaiveDate) -> StoreResult<bool>;
}

/// The free texts of the yearly report.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// The free texts of a year's report: (section, text), by section (`introduction`,
    /// `module-1`…, `conclusion`).
    async fn report_texts(&self, year: i32) -> StoreResult<Vec<(String, String)>>;

    /// Replaces the year's texts with these (an empty text removes its section).
    async fn save_report_texts(
        &self,
        actor: &Actor,
        year: i32,
        texts: &[(String, String)],
    ) -> StoreResult<()>;
}

/// The append-only audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Newest first; `before` pages backwards by id.
    async fn list_audit(&self, limit: u32, before: Option<i64>) -> StoreResult<Vec<AuditEntry>>;

    /// A number that grows with every audited change of the prefecture's data (every write
    /// that can change a figure is audited): what was computed at one version can be
    /// reused until it moves.
    async fn data_version(&self) -> StoreResult<i64>;
}

#[cfg(test)]
mod coverage {
    //! The conformance suite must reach every store method, and every scenario written
    //! must be run: both checked on the sources, so a new method or scenario cannot be
    //! forgotten.

    const TRAITS: &str = include_str!("lib.rs");
    const SCENARIOS: &str = include_str!("conformance.rs");

    fn trait_methods() -> Vec<&'static str> {
        let mut methods = Vec::new();
        let mut in_trait = false;
        for line in TRAITS.lines() {
            if line.starts_with("pub trait ") {
                in_trait = true;
            } else if line == "}" {
                in_trait = false;
            } else if in_trait {
                let rest = line.trim_start();
                let rest = rest.strip_prefix("async ").unwrap_or(rest);
                if let Some(sig) = rest.strip_prefix("fn ") {
                    methods.push(sig.split(['(', '<']).next().unwrap_or(sig));
                }
            }
        }
        methods
    }

    #[test]
    fn every_store_method_is_exercised_by_the_conformance_suite() {
        let methods = trait_methods();
        assert!(methods.len() > 80, "{methods:?}");
        let missing: Vec<_> = methods
            .iter()
            .filter(|m| !SCENARIOS.contains(&format!(".{m}(")))
            .collect();
        assert!(
            missing.is_empty(),
            "never called by a scenario: {missing:?}"
        );
    }

    #[test]
    fn every_scenario_written_is_run() {
        for line in SCENARIOS.lines() {
            let Some(rest) = line.strip_prefix("pub async fn ") else {
                continue;
            };
            let name = rest.split('(').next().unwrap_or(rest);
            if rest.contains("store: &dyn Store") {
                assert!(
                    SCENARIOS.contains(&format!("Box::pin({name}(")),
                    "scenario {name} is not in SCENARIOS"
                );
            }
        }
    }
}
