//! Helpers for the SQL both backends run: violation mapping, audit clipping, row
//! shapes, migration embedding. The statements themselves live in `crates/qep-store/sql/`
//! (one ordinary module per context), which each backend crate compiles as its own `sql`
//! module.

use crate::{Conflict, StoreError};

/// What a constraint violation means for the operation that hit it.
#[derive(Debug, Clone)]
pub struct OnViolation {
    pub unique: StoreError,
    pub foreign_key: StoreError,
}

impl OnViolation {
    pub const GENERIC: OnViolation = OnViolation {
        unique: StoreError::Conflict(Conflict::Constraint),
        foreign_key: StoreError::Conflict(Conflict::Constraint),
    };
}

pub const DETAIL_MAX: usize = 2000;

/// Audit details are for people; keep them bounded.
pub fn clip(detail: String) -> String {
    if detail.chars().count() <= DETAIL_MAX {
        detail
    } else {
        detail.chars().take(DETAIL_MAX).collect::<String>() + "…"
    }
}

pub fn describe_prefecture(s: &qep_core::prefecture::PrefectureSettings) -> String {
    let modules: Vec<String> = s.scope.modules.iter().map(u8::to_string).collect();
    format!(
        "« {} », département {}, référentiel {}, modules {}",
        s.name,
        s.department.code(),
        s.scope.referentiel,
        modules.join(", ")
    )
}

pub fn describe_site(s: &qep_core::prefecture::SiteDraft) -> String {
    match s.time_zone {
        Some(zone) => format!(
            "« {} » ({}), fuseau {}",
            s.name,
            s.kind.label(),
            zone.name()
        ),
        None => format!("« {} » ({})", s.name, s.kind.label()),
    }
}

pub fn describe_service(s: &qep_core::prefecture::ServiceDraft) -> String {
    format!(
        "« {} » [{}], site {}, {}",
        s.name,
        s.code,
        s.site_id,
        if s.in_scope {
            "dans le périmètre"
        } else {
            "hors périmètre"
        }
    )
}

/// One migration file compiled into a backend: `NNNN_description.sql`.
pub struct MigrationFile {
    pub file_name: &'static str,
    pub sql: &'static str,
}

/// Splits `0001_foundation.sql` into (1, "foundation"). Both backends name their files the
/// same way, and a test keeps the two lists identical.
pub fn migration_version(file_name: &str) -> Option<(i64, String)> {
    let stem = file_name.strip_suffix(".sql")?;
    let (version, description) = stem.split_once('_')?;
    Some((version.parse().ok()?, description.replace('_', " ")))
}

#[macro_export]
macro_rules! migration_files {
    ($($file:literal),* $(,)?) => {
        &[$($crate::sql::MigrationFile {
            file_name: $file,
            sql: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/", $file)),
        }),*]
    };
}

/// The sqlx migrator over a backend's embedded [`MigrationFile`]s, as a
/// `StoreResult<sqlx::migrate::Migrator>`. A macro, so that this crate stays
/// free of sqlx. Files are embedded with `include_str!` rather than sqlx's
/// `migrate!` macro, which would pull sqlx's compile-time machinery into the build.
#[macro_export]
macro_rules! sql_migrator {
    ($files:expr) => {
        $files
            .iter()
            .map(|m: &$crate::sql::MigrationFile| {
                let (version, description) = $crate::sql::migration_version(m.file_name)
                    .ok_or_else(|| {
                        $crate::StoreError::Backend(format!(
                            "nom de migration invalide : {}",
                            m.file_name
                        ))
                    })?;
                Ok(::sqlx::migrate::Migration::new(
                    version,
                    ::std::borrow::Cow::Owned(description),
                    ::sqlx::migrate::MigrationType::Simple,
                    ::std::borrow::Cow::Borrowed(m.sql),
                    false,
                ))
            })
            .collect::<$crate::StoreResult<Vec<_>>>()
            .map(|migrations| ::sqlx::migrate::Migrator {
                migrations: ::std::borrow::Cow::Owned(migrations),
                ..::sqlx::migrate::Migrator::DEFAULT
            })
    };
}

/// The next attempt of a message given up on: far in the future, and in a form that sorts
/// after every real date both as TIMESTAMPTZ and as SQLite's ISO text.
/// The outbox columns a [`crate::Mail`] is read from, in [`MailRow`] order.
pub const MAIL_COLUMNS: &str = "id, to_address, subject, body, attempts, created_at, sender, \
     reply_to, automatic, correspondence_id";

pub type MailRow = (
    i64,
    String,
    String,
    String,
    i32,
    chrono::DateTime<chrono::Utc>,
    Option<String>,
    Option<String>,
    bool,
    Option<i64>,
);

pub fn mail_from_row(r: MailRow) -> crate::Mail {
    crate::Mail {
        id: qep_core::ids::MailId(r.0),
        to: r.1,
        subject: r.2,
        body: r.3,
        attempts: u32::try_from(r.4).unwrap_or(0),
        created_at: r.5,
        sender: r.6,
        reply_to: r.7,
        automatic: r.8,
        correspondence_id: r.9.map(qep_core::ids::ItemId),
    }
}

/// The job columns a [`crate::Job`] is read from, in [`JobRow`] order.
pub const JOB_COLUMNS: &str = "id, kind, key, state, run_after, attempts, lease_owner, \
     lease_until, last_error, detail, updated_at";

pub type JobRow = (
    i64,
    String,
    String,
    String,
    chrono::DateTime<chrono::Utc>,
    i32,
    Option<String>,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<String>,
    String,
    chrono::DateTime<chrono::Utc>,
);

pub fn job_from_row(r: JobRow) -> crate::StoreResult<crate::Job> {
    Ok(crate::Job {
        id: qep_core::ids::JobId(r.0),
        kind: r.1,
        key: r.2,
        state: crate::JobState::parse(&r.3)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("état de tâche « {} »", r.3)))?,
        run_after: r.4,
        attempts: u32::try_from(r.5).unwrap_or(0),
        lease_owner: r.6,
        lease_until: r.7,
        last_error: r.8,
        detail: r.9,
        updated_at: r.10,
    })
}

/// Register items per multi-row INSERT: 20 values each, 10,000 binds, well under SQLite's
/// limit (32,766) and PostgreSQL's (65,535).
pub const ITEMS_PER_INSERT: usize = 500;

/// `$start, $start+1, …` for `n` bound values.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn given_up() -> chrono::DateTime<chrono::Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH, |d| d.and_utc())
}
