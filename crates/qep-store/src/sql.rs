//! The SQL both backends run, written once.
//!
//! SQLite and PostgreSQL accept the same statements here (`$n` placeholders, `RETURNING`,
//! `ON CONFLICT`); what differs is the column types chosen in each backend's migrations
//! (TEXT vs TIMESTAMPTZ, INTEGER vs BOOLEAN), which sqlx maps to the same Rust types.
//! `impl_sql_store!` expands this one implementation for a backend's pool type; the
//! backend supplies `fn pool(&self) -> &sqlx::Pool<DB>` and
//! `fn map_err(e: sqlx::Error) -> StoreError` (its own error codes).

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

#[macro_export]
macro_rules! impl_sql_store {
    ($store:ty, $db:ty, $name:literal) => {
        impl $store {
            async fn audit_tx(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                actor: &$crate::Actor,
                action: &str,
                target: String,
                detail: String,
            ) -> $crate::StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO audit_log (at, actor_id, actor, action, target, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(::chrono::Utc::now())
                .bind(actor.user_id.map(|u| u.0))
                .bind(&actor.label)
                .bind(action)
                .bind(target)
                .bind($crate::sql::clip(detail))
                .execute(&mut **tx)
                .await
                .map_err(Self::map_err)?;
                Ok(())
            }

            /// Records an imported file in `tx`: `Ok(Err(outcome))` when the same file (same
            /// SHA-256) was imported before, so the caller changes nothing; else the new
            /// import's id.
            async fn record_import(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                actor: &$crate::Actor,
                file: &$crate::ImportFile,
                rows: usize,
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<Result<i64, $crate::SaveOutcome>> {
                let seen: Option<(String, ::chrono::DateTime<::chrono::Utc>, String)> =
                    ::sqlx::query_as(
                        "SELECT file_name, imported_at, imported_by FROM imports WHERE sha256 = $1",
                    )
                    .bind(&file.sha256)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(Self::map_err)?;
                if let Some((file_name, at, by)) = seen {
                    return Ok(Err($crate::SaveOutcome::AlreadyImported { file_name, at, by }));
                }
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO imports (kind, file_name, sha256, rows, imported_by, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&file.kind)
                .bind(&file.file_name)
                .bind(&file.sha256)
                .bind(i64::try_from(rows).unwrap_or(i64::MAX))
                .bind(&actor.label)
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| Self::violation(e, $crate::sql::OnViolation::GENERIC))?;
                Ok(Ok(id))
            }

            /// Every write transaction starts with the backend's `BEGIN_WRITE`: on SQLite
            /// `BEGIN IMMEDIATE`, so that a read-then-write transaction takes the write lock
            /// at once and waits its turn (busy timeout) instead of failing as "busy" when
            /// another writer commits first.
            async fn begin(&self) -> $crate::StoreResult<::sqlx::Transaction<'static, $db>> {
                self.pool()
                    .begin_with(Self::BEGIN_WRITE)
                    .await
                    .map_err(Self::map_err)
            }

            async fn commit(tx: ::sqlx::Transaction<'static, $db>) -> $crate::StoreResult<()> {
                tx.commit().await.map_err(Self::map_err)
            }

            fn violation(e: ::sqlx::Error, on: $crate::sql::OnViolation) -> $crate::StoreError {
                // sqlx derives these kinds from each backend's own error codes.
                if let ::sqlx::Error::Database(db) = &e {
                    match db.kind() {
                        ::sqlx::error::ErrorKind::UniqueViolation => return on.unique,
                        ::sqlx::error::ErrorKind::ForeignKeyViolation => return on.foreign_key,
                        _ => {}
                    }
                }
                Self::map_err(e)
            }

            fn user_from_row(
                row: &<$db as ::sqlx::Database>::Row,
            ) -> $crate::StoreResult<($crate::User, String)> {
                use ::sqlx::Row as _;
                let get_err = |e: ::sqlx::Error| $crate::StoreError::Corrupt(e.to_string());
                let email: String = row.try_get("email").map_err(get_err)?;
                let role: String = row.try_get("role").map_err(get_err)?;
                let user = $crate::User {
                    id: ::qep_core::ids::UserId(row.try_get("id").map_err(get_err)?),
                    email: ::qep_core::account::Email::parse(&email)
                        .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?,
                    display_name: row.try_get("display_name").map_err(get_err)?,
                    role: ::qep_core::account::Role::parse(&role)
                        .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?,
                    active: row.try_get("active").map_err(get_err)?,
                    services: Vec::new(),
                    created_at: row.try_get("created_at").map_err(get_err)?,
                    last_login_at: row.try_get("last_login_at").map_err(get_err)?,
                };
                let hash: String = row.try_get("password_hash").map_err(get_err)?;
                Ok((user, hash))
            }

            async fn services_of(
                &self,
                user: Option<::qep_core::ids::UserId>,
            ) -> $crate::StoreResult<Vec<(i64, i64)>> {
                let rows: Vec<(i64, i64)> = match user {
                    Some(u) => ::sqlx::query_as(
                        "SELECT user_id, service_id FROM user_services WHERE user_id = $1 \
                         ORDER BY service_id",
                    )
                    .bind(u.0)
                    .fetch_all(self.pool())
                    .await,
                    None => ::sqlx::query_as(
                        "SELECT user_id, service_id FROM user_services ORDER BY user_id, service_id",
                    )
                    .fetch_all(self.pool())
                    .await,
                }
                .map_err(Self::map_err)?;
                Ok(rows)
            }

            async fn replace_user_services(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                user: ::qep_core::ids::UserId,
                services: &[::qep_core::ids::ServiceId],
            ) -> $crate::StoreResult<()> {
                ::sqlx::query("DELETE FROM user_services WHERE user_id = $1")
                    .bind(user.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(Self::map_err)?;
                for s in services {
                    ::sqlx::query(
                        "INSERT INTO user_services (user_id, service_id) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(user.0)
                    .bind(s.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| {
                        Self::violation(
                            e,
                            $crate::sql::OnViolation {
                                foreign_key: $crate::StoreError::NotFound("service"),
                                ..$crate::sql::OnViolation::GENERIC
                            },
                        )
                    })?;
                }
                Ok(())
            }

            fn correspondence_from_row(
                row: &<$db as ::sqlx::Database>::Row,
            ) -> $crate::StoreResult<$crate::Correspondence> {
                use ::qep_core::registers::correspondence as c;
                use ::sqlx::Row as _;
                let get_err = |e: ::sqlx::Error| $crate::StoreError::Corrupt(e.to_string());
                let corrupt = |e: c::CorrespondenceError| $crate::StoreError::Corrupt(e.to_string());
                let channel: String = row.try_get("channel").map_err(get_err)?;
                let kind: String = row.try_get("kind").map_err(get_err)?;
                let out_of_scope: Option<String> = row.try_get("out_of_scope").map_err(get_err)?;
                let answer: Option<String> = row.try_get("answer").map_err(get_err)?;
                let service: Option<i64> = row.try_get("service_id").map_err(get_err)?;
                let deadline_days: i32 = row.try_get("deadline_days").map_err(get_err)?;
                Ok($crate::Correspondence {
                    id: row.try_get("id").map_err(get_err)?,
                    reference: row.try_get("reference").map_err(get_err)?,
                    channel: c::Channel::parse(&channel).map_err(corrupt)?,
                    kind: c::Kind::parse(&kind).map_err(corrupt)?,
                    site: ::qep_core::ids::SiteId(row.try_get("site_id").map_err(get_err)?),
                    service: service.map(::qep_core::ids::ServiceId),
                    received_at: row.try_get("received_at").map_err(get_err)?,
                    received_on: row.try_get("received_on").map_err(get_err)?,
                    registered_at: row.try_get("registered_at").map_err(get_err)?,
                    deadline_days: u32::try_from(deadline_days).unwrap_or(0),
                    due_on: row.try_get("due_on").map_err(get_err)?,
                    requester_name: row.try_get("requester_name").map_err(get_err)?,
                    requester_email: row.try_get("requester_email").map_err(get_err)?,
                    requester_address: row.try_get("requester_address").map_err(get_err)?,
                    subject: row.try_get("subject").map_err(get_err)?,
                    in_scope: row.try_get("in_scope").map_err(get_err)?,
                    out_of_scope: out_of_scope.as_deref().map(c::OutOfScope::parse).transpose().map_err(corrupt)?,
                    answered_on: row.try_get("answered_on").map_err(get_err)?,
                    answer: answer.as_deref().map(c::AnswerType::parse).transpose().map_err(corrupt)?,
                    body: row.try_get("body").map_err(get_err)?,
                })
            }

            async fn enqueue_tx(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                mail: &$crate::NewMail,
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<i64> {
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO mail_outbox (to_address, subject, body, correspondence_id, \
                     created_at, next_attempt_at, sender, reply_to, automatic) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&mail.to)
                .bind(&mail.subject)
                .bind(&mail.body)
                .bind(mail.correspondence_id)
                .bind(now)
                .bind(mail.sender.as_deref())
                .bind(mail.reply_to.as_deref())
                .bind(mail.automatic)
                .fetch_one(&mut **tx)
                .await
                .map_err(Self::map_err)?;
                Ok(id)
            }

            fn log_from_row(
                row: &<$db as ::sqlx::Database>::Row,
            ) -> $crate::StoreResult<$crate::StoredLogEntry> {
                use ::sqlx::Row as _;
                let get_err = |e: ::sqlx::Error| $crate::StoreError::Corrupt(e.to_string());
                let register: String = row.try_get("register").map_err(get_err)?;
                let minutes: Option<i32> = row.try_get("minutes").map_err(get_err)?;
                let service: Option<i64> = row.try_get("service_id").map_err(get_err)?;
                Ok($crate::StoredLogEntry {
                    id: row.try_get("id").map_err(get_err)?,
                    site: ::qep_core::ids::SiteId(row.try_get("site_id").map_err(get_err)?),
                    service: service.map(::qep_core::ids::ServiceId),
                    entry: ::qep_core::registers::log::LogEntry {
                        register: ::qep_core::registers::log::LogRegister::parse(&register)
                            .ok_or_else(|| $crate::StoreError::Corrupt(format!("registre « {register} »")))?,
                        started_on: row.try_get("started_on").map_err(get_err)?,
                        first_on: row.try_get("first_on").map_err(get_err)?,
                        second_on: row.try_get("second_on").map_err(get_err)?,
                        category: row.try_get("category").map_err(get_err)?,
                        minutes: minutes.and_then(|m| u32::try_from(m).ok()),
                        label: row.try_get("label").map_err(get_err)?,
                        flag: row.try_get("flag").map_err(get_err)?,
                        commitment: {
                            let c: Option<i32> = row.try_get("commitment").map_err(get_err)?;
                            c.and_then(|c| u16::try_from(c).ok())
                        },
                    },
                })
            }

            /// Inserts one register item; `None` when its reference exists already.
            async fn insert_item_tx(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                item: &$crate::NewCorrespondence,
                reference: &str,
                body: &str,
                actor: &$crate::Actor,
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<Option<i64>> {
                let ids = Self::insert_items_tx(tx, &[(item, reference, body)], actor, now).await?;
                Ok(ids.first().copied())
            }

            /// Inserts register items (item, reference, message text) in one multi-row
            /// `INSERT`; returns the ids of those whose reference was new. The caller keeps
            /// a call under the bind-variable limit ([`crate::sql::ITEMS_PER_INSERT`]).
            async fn insert_items_tx(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                rows: &[(&$crate::NewCorrespondence, &str, &str)],
                actor: &$crate::Actor,
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<Vec<i64>> {
                let mut q = ::sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO correspondence (reference, channel, kind, site_id, service_id, \
                     received_at, received_on, registered_at, deadline_days, due_on, \
                     requester_name, requester_email, requester_address, subject, in_scope, \
                     out_of_scope, answered_on, answer, registered_by, body) ",
                );
                q.push_values(rows.iter(), |mut b, (item, reference, body)| {
                    b.push_bind(*reference)
                        .push_bind(item.channel.as_str())
                        .push_bind(item.kind.as_str())
                        .push_bind(item.site.0)
                        .push_bind(item.service.map(|s| s.0))
                        .push_bind(item.received_at)
                        .push_bind(item.received_on)
                        .push_bind(now)
                        .push_bind(i32::try_from(item.deadline_days).unwrap_or(i32::MAX))
                        .push_bind(item.due_on)
                        .push_bind(item.requester_name.as_str())
                        .push_bind(item.requester_email.as_str())
                        .push_bind(item.requester_address.as_str())
                        .push_bind(item.subject.as_str())
                        .push_bind(item.in_scope)
                        .push_bind(item.out_of_scope.map(|o| o.as_str()))
                        .push_bind(item.answered_on)
                        .push_bind(item.answer.map(|a| a.as_str()))
                        .push_bind(actor.label.as_str())
                        .push_bind(*body);
                });
                q.push(" ON CONFLICT (reference) DO NOTHING RETURNING id");
                let ids: Vec<(i64,)> = q
                    .build_query_as()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(|e| {
                        Self::violation(
                            e,
                            $crate::sql::OnViolation {
                                foreign_key: $crate::StoreError::NotFound("site ou service"),
                                ..$crate::sql::OnViolation::GENERIC
                            },
                        )
                    })?;
                Ok(ids.into_iter().map(|(id,)| id).collect())
            }

            async fn next_reference(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                year: i32,
            ) -> $crate::StoreResult<String> {
                let (last,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO reference_counters (year, last) VALUES ($1, 1) \
                     ON CONFLICT (year) DO UPDATE SET last = reference_counters.last + 1 \
                     RETURNING last",
                )
                .bind(year)
                .fetch_one(&mut **tx)
                .await
                .map_err(Self::map_err)?;
                Ok(format!("{year}-{last:06}"))
            }

            async fn site_calendar_in(
                conn: &mut <$db as ::sqlx::Database>::Connection,
                site: ::qep_core::ids::SiteId,
            ) -> $crate::StoreResult<$crate::SiteCalendar> {
                let exists: Option<(i64,)> = ::sqlx::query_as("SELECT id FROM sites WHERE id = $1")
                    .bind(site.0)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(Self::map_err)?;
                exists.ok_or($crate::StoreError::NotFound("site"))?;
                type D = ::chrono::NaiveDate;
                let closures: Vec<(i64, D, D, String, D, Option<D>)> = ::sqlx::query_as(
                    "SELECT id, start_date, end_date, reason, recorded_on, removed_on \
                     FROM site_closures WHERE site_id = $1 ORDER BY start_date, id",
                )
                .bind(site.0)
                .fetch_all(&mut *conn)
                .await
                .map_err(Self::map_err)?;
                let holidays: Vec<(i64, String, String, Option<i32>, Option<i32>, String, D, Option<D>)> =
                    ::sqlx::query_as(
                        "SELECT id, mode, holiday, first_year, last_year, reason, recorded_on, \
                         removed_on FROM site_holidays WHERE site_id = $1 ORDER BY id",
                    )
                    .bind(site.0)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(Self::map_err)?;
                let mut calendar = $crate::SiteCalendar {
                    closures: closures
                        .into_iter()
                        .map(|(id, start, end, reason, recorded_on, removed_on)| $crate::Stored {
                            id,
                            item: ::qep_core::calendar::Closure {
                                start,
                                end,
                                reason,
                                recorded_on,
                                removed_on,
                            },
                        })
                        .collect(),
                    ..Default::default()
                };
                for (id, mode, holiday, first_year, last_year, reason, recorded_on, removed_on) in holidays {
                    let holiday = ::qep_core::calendar::HolidayKind::parse(&holiday)
                        .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                    if mode == "worked" {
                        calendar.worked_holidays.push($crate::Stored {
                            id,
                            item: ::qep_core::calendar::WorkedHoliday {
                                holiday,
                                first_year,
                                last_year,
                                reason,
                                recorded_on,
                                removed_on,
                            },
                        });
                    } else {
                        calendar.extra_holidays.push($crate::Stored {
                            id,
                            item: ::qep_core::calendar::ExtraHoliday {
                                holiday,
                                first_year,
                                last_year,
                                recorded_on,
                                removed_on,
                            },
                        });
                    }
                }
                Ok(calendar)
            }

            /// After a change to `site`'s calendar made on `on`: the due dates of its open
            /// items, computed again with the calendar as it now stands, in the change's
            /// transaction, so that stored and computed due dates never disagree. Audited.
            async fn recompute_due_dates_tx(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                actor: &$crate::Actor,
                site: ::qep_core::ids::SiteId,
                on: ::chrono::NaiveDate,
            ) -> $crate::StoreResult<u64> {
                let department: Option<(String,)> =
                    ::sqlx::query_as("SELECT department FROM prefecture")
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(Self::map_err)?;
                let territory = department
                    .and_then(|(d,)| ::qep_core::calendar::Territory::from_department(&d).ok())
                    .unwrap_or(::qep_core::calendar::Territory::Metropole);
                let settings = Self::site_calendar_in(&mut **tx, site).await?.settings().as_of(on);
                let calendar = ::qep_core::calendar::WorkingCalendar::new(territory, &settings);
                let open: Vec<(i64, ::chrono::NaiveDate, i32, ::chrono::NaiveDate)> = ::sqlx::query_as(
                    "SELECT id, received_on, deadline_days, due_on FROM correspondence \
                     WHERE site_id = $1 AND answered_on IS NULL",
                )
                .bind(site.0)
                .fetch_all(&mut **tx)
                .await
                .map_err(Self::map_err)?;
                let mut changed = 0u64;
                for (id, received_on, days, due_on) in open {
                    let Ok(due) = calendar.due_date(received_on, u32::try_from(days).unwrap_or(0)) else {
                        continue;
                    };
                    if due != due_on {
                        ::sqlx::query("UPDATE correspondence SET due_on = $1 WHERE id = $2")
                            .bind(due)
                            .bind(id)
                            .execute(&mut **tx)
                            .await
                            .map_err(Self::map_err)?;
                        changed += 1;
                    }
                }
                if changed > 0 {
                    Self::audit_tx(
                        tx,
                        actor,
                        "correspondence.due_dates",
                        format!("site {site}"),
                        format!("{changed} échéance(s) d'éléments en cours recalculée(s) avec le calendrier du site"),
                    )
                    .await?;
                }
                Ok(changed)
            }

            fn site_from_row(
                row: (i64, String, String, String, Option<String>),
            ) -> $crate::StoreResult<::qep_core::prefecture::Site> {
                Ok(::qep_core::prefecture::Site {
                    id: ::qep_core::ids::SiteId(row.0),
                    name: row.1,
                    kind: ::qep_core::prefecture::SiteKind::parse(&row.2)
                        .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?,
                    address: row.3,
                    time_zone: row
                        .4
                        .as_deref()
                        .map(::qep_core::time::parse_zone)
                        .transpose()
                        .map_err($crate::StoreError::Corrupt)?,
                })
            }

            fn service_from_row(
                row: (i64, String, String, i64, bool, Option<String>),
            ) -> ::qep_core::prefecture::Service {
                ::qep_core::prefecture::Service {
                    id: ::qep_core::ids::ServiceId(row.0),
                    name: row.1,
                    code: row.2,
                    site_id: ::qep_core::ids::SiteId(row.3),
                    in_scope: row.4,
                    email: row.5,
                }
            }

            async fn write_prefecture(
                tx: &mut ::sqlx::Transaction<'_, $db>,
                s: &::qep_core::prefecture::PrefectureSettings,
            ) -> $crate::StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO prefecture (id, name, department, referentiel, updated_at) \
                     VALUES (1, $1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                     department = excluded.department, referentiel = excluded.referentiel, \
                     updated_at = excluded.updated_at",
                )
                .bind(&s.name)
                .bind(s.department.code())
                .bind(&s.scope.referentiel)
                .bind(::chrono::Utc::now())
                .execute(&mut **tx)
                .await
                .map_err(Self::map_err)?;
                ::sqlx::query("DELETE FROM scope_modules")
                    .execute(&mut **tx)
                    .await
                    .map_err(Self::map_err)?;
                for m in &s.scope.modules {
                    ::sqlx::query("INSERT INTO scope_modules (module) VALUES ($1)")
                        .bind(i32::from(*m))
                        .execute(&mut **tx)
                        .await
                        .map_err(Self::map_err)?;
                }
                Ok(())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> &'static str {
                $name
            }

            async fn ping(&self) -> $crate::StoreResult<()> {
                ::sqlx::query("SELECT 1")
                    .execute(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(())
            }

            async fn find_prefecture(
                &self,
            ) -> $crate::StoreResult<Option<::qep_core::prefecture::PrefectureSettings>> {
                let row: Option<(String, String, String)> = ::sqlx::query_as(
                    "SELECT name, department, referentiel FROM prefecture WHERE id = 1",
                )
                .fetch_optional(self.pool())
                .await
                .map_err(Self::map_err)?;
                let Some((name, department, referentiel)) = row else {
                    return Ok(None);
                };
                let modules: Vec<(i32,)> =
                    ::sqlx::query_as("SELECT module FROM scope_modules ORDER BY module")
                        .fetch_all(self.pool())
                        .await
                        .map_err(Self::map_err)?;
                let modules: Vec<u8> = modules
                    .into_iter()
                    .filter_map(|(m,)| u8::try_from(m).ok())
                    .collect();
                ::qep_core::prefecture::PrefectureSettings::new(
                    &name,
                    &department,
                    &referentiel,
                    &modules,
                )
                .map(Some)
                .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))
            }

            async fn init_prefecture(
                &self,
                actor: &$crate::Actor,
                s: &::qep_core::prefecture::PrefectureSettings,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let exists: Option<(i64,)> =
                    ::sqlx::query_as("SELECT id FROM prefecture WHERE id = 1")
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(Self::map_err)?;
                if exists.is_some() {
                    return Err($crate::StoreError::Conflict(
                        $crate::Conflict::AlreadyInitialised,
                    ));
                }
                Self::write_prefecture(&mut tx, s).await?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "prefecture.init",
                    "préfecture".into(),
                    $crate::sql::describe_prefecture(s),
                )
                .await?;
                Self::commit(tx).await
            }

            async fn update_prefecture(
                &self,
                actor: &$crate::Actor,
                s: &::qep_core::prefecture::PrefectureSettings,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                Self::write_prefecture(&mut tx, s).await?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "prefecture.update",
                    "préfecture".into(),
                    $crate::sql::describe_prefecture(s),
                )
                .await?;
                Self::commit(tx).await
            }

            async fn list_sites(&self) -> $crate::StoreResult<Vec<::qep_core::prefecture::Site>> {
                let rows: Vec<(i64, String, String, String, Option<String>)> = ::sqlx::query_as(
                    "SELECT id, name, kind, address, time_zone FROM sites ORDER BY id",
                )
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                rows.into_iter().map(Self::site_from_row).collect()
            }

            async fn insert_site(
                &self,
                actor: &$crate::Actor,
                site: &::qep_core::prefecture::SiteDraft,
            ) -> $crate::StoreResult<::qep_core::prefecture::Site> {
                let mut tx = self.begin().await?;
                let row: (i64, String, String, String, Option<String>) = ::sqlx::query_as(
                    "INSERT INTO sites (name, kind, address, time_zone) VALUES ($1, $2, $3, $4) \
                     RETURNING id, name, kind, address, time_zone",
                )
                .bind(&site.name)
                .bind(site.kind.as_str())
                .bind(&site.address)
                .bind(site.time_zone.map(|z| z.name()))
                .fetch_one(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let created = Self::site_from_row(row)?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "site.create",
                    format!("site {}", created.id),
                    $crate::sql::describe_site(site),
                )
                .await?;
                Self::commit(tx).await?;
                Ok(created)
            }

            async fn update_site(
                &self,
                actor: &$crate::Actor,
                id: ::qep_core::ids::SiteId,
                site: &::qep_core::prefecture::SiteDraft,
            ) -> $crate::StoreResult<::qep_core::prefecture::Site> {
                let mut tx = self.begin().await?;
                let row: Option<(i64, String, String, String, Option<String>)> = ::sqlx::query_as(
                    "UPDATE sites SET name = $1, kind = $2, address = $3, time_zone = $4 \
                     WHERE id = $5 RETURNING id, name, kind, address, time_zone",
                )
                .bind(&site.name)
                .bind(site.kind.as_str())
                .bind(&site.address)
                .bind(site.time_zone.map(|z| z.name()))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let updated =
                    Self::site_from_row(row.ok_or($crate::StoreError::NotFound("site"))?)?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "site.update",
                    format!("site {id}"),
                    $crate::sql::describe_site(site),
                )
                .await?;
                Self::commit(tx).await?;
                Ok(updated)
            }

            async fn delete_site(
                &self,
                actor: &$crate::Actor,
                id: ::qep_core::ids::SiteId,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let name: Option<(String,)> =
                    ::sqlx::query_as("DELETE FROM sites WHERE id = $1 RETURNING name")
                        .bind(id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(|e| {
                            Self::violation(
                                e,
                                $crate::sql::OnViolation {
                                    foreign_key: $crate::StoreError::Conflict(
                                        $crate::Conflict::SiteHasServices,
                                    ),
                                    ..$crate::sql::OnViolation::GENERIC
                                },
                            )
                        })?;
                let (name,) = name.ok_or($crate::StoreError::NotFound("site"))?;
                Self::audit_tx(&mut tx, actor, "site.delete", format!("site {id}"), name).await?;
                Self::commit(tx).await
            }

            async fn list_services(
                &self,
            ) -> $crate::StoreResult<Vec<::qep_core::prefecture::Service>> {
                let rows: Vec<(i64, String, String, i64, bool, Option<String>)> = ::sqlx::query_as(
                    "SELECT id, name, code, site_id, in_scope, email FROM services ORDER BY id",
                )
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(rows.into_iter().map(Self::service_from_row).collect())
            }

            async fn insert_service(
                &self,
                actor: &$crate::Actor,
                s: &::qep_core::prefecture::ServiceDraft,
            ) -> $crate::StoreResult<::qep_core::prefecture::Service> {
                let mut tx = self.begin().await?;
                let row: (i64, String, String, i64, bool, Option<String>) = ::sqlx::query_as(
                    "INSERT INTO services (name, code, site_id, in_scope, email) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id, name, code, site_id, in_scope, email",
                )
                .bind(&s.name)
                .bind(&s.code)
                .bind(s.site_id.0)
                .bind(s.in_scope)
                .bind(s.email.as_deref())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    Self::violation(
                        e,
                        $crate::sql::OnViolation {
                            foreign_key: $crate::StoreError::NotFound("site"),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                let created = Self::service_from_row(row);
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "service.create",
                    format!("service {}", created.id),
                    $crate::sql::describe_service(s),
                )
                .await?;
                Self::commit(tx).await?;
                Ok(created)
            }

            async fn update_service(
                &self,
                actor: &$crate::Actor,
                id: ::qep_core::ids::ServiceId,
                s: &::qep_core::prefecture::ServiceDraft,
            ) -> $crate::StoreResult<::qep_core::prefecture::Service> {
                let mut tx = self.begin().await?;
                let row: Option<(i64, String, String, i64, bool, Option<String>)> = ::sqlx::query_as(
                    "UPDATE services SET name = $1, code = $2, site_id = $3, in_scope = $4, email = $5 \
                     WHERE id = $6 RETURNING id, name, code, site_id, in_scope, email",
                )
                .bind(&s.name)
                .bind(&s.code)
                .bind(s.site_id.0)
                .bind(s.in_scope)
                .bind(s.email.as_deref())
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| {
                    Self::violation(
                        e,
                        $crate::sql::OnViolation {
                            foreign_key: $crate::StoreError::NotFound("site"),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                let updated =
                    Self::service_from_row(row.ok_or($crate::StoreError::NotFound("service"))?);
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "service.update",
                    format!("service {id}"),
                    $crate::sql::describe_service(s),
                )
                .await?;
                Self::commit(tx).await?;
                Ok(updated)
            }

            async fn delete_service(
                &self,
                actor: &$crate::Actor,
                id: ::qep_core::ids::ServiceId,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query("DELETE FROM user_services WHERE service_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                let name: Option<(String,)> =
                    ::sqlx::query_as("DELETE FROM services WHERE id = $1 RETURNING name")
                        .bind(id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(|e| Self::violation(e, $crate::sql::OnViolation::GENERIC))?;
                let (name,) = name.ok_or($crate::StoreError::NotFound("service"))?;
                Self::audit_tx(&mut tx, actor, "service.delete", format!("service {id}"), name)
                    .await?;
                Self::commit(tx).await
            }

            async fn insert_user(
                &self,
                actor: &$crate::Actor,
                u: &$crate::NewUser,
            ) -> $crate::StoreResult<$crate::User> {
                let mut tx = self.begin().await?;
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO users (email, display_name, role, password_hash, active, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(u.email.as_str())
                .bind(&u.display_name)
                .bind(u.role.as_str())
                .bind(&u.password_hash)
                .bind(true)
                .bind(::chrono::Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    Self::violation(
                        e,
                        $crate::sql::OnViolation {
                            unique: $crate::StoreError::Conflict($crate::Conflict::EmailTaken),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                let id = ::qep_core::ids::UserId(id);
                Self::replace_user_services(&mut tx, id, &u.services).await?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "user.create",
                    format!("compte {}", u.email),
                    format!("rôle {}, services {:?}", u.role.as_str(), u.services),
                )
                .await?;
                Self::commit(tx).await?;
                self.get_user(id).await
            }

            async fn update_user(
                &self,
                actor: &$crate::Actor,
                id: ::qep_core::ids::UserId,
                u: &$crate::UserUpdate,
            ) -> $crate::StoreResult<$crate::User> {
                let mut tx = self.begin().await?;
                let email: Option<(String,)> = ::sqlx::query_as(
                    "UPDATE users SET display_name = $1, role = $2, active = $3 WHERE id = $4 \
                     RETURNING email",
                )
                .bind(&u.display_name)
                .bind(u.role.as_str())
                .bind(u.active)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let (email,) = email.ok_or($crate::StoreError::NotFound("compte"))?;
                Self::replace_user_services(&mut tx, id, &u.services).await?;
                if !u.active {
                    ::sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(Self::map_err)?;
                }
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "user.update",
                    format!("compte {email}"),
                    format!(
                        "nom « {} », rôle {}, {}, services {:?}",
                        u.display_name,
                        u.role.as_str(),
                        if u.active { "actif" } else { "désactivé" },
                        u.services
                    ),
                )
                .await?;
                Self::commit(tx).await?;
                self.get_user(id).await
            }

            async fn set_password(
                &self,
                actor: &$crate::Actor,
                id: ::qep_core::ids::UserId,
                hash: &str,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let email: Option<(String,)> = ::sqlx::query_as(
                    "UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING email",
                )
                .bind(hash)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let (email,) = email.ok_or($crate::StoreError::NotFound("compte"))?;
                // A new password ends every open session of the account.
                ::sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "user.password",
                    format!("compte {email}"),
                    "mot de passe changé".into(),
                )
                .await?;
                Self::commit(tx).await
            }

            async fn get_user(
                &self,
                id: ::qep_core::ids::UserId,
            ) -> $crate::StoreResult<$crate::User> {
                let row = ::sqlx::query("SELECT * FROM users WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(Self::map_err)?
                    .ok_or($crate::StoreError::NotFound("compte"))?;
                let (mut user, _) = Self::user_from_row(&row)?;
                user.services = self
                    .services_of(Some(id))
                    .await?
                    .into_iter()
                    .map(|(_, s)| ::qep_core::ids::ServiceId(s))
                    .collect();
                Ok(user)
            }

            async fn list_users(&self) -> $crate::StoreResult<Vec<$crate::User>> {
                let rows = ::sqlx::query("SELECT * FROM users ORDER BY email")
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                let links = self.services_of(None).await?;
                rows.iter()
                    .map(|row| {
                        let (mut user, _) = Self::user_from_row(row)?;
                        user.services = links
                            .iter()
                            .filter(|(u, _)| *u == user.id.0)
                            .map(|(_, s)| ::qep_core::ids::ServiceId(*s))
                            .collect();
                        Ok(user)
                    })
                    .collect()
            }

            async fn find_credentials(
                &self,
                email: &::qep_core::account::Email,
            ) -> $crate::StoreResult<Option<($crate::User, String)>> {
                let row = ::sqlx::query("SELECT * FROM users WHERE email = $1")
                    .bind(email.as_str())
                    .fetch_optional(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                let Some(row) = row else { return Ok(None) };
                let (mut user, hash) = Self::user_from_row(&row)?;
                user.services = self
                    .services_of(Some(user.id))
                    .await?
                    .into_iter()
                    .map(|(_, s)| ::qep_core::ids::ServiceId(s))
                    .collect();
                Ok(Some((user, hash)))
            }

            async fn open_session(
                &self,
                user: ::qep_core::ids::UserId,
                s: &$crate::NewSession,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let email: Option<(String,)> = ::sqlx::query_as(
                    "UPDATE users SET last_login_at = $1 WHERE id = $2 AND active = $3 \
                     RETURNING email",
                )
                .bind(s.created_at)
                .bind(user.0)
                .bind(true)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let (email,) = email.ok_or($crate::StoreError::NotFound("compte"))?;
                ::sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&s.token_hash)
                .bind(user.0)
                .bind(&s.csrf_token)
                .bind(s.created_at)
                .bind(s.expires_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| Self::violation(e, $crate::sql::OnViolation::GENERIC))?;
                let actor = $crate::Actor {
                    user_id: Some(user),
                    label: email,
                };
                Self::audit_tx(&mut tx, &actor, "login", "session".into(), String::new()).await?;
                Self::commit(tx).await
            }

            async fn find_session(
                &self,
                token_hash: &str,
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<Option<$crate::SessionUser>> {
                use ::sqlx::Row as _;
                let row = ::sqlx::query(
                    "SELECT s.csrf_token AS s_csrf, s.expires_at AS s_expires, u.* \
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(self.pool())
                .await
                .map_err(Self::map_err)?;
                let Some(row) = row else { return Ok(None) };
                let get_err = |e: ::sqlx::Error| $crate::StoreError::Corrupt(e.to_string());
                let expires_at: ::chrono::DateTime<::chrono::Utc> =
                    row.try_get("s_expires").map_err(get_err)?;
                let csrf_token: String = row.try_get("s_csrf").map_err(get_err)?;
                let (mut user, _) = Self::user_from_row(&row)?;
                if expires_at <= now || !user.active {
                    return Ok(None);
                }
                user.services = self
                    .services_of(Some(user.id))
                    .await?
                    .into_iter()
                    .map(|(_, s)| ::qep_core::ids::ServiceId(s))
                    .collect();
                Ok(Some($crate::SessionUser {
                    csrf_token,
                    expires_at,
                    user,
                }))
            }

            async fn close_session(&self, token_hash: &str) -> $crate::StoreResult<()> {
                ::sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(())
            }

            async fn purge_expired_sessions(
                &self,
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<u64> {
                let r = ::sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(r.rows_affected())
            }

            async fn site_calendar(
                &self,
                site: ::qep_core::ids::SiteId,
            ) -> $crate::StoreResult<$crate::SiteCalendar> {
                let mut conn = self.pool().acquire().await.map_err(Self::map_err)?;
                Self::site_calendar_in(&mut conn, site).await
            }

            async fn insert_closure(
                &self,
                actor: &$crate::Actor,
                site: ::qep_core::ids::SiteId,
                c: &::qep_core::calendar::Closure,
            ) -> $crate::StoreResult<i64> {
                let mut tx = self.begin().await?;
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO site_closures (site_id, start_date, end_date, reason, recorded_on, \
                     removed_on) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(site.0)
                .bind(c.start)
                .bind(c.end)
                .bind(&c.reason)
                .bind(c.recorded_on)
                .bind(c.removed_on)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    Self::violation(
                        e,
                        $crate::sql::OnViolation {
                            foreign_key: $crate::StoreError::NotFound("site"),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "calendar.closure.add",
                    format!("site {site}"),
                    format!("fermeture du {} au {} : {}", c.start, c.end, c.reason),
                )
                .await?;
                Self::recompute_due_dates_tx(&mut tx, actor, site, c.recorded_on).await?;
                Self::commit(tx).await?;
                Ok(id)
            }

            async fn insert_site_holiday(
                &self,
                actor: &$crate::Actor,
                site: ::qep_core::ids::SiteId,
                h: &$crate::HolidaySetting,
            ) -> $crate::StoreResult<i64> {
                let (mode, holiday, first_year, last_year, reason, recorded_on, removed_on) = match h {
                    $crate::HolidaySetting::Worked(w) => (
                        "worked", w.holiday, w.first_year, w.last_year, w.reason.clone(),
                        w.recorded_on, w.removed_on,
                    ),
                    $crate::HolidaySetting::Extra(x) => (
                        "extra", x.holiday, x.first_year, x.last_year, String::new(),
                        x.recorded_on, x.removed_on,
                    ),
                };
                let mut tx = self.begin().await?;
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO site_holidays (site_id, mode, holiday, first_year, last_year, \
                     reason, recorded_on, removed_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id",
                )
                .bind(site.0)
                .bind(mode)
                .bind(holiday.as_str())
                .bind(first_year)
                .bind(last_year)
                .bind(&reason)
                .bind(recorded_on)
                .bind(removed_on)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    Self::violation(
                        e,
                        $crate::sql::OnViolation {
                            foreign_key: $crate::StoreError::NotFound("site"),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    if mode == "worked" { "calendar.worked_holiday.add" } else { "calendar.local_holiday.add" },
                    format!("site {site}"),
                    format!("{} {reason}", holiday.name()).trim().to_owned(),
                )
                .await?;
                Self::recompute_due_dates_tx(&mut tx, actor, site, recorded_on).await?;
                Self::commit(tx).await?;
                Ok(id)
            }

            async fn withdraw_calendar_entry(
                &self,
                actor: &$crate::Actor,
                site: ::qep_core::ids::SiteId,
                entry: $crate::CalendarEntry,
                on: ::chrono::NaiveDate,
            ) -> $crate::StoreResult<()> {
                let (sql, id, action) = match entry {
                    $crate::CalendarEntry::Closure(id) => (
                        "UPDATE site_closures SET removed_on = $1 \
                         WHERE id = $2 AND site_id = $3 AND removed_on IS NULL RETURNING reason",
                        id,
                        "calendar.closure.withdraw",
                    ),
                    $crate::CalendarEntry::Holiday(id) => (
                        "UPDATE site_holidays SET removed_on = $1 \
                         WHERE id = $2 AND site_id = $3 AND removed_on IS NULL RETURNING holiday",
                        id,
                        "calendar.holiday.withdraw",
                    ),
                };
                let mut tx = self.begin().await?;
                let what: Option<(String,)> = ::sqlx::query_as(sql)
                    .bind(on)
                    .bind(id)
                    .bind(site.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                let (what,) = what.ok_or($crate::StoreError::NotFound("entrée du calendrier"))?;
                Self::audit_tx(&mut tx, actor, action, format!("site {site}"), format!("{what} (retiré le {on})"))
                    .await?;
                Self::recompute_due_dates_tx(&mut tx, actor, site, on).await?;
                Self::commit(tx).await
            }

            async fn save_indicator_values(
                &self,
                actor: &$crate::Actor,
                values: &[$crate::IndicatorValue],
                file: Option<&$crate::ImportFile>,
            ) -> $crate::StoreResult<$crate::SaveOutcome> {
                let now = ::chrono::Utc::now();
                let mut tx = self.begin().await?;
                let mut import_id: Option<i64> = None;
                if let Some(f) = file {
                    match Self::record_import(&mut tx, actor, f, values.len(), now).await? {
                        Ok(id) => import_id = Some(id),
                        Err(outcome) => return Ok(outcome),
                    }
                }
                for v in values {
                    ::sqlx::query(
                        "INSERT INTO indicator_values (code, period, site_id, value, numerator, \
                         denominator, weight, origin, import_id, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                         ON CONFLICT (code, period, site_id) DO UPDATE SET value = excluded.value, \
                         numerator = excluded.numerator, denominator = excluded.denominator, \
                         weight = excluded.weight, origin = excluded.origin, \
                         import_id = excluded.import_id, updated_by = excluded.updated_by, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(&v.code)
                    .bind(&v.period)
                    .bind(v.site.map_or(0, |s| s.0))
                    .bind(v.value)
                    .bind(v.numerator)
                    .bind(v.denominator)
                    .bind(v.weight)
                    .bind(v.origin.as_str())
                    .bind(import_id)
                    .bind(&actor.label)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                }
                let detail = match file {
                    Some(f) => format!("{} valeur(s) du fichier {}", values.len(), f.file_name),
                    None => values
                        .iter()
                        .map(|v| format!("{} {} = {}", v.code, v.period, v.value))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                Self::audit_tx(&mut tx, actor, "indicator.values", "indicateurs".into(), detail).await?;
                Self::commit(tx).await?;
                Ok($crate::SaveOutcome::Saved { rows: values.len() })
            }

            async fn latest_value_year(&self) -> $crate::StoreResult<Option<i32>> {
                let (latest,): (Option<String>,) =
                    ::sqlx::query_as("SELECT MAX(period) FROM indicator_values")
                        .fetch_one(self.pool())
                        .await
                        .map_err(Self::map_err)?;
                Ok(latest.and_then(|p| p.get(..4).and_then(|y| y.parse().ok())))
            }

            async fn list_indicator_values(
                &self,
                year: i32,
            ) -> $crate::StoreResult<Vec<$crate::IndicatorValue>> {
                let rows: Vec<(String, String, i64, f64, Option<f64>, Option<f64>, Option<f64>, String)> =
                    ::sqlx::query_as(
                        "SELECT code, period, site_id, value, numerator, denominator, weight, origin \
                         FROM indicator_values WHERE period = $1 OR period LIKE $2 \
                         ORDER BY code, period, site_id",
                    )
                    .bind(year.to_string())
                    .bind(format!("{year}-%"))
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|r| $crate::IndicatorValue {
                        code: r.0,
                        period: r.1,
                        site: (r.2 != 0).then_some(::qep_core::ids::SiteId(r.2)),
                        value: r.3,
                        numerator: r.4,
                        denominator: r.5,
                        weight: r.6,
                        origin: if r.7 == "imported" {
                            $crate::ValueOrigin::Imported
                        } else {
                            $crate::ValueOrigin::Entered
                        },
                    })
                    .collect())
            }

            async fn delete_indicator_value(
                &self,
                actor: &$crate::Actor,
                code: &str,
                period: &str,
                site: Option<::qep_core::ids::SiteId>,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let r = ::sqlx::query(
                    "DELETE FROM indicator_values WHERE code = $1 AND period = $2 AND site_id = $3",
                )
                .bind(code)
                .bind(period)
                .bind(site.map_or(0, |s| s.0))
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound("valeur"));
                }
                Self::audit_tx(&mut tx, actor, "indicator.value.delete", format!("{code} {period}"), String::new())
                    .await?;
                Self::commit(tx).await
            }

            async fn list_local_targets(&self) -> $crate::StoreResult<Vec<(String, $crate::LocalTarget)>> {
                let rows: Vec<(String, i32, String, f64)> = ::sqlx::query_as(
                    "SELECT code, year, comparator, value FROM indicator_targets ORDER BY code, year",
                )
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                rows.into_iter()
                    .map(|(code, year, comparator, value)| {
                        let comparator = ::qep_core::indicators::Comparator::parse(&comparator)
                            .ok_or_else(|| $crate::StoreError::Corrupt(format!("comparateur « {comparator} »")))?;
                        Ok((code, $crate::LocalTarget { year, comparator, value }))
                    })
                    .collect()
            }

            async fn set_local_target(
                &self,
                actor: &$crate::Actor,
                code: &str,
                t: &$crate::LocalTarget,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query(
                    "INSERT INTO indicator_targets (code, year, comparator, value) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (code, year) DO UPDATE SET comparator = excluded.comparator, \
                     value = excluded.value",
                )
                .bind(code)
                .bind(t.year)
                .bind(t.comparator.as_str())
                .bind(t.value)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "indicator.target.set",
                    code.to_owned(),
                    format!("{} : {} {}", t.year, t.comparator.symbol(), t.value),
                )
                .await?;
                Self::commit(tx).await
            }

            async fn delete_local_target(
                &self,
                actor: &$crate::Actor,
                code: &str,
                year: i32,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let r = ::sqlx::query("DELETE FROM indicator_targets WHERE code = $1 AND year = $2")
                    .bind(code)
                    .bind(year)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound("cible locale"));
                }
                Self::audit_tx(&mut tx, actor, "indicator.target.delete", code.to_owned(), year.to_string())
                    .await?;
                Self::commit(tx).await
            }

            async fn list_local_indicators(&self) -> $crate::StoreResult<Vec<(String, String)>> {
                ::sqlx::query_as("SELECT code, definition FROM local_indicators ORDER BY code")
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)
            }

            async fn save_local_indicator(
                &self,
                actor: &$crate::Actor,
                code: &str,
                json: &str,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query(
                    "INSERT INTO local_indicators (code, definition) VALUES ($1, $2) \
                     ON CONFLICT (code) DO UPDATE SET definition = excluded.definition",
                )
                .bind(code)
                .bind(json)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                Self::audit_tx(&mut tx, actor, "indicator.local.save", code.to_owned(), String::new()).await?;
                Self::commit(tx).await
            }

            async fn validate_period(
                &self,
                actor: &$crate::Actor,
                period: &str,
                snapshot: &str,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query(
                    "INSERT INTO period_validations (period, validated_by, validated_at, snapshot) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(period)
                .bind(&actor.label)
                .bind(::chrono::Utc::now())
                .bind(snapshot)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    Self::violation(
                        e,
                        $crate::sql::OnViolation {
                            unique: $crate::StoreError::Conflict($crate::Conflict::AlreadyValidated),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                Self::audit_tx(&mut tx, actor, "indicator.period.validate", period.to_owned(), String::new())
                    .await?;
                Self::commit(tx).await
            }

            async fn list_validations(&self, year: i32) -> $crate::StoreResult<Vec<$crate::PeriodValidation>> {
                let rows: Vec<(String, String, ::chrono::DateTime<::chrono::Utc>, String)> = ::sqlx::query_as(
                    "SELECT period, validated_by, validated_at, snapshot FROM period_validations \
                     WHERE period = $1 OR period LIKE $2 ORDER BY period",
                )
                .bind(year.to_string())
                .bind(format!("{year}-%"))
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(period, validated_by, validated_at, snapshot)| $crate::PeriodValidation {
                        period,
                        validated_by,
                        validated_at,
                        snapshot,
                    })
                    .collect())
            }

            async fn insert_correspondence(
                &self,
                actor: &$crate::Actor,
                items: &[$crate::NewCorrespondence],
            ) -> $crate::StoreResult<Vec<i64>> {
                use ::chrono::Datelike as _;
                let now = ::chrono::Utc::now();
                let mut tx = self.begin().await?;
                let mut ids = Vec::new();
                // Items that bring their reference (imports) go in multi-row INSERTs, chunked
                // under SQLite's bind-variable limit; the others are numbered one by one.
                let (numbered, to_number): (Vec<_>, Vec<_>) =
                    items.iter().partition(|i| i.reference.is_some());
                for chunk in numbered.chunks($crate::sql::ITEMS_PER_INSERT) {
                    let rows: Vec<_> = chunk
                        .iter()
                        .map(|item| (*item, item.reference.as_deref().unwrap_or_default(), ""))
                        .collect();
                    ids.extend(Self::insert_items_tx(&mut tx, &rows, actor, now).await?);
                }
                for item in to_number {
                    let reference = Self::next_reference(&mut tx, item.received_on.year()).await?;
                    if let Some(id) =
                        Self::insert_item_tx(&mut tx, item, &reference, "", actor, now).await?
                    {
                        ids.push(id);
                    }
                }
                ids.sort_unstable();
                let detail = if items.len() == 1 {
                    format!("{} ({})", ids.len(), items[0].kind.label())
                } else {
                    format!("{} élément(s) ajouté(s) sur {}", ids.len(), items.len())
                };
                Self::audit_tx(&mut tx, actor, "correspondence.register", "registre du courrier".into(), detail)
                    .await?;
                Self::commit(tx).await?;
                Ok(ids)
            }

            async fn get_correspondence(&self, id: i64) -> $crate::StoreResult<$crate::Correspondence> {
                let row = ::sqlx::query("SELECT * FROM correspondence WHERE id = $1")
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(Self::map_err)?
                    .ok_or($crate::StoreError::NotFound("élément du registre"))?;
                Self::correspondence_from_row(&row)
            }

            async fn list_correspondence(
                &self,
                q: &$crate::CorrespondenceQuery,
            ) -> $crate::StoreResult<Vec<$crate::Correspondence>> {
                let mut sql = ::sqlx::QueryBuilder::<$db>::new("SELECT * FROM correspondence WHERE 1 = 1");
                if let Some(services) = &q.services {
                    if services.is_empty() {
                        return Ok(Vec::new());
                    }
                    sql.push(" AND service_id IN (");
                    let mut list = sql.separated(", ");
                    for s in services {
                        list.push_bind(s.0);
                    }
                    list.push_unseparated(")");
                }
                if q.open_only {
                    sql.push(" AND answered_on IS NULL AND in_scope = ").push_bind(true);
                }
                if let Some(d) = q.due_by {
                    sql.push(" AND due_on <= ").push_bind(d);
                }
                if let Some(d) = q.received_from {
                    sql.push(" AND received_on >= ").push_bind(d);
                }
                if let Some(d) = q.received_to {
                    sql.push(" AND received_on <= ").push_bind(d);
                }
                sql.push(" ORDER BY due_on, id");
                if q.limit > 0 {
                    sql.push(" LIMIT ").push_bind(i64::from(q.limit));
                }
                let rows = sql.build().fetch_all(self.pool()).await.map_err(Self::map_err)?;
                rows.iter().map(Self::correspondence_from_row).collect()
            }

            async fn answer_correspondence(
                &self,
                actor: &$crate::Actor,
                id: i64,
                on: ::chrono::NaiveDate,
                answer: ::qep_core::registers::correspondence::AnswerType,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let reference: Option<(String,)> = ::sqlx::query_as(
                    "UPDATE correspondence SET answered_on = $1, answer = $2 WHERE id = $3 RETURNING reference",
                )
                .bind(on)
                .bind(answer.as_str())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let (reference,) = reference.ok_or($crate::StoreError::NotFound("élément du registre"))?;
                Self::audit_tx(&mut tx, actor, "correspondence.answer", reference, format!("{} le {on}", answer.label()))
                    .await?;
                Self::commit(tx).await
            }

            async fn answer_by_mail(
                &self,
                actor: &$crate::Actor,
                id: i64,
                on: ::chrono::NaiveDate,
                answer: ::qep_core::registers::correspondence::AnswerType,
                mail: &$crate::NewMail,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let reference: Option<(String,)> = ::sqlx::query_as(
                    "UPDATE correspondence SET answered_on = $1, answer = $2 WHERE id = $3 RETURNING reference",
                )
                .bind(on)
                .bind(answer.as_str())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let (reference,) = reference.ok_or($crate::StoreError::NotFound("élément du registre"))?;
                Self::enqueue_tx(&mut tx, mail, ::chrono::Utc::now()).await?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "correspondence.answer",
                    reference,
                    format!("{} le {on}, par courriel", answer.label()),
                )
                .await?;
                Self::commit(tx).await
            }

            async fn insert_attachment(
                &self,
                actor: &$crate::Actor,
                item: i64,
                file_name: &str,
                content_type: &str,
                data: &[u8],
            ) -> $crate::StoreResult<i64> {
                let mut tx = self.begin().await?;
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO attachments (correspondence_id, file_name, content_type, size, data, \
                     uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(item)
                .bind(file_name)
                .bind(content_type)
                .bind(i64::try_from(data.len()).unwrap_or(i64::MAX))
                .bind(data)
                .bind(::chrono::Utc::now())
                .bind(&actor.label)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    Self::violation(
                        e,
                        $crate::sql::OnViolation {
                            foreign_key: $crate::StoreError::NotFound("élément du registre"),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "correspondence.attach",
                    format!("élément {item}"),
                    format!("{file_name} ({} octets)", data.len()),
                )
                .await?;
                Self::commit(tx).await?;
                Ok(id)
            }

            async fn list_attachments(&self, item: i64) -> $crate::StoreResult<Vec<$crate::Attachment>> {
                let rows: Vec<(i64, i64, String, String, i64, ::chrono::DateTime<::chrono::Utc>, String)> =
                    ::sqlx::query_as(
                        "SELECT id, correspondence_id, file_name, content_type, size, uploaded_at, \
                         uploaded_by FROM attachments WHERE correspondence_id = $1 ORDER BY id",
                    )
                    .bind(item)
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|r| $crate::Attachment {
                        id: r.0,
                        correspondence_id: r.1,
                        file_name: r.2,
                        content_type: r.3,
                        size: u64::try_from(r.4).unwrap_or(0),
                        uploaded_at: r.5,
                        uploaded_by: r.6,
                    })
                    .collect())
            }

            async fn get_attachment(&self, id: i64) -> $crate::StoreResult<($crate::Attachment, Vec<u8>)> {
                let row: Option<(i64, i64, String, String, i64, ::chrono::DateTime<::chrono::Utc>, String, Vec<u8>)> =
                    ::sqlx::query_as(
                        "SELECT id, correspondence_id, file_name, content_type, size, uploaded_at, \
                         uploaded_by, data FROM attachments WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                let r = row.ok_or($crate::StoreError::NotFound("pièce jointe"))?;
                Ok((
                    $crate::Attachment {
                        id: r.0,
                        correspondence_id: r.1,
                        file_name: r.2,
                        content_type: r.3,
                        size: u64::try_from(r.4).unwrap_or(0),
                        uploaded_at: r.5,
                        uploaded_by: r.6,
                    },
                    r.7,
                ))
            }

            async fn transfer_correspondence(
                &self,
                actor: &$crate::Actor,
                id: i64,
                to: ::qep_core::ids::ServiceId,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let current: Option<(String, Option<i64>)> =
                    ::sqlx::query_as("SELECT reference, service_id FROM correspondence WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(Self::map_err)?;
                let (reference, from) = current.ok_or($crate::StoreError::NotFound("élément du registre"))?;
                ::sqlx::query("UPDATE correspondence SET service_id = $1 WHERE id = $2")
                    .bind(to.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        Self::violation(
                            e,
                            $crate::sql::OnViolation {
                                foreign_key: $crate::StoreError::NotFound("service"),
                                ..$crate::sql::OnViolation::GENERIC
                            },
                        )
                    })?;
                ::sqlx::query(
                    "INSERT INTO correspondence_transfers (correspondence_id, from_service_id, \
                     to_service_id, at, by_label) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(from)
                .bind(to.0)
                .bind(::chrono::Utc::now())
                .bind(&actor.label)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                Self::audit_tx(&mut tx, actor, "correspondence.transfer", reference, format!("vers le service {to}"))
                    .await?;
                Self::commit(tx).await
            }

            async fn set_correspondence_scope(
                &self,
                actor: &$crate::Actor,
                id: i64,
                out_of_scope: Option<::qep_core::registers::correspondence::OutOfScope>,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let reference: Option<(String,)> = ::sqlx::query_as(
                    "UPDATE correspondence SET in_scope = $1, out_of_scope = $2 WHERE id = $3 RETURNING reference",
                )
                .bind(out_of_scope.is_none())
                .bind(out_of_scope.map(|o| o.as_str()))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let (reference,) = reference.ok_or($crate::StoreError::NotFound("élément du registre"))?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "correspondence.scope",
                    reference,
                    out_of_scope.map_or_else(|| "dans le périmètre".to_owned(), |o| format!("hors périmètre : {}", o.label())),
                )
                .await?;
                Self::commit(tx).await
            }

            async fn register_with_acknowledgement(
                &self,
                actor: &$crate::Actor,
                item: &$crate::NewCorrespondence,
                body: &str,
                ack: $crate::AckBuilder,
            ) -> $crate::StoreResult<$crate::Correspondence> {
                use ::chrono::Datelike as _;
                let now = ::chrono::Utc::now();
                let mut tx = self.begin().await?;
                let reference = Self::next_reference(&mut tx, item.received_on.year()).await?;
                let id = Self::insert_item_tx(&mut tx, item, &reference, body, actor, now)
                    .await?
                    .ok_or($crate::StoreError::Conflict($crate::Conflict::Constraint))?;
                let row = ::sqlx::query("SELECT * FROM correspondence WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                let saved = Self::correspondence_from_row(&row)?;
                if let Some(mail) = ack(&saved) {
                    Self::enqueue_tx(&mut tx, &mail, now).await?;
                }
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "correspondence.register",
                    saved.reference.clone(),
                    format!("{} ({})", saved.kind.label(), saved.channel.label()),
                )
                .await?;
                Self::commit(tx).await?;
                Ok(saved)
            }

            async fn enqueue_mail(&self, mail: &$crate::NewMail) -> $crate::StoreResult<i64> {
                let mut tx = self.begin().await?;
                let id = Self::enqueue_tx(&mut tx, mail, ::chrono::Utc::now()).await?;
                Self::commit(tx).await?;
                Ok(id)
            }

            async fn due_mails(
                &self,
                now: ::chrono::DateTime<::chrono::Utc>,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::Mail>> {
                let rows: Vec<$crate::sql::MailRow> = ::sqlx::query_as(&format!(
                    "SELECT {} FROM mail_outbox \
                     WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
                    $crate::sql::MAIL_COLUMNS
                ))
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(rows.into_iter().map($crate::sql::mail_from_row).collect())
            }

            async fn claim_mails(
                &self,
                now: ::chrono::DateTime<::chrono::Utc>,
                lease_until: ::chrono::DateTime<::chrono::Utc>,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::Mail>> {
                // The outer conditions are checked again on each row once another claimer
                // has committed (PostgreSQL's READ COMMITTED re-check): a row leased
                // meanwhile is skipped, so no message goes to two senders.
                let mut rows: Vec<$crate::sql::MailRow> = ::sqlx::query_as(&format!(
                    "UPDATE mail_outbox SET next_attempt_at = $1 \
                     WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL \
                       AND next_attempt_at <= $2 ORDER BY id LIMIT $3) \
                     AND sent_at IS NULL AND next_attempt_at <= $2 RETURNING {}",
                    $crate::sql::MAIL_COLUMNS
                ))
                .bind(lease_until)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                rows.sort_by_key(|r| r.0);
                Ok(rows.into_iter().map($crate::sql::mail_from_row).collect())
            }

            async fn enqueue_mails_once(
                &self,
                job: &str,
                day: ::chrono::NaiveDate,
                mails: &[$crate::NewMail],
            ) -> $crate::StoreResult<Option<usize>> {
                let now = ::chrono::Utc::now();
                let mut tx = self.begin().await?;
                let claimed = ::sqlx::query(
                    "INSERT INTO job_runs (job, day, at) VALUES ($1, $2, $3) ON CONFLICT (job, day) DO NOTHING",
                )
                .bind(job)
                .bind(day)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                if claimed.rows_affected() != 1 {
                    return Ok(None);
                }
                for mail in mails {
                    Self::enqueue_tx(&mut tx, mail, now).await?;
                }
                Self::commit(tx).await?;
                Ok(Some(mails.len()))
            }

            async fn schedule_job(
                &self,
                kind: &str,
                key: &str,
                run_after: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<bool> {
                let now = ::chrono::Utc::now();
                let r = ::sqlx::query(
                    "INSERT INTO jobs (kind, key, state, run_after, created_at, updated_at) \
                     VALUES ($1, $2, 'queued', $3, $4, $4) ON CONFLICT (kind, key) DO NOTHING",
                )
                .bind(kind)
                .bind(key)
                .bind(run_after)
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn start_job(
                &self,
                kind: &str,
                key: &str,
                owner: &str,
                now: ::chrono::DateTime<::chrono::Utc>,
                lease_until: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<i64> {
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO jobs (kind, key, state, run_after, attempts, lease_owner, \
                     lease_until, created_at, updated_at) \
                     VALUES ($1, $2, 'running', $3, 1, $4, $5, $3, $3) RETURNING id",
                )
                .bind(kind)
                .bind(key)
                .bind(now)
                .bind(owner)
                .bind(lease_until)
                .fetch_one(self.pool())
                .await
                .map_err(|e| Self::violation(e, $crate::sql::OnViolation::GENERIC))?;
                Ok(id)
            }

            async fn renew_job(
                &self,
                id: i64,
                owner: &str,
                now: ::chrono::DateTime<::chrono::Utc>,
                lease_until: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<()> {
                ::sqlx::query(
                    "UPDATE jobs SET lease_until = $1, updated_at = $2 \
                     WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
                )
                .bind(lease_until)
                .bind(now)
                .bind(id)
                .bind(owner)
                .execute(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(())
            }

            async fn claim_job(
                &self,
                kinds: &[&str],
                owner: &str,
                now: ::chrono::DateTime<::chrono::Utc>,
                lease_until: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<Option<$crate::Job>> {
                if kinds.is_empty() {
                    return Ok(None);
                }
                let sql = format!(
                    "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, \
                     attempts = attempts + 1, updated_at = $3 \
                     WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $3 \
                       AND kind IN ({}) ORDER BY run_after, id LIMIT 1) \
                     AND state = 'queued' RETURNING {}",
                    $crate::sql::placeholders(4, kinds.len()),
                    $crate::sql::JOB_COLUMNS
                );
                let mut q = ::sqlx::query_as::<_, $crate::sql::JobRow>(&sql)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(now);
                for k in kinds {
                    q = q.bind(*k);
                }
                let row = q.fetch_optional(self.pool()).await.map_err(Self::map_err)?;
                row.map($crate::sql::job_from_row).transpose()
            }

            async fn finish_job(
                &self,
                id: i64,
                owner: &str,
                now: ::chrono::DateTime<::chrono::Utc>,
                outcome: &$crate::JobOutcome,
            ) -> $crate::StoreResult<()> {
                let (state, run_after, error, detail) = match outcome {
                    $crate::JobOutcome::Done(detail) => ("done", None, None, detail.clone()),
                    $crate::JobOutcome::Failed { error, retry_at: Some(at) } => {
                        ("queued", Some(*at), Some(error.clone()), String::new())
                    }
                    $crate::JobOutcome::Failed { error, retry_at: None } => {
                        ("failed", None, Some(error.clone()), String::new())
                    }
                };
                ::sqlx::query(
                    "UPDATE jobs SET state = $1, run_after = COALESCE($2, run_after), \
                     last_error = $3, detail = CASE WHEN $4 = '' THEN detail ELSE $4 END, \
                     lease_owner = NULL, lease_until = NULL, updated_at = $5 \
                     WHERE id = $6 AND lease_owner = $7",
                )
                .bind(state)
                .bind(run_after)
                .bind(error.map($crate::sql::clip))
                .bind($crate::sql::clip(detail))
                .bind(now)
                .bind(id)
                .bind(owner)
                .execute(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(())
            }

            async fn expire_jobs(
                &self,
                now: ::chrono::DateTime<::chrono::Utc>,
                retry_kinds: &[&str],
                reason: &str,
            ) -> $crate::StoreResult<u64> {
                let mut tx = self.begin().await?;
                let mut n = 0;
                for retry in [true, false] {
                    let kinds = if retry_kinds.is_empty() {
                        "''".to_owned()
                    } else {
                        $crate::sql::placeholders(4, retry_kinds.len())
                    };
                    let sql = format!(
                        "UPDATE jobs SET state = $1, last_error = $2, lease_owner = NULL, \
                         lease_until = NULL, updated_at = $3 \
                         WHERE state = 'running' AND lease_until < $3 AND kind {} IN ({kinds})",
                        if retry { "" } else { "NOT" }
                    );
                    let mut q = ::sqlx::query(&sql)
                        .bind(if retry { "queued" } else { "failed" })
                        .bind(reason)
                        .bind(now);
                    for k in retry_kinds {
                        q = q.bind(*k);
                    }
                    n += q.execute(&mut *tx).await.map_err(Self::map_err)?.rows_affected();
                }
                Self::commit(tx).await?;
                Ok(n)
            }

            async fn list_jobs(&self, limit: u32) -> $crate::StoreResult<Vec<$crate::Job>> {
                let rows: Vec<$crate::sql::JobRow> = ::sqlx::query_as(&format!(
                    "SELECT {} FROM jobs ORDER BY updated_at DESC, id DESC LIMIT $1",
                    $crate::sql::JOB_COLUMNS
                ))
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                rows.into_iter().map($crate::sql::job_from_row).collect()
            }

            async fn mark_mail_sent(
                &self,
                id: i64,
                at: ::chrono::DateTime<::chrono::Utc>,
            ) -> $crate::StoreResult<()> {
                ::sqlx::query(
                    "UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL \
                     WHERE id = $2 AND sent_at IS NULL",
                )
                .bind(at)
                .bind(id)
                .execute(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(())
            }

            async fn mark_mail_failed(
                &self,
                id: i64,
                error: &str,
                retry_at: Option<::chrono::DateTime<::chrono::Utc>>,
            ) -> $crate::StoreResult<()> {
                // Giving up pushes the next attempt to the far future: the row stays, visible.
                let next = retry_at.unwrap_or_else($crate::sql::given_up);
                ::sqlx::query(
                    "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, \
                     next_attempt_at = $2 WHERE id = $3",
                )
                .bind($crate::sql::clip(error.to_owned()))
                .bind(next)
                .bind(id)
                .execute(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(())
            }

            async fn outbox_counts(&self) -> $crate::StoreResult<(u64, u64)> {
                let far = $crate::sql::given_up();
                let (waiting, failed): (i64, i64) = ::sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN next_attempt_at < $1 THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN next_attempt_at >= $1 THEN 1 ELSE 0 END), 0) \
                     FROM mail_outbox WHERE sent_at IS NULL",
                )
                .bind(far)
                .fetch_one(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok((u64::try_from(waiting).unwrap_or(0), u64::try_from(failed).unwrap_or(0)))
            }

            async fn find_template(&self, key: &str) -> $crate::StoreResult<Option<$crate::Template>> {
                let row: Option<(String, String, String, ::chrono::DateTime<::chrono::Utc>, String)> =
                    ::sqlx::query_as(
                        "SELECT key, subject, body, updated_at, updated_by FROM message_templates WHERE key = $1",
                    )
                    .bind(key)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(row.map(|(key, subject, body, updated_at, updated_by)| $crate::Template {
                    key,
                    subject,
                    body,
                    updated_at,
                    updated_by,
                }))
            }

            async fn save_template(
                &self,
                actor: &$crate::Actor,
                key: &str,
                subject: &str,
                body: &str,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query(
                    "INSERT INTO message_templates (key, subject, body, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET \
                     subject = excluded.subject, body = excluded.body, \
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(key)
                .bind(subject)
                .bind(body)
                .bind(::chrono::Utc::now())
                .bind(&actor.label)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                Self::audit_tx(&mut tx, actor, "template.save", key.to_owned(), subject.to_owned()).await?;
                Self::commit(tx).await
            }

            async fn purge_personal_data(
                &self,
                actor: &$crate::Actor,
                cutoff: ::chrono::NaiveDate,
            ) -> $crate::StoreResult<u64> {
                let mut tx = self.begin().await?;
                let sent_cutoff = cutoff.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
                ::sqlx::query(
                    "DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < $1 \
                     AND correspondence_id IN (SELECT id FROM correspondence \
                       WHERE COALESCE(answered_on, received_on) < $2)",
                )
                .bind(sent_cutoff)
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                ::sqlx::query(
                    "DELETE FROM attachments WHERE correspondence_id IN \
                     (SELECT id FROM correspondence WHERE COALESCE(answered_on, received_on) < $1)",
                )
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let r = ::sqlx::query(
                    "UPDATE correspondence SET requester_name = '', requester_email = '', \
                     requester_address = '', body = '' WHERE COALESCE(answered_on, received_on) < $1 AND \
                     (requester_name <> '' OR requester_email <> '' OR requester_address <> '' OR body <> '')",
                )
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let n = r.rows_affected();
                if n > 0 {
                    Self::audit_tx(
                        &mut tx,
                        actor,
                        "correspondence.anonymise",
                        "registre du courrier".into(),
                        format!("{n} élément(s) clos avant le {cutoff} anonymisé(s)"),
                    )
                    .await?;
                }
                Self::commit(tx).await?;
                Ok(n)
            }

            async fn list_sampled_weeks(
                &self,
            ) -> $crate::StoreResult<Vec<(::chrono::NaiveDate, ::chrono::NaiveDate)>> {
                ::sqlx::query_as("SELECT start_date, end_date FROM sampled_weeks ORDER BY start_date")
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)
            }

            async fn add_sampled_week(
                &self,
                actor: &$crate::Actor,
                start: ::chrono::NaiveDate,
                end: ::chrono::NaiveDate,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query("INSERT INTO sampled_weeks (start_date, end_date) VALUES ($1, $2)")
                    .bind(start)
                    .bind(end)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| Self::violation(e, $crate::sql::OnViolation::GENERIC))?;
                Self::audit_tx(&mut tx, actor, "sampling.add", "échantillonnage".into(), format!("du {start} au {end}"))
                    .await?;
                Self::commit(tx).await
            }

            async fn remove_sampled_week(
                &self,
                actor: &$crate::Actor,
                start: ::chrono::NaiveDate,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let r = ::sqlx::query("DELETE FROM sampled_weeks WHERE start_date = $1")
                    .bind(start)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound("semaine échantillonnée"));
                }
                Self::audit_tx(&mut tx, actor, "sampling.remove", "échantillonnage".into(), format!("semaine du {start}"))
                    .await?;
                Self::commit(tx).await
            }

            async fn insert_log_entry(
                &self,
                actor: &$crate::Actor,
                site: ::qep_core::ids::SiteId,
                service: Option<::qep_core::ids::ServiceId>,
                e: &::qep_core::registers::log::LogEntry,
            ) -> $crate::StoreResult<i64> {
                let mut tx = self.begin().await?;
                let (id,): (i64,) = ::sqlx::query_as(
                    "INSERT INTO log_entries (register, site_id, service_id, started_on, first_on, \
                     second_on, category, minutes, label, flag, recorded_by, recorded_at, commitment) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(e.register.as_str())
                .bind(site.0)
                .bind(service.map(|s| s.0))
                .bind(e.started_on)
                .bind(e.first_on)
                .bind(e.second_on)
                .bind(&e.category)
                .bind(e.minutes.and_then(|m| i32::try_from(m).ok()))
                .bind(&e.label)
                .bind(e.flag)
                .bind(&actor.label)
                .bind(::chrono::Utc::now())
                .bind(e.commitment.map(i32::from))
                .fetch_one(&mut *tx)
                .await
                .map_err(|err| {
                    Self::violation(
                        err,
                        $crate::sql::OnViolation {
                            foreign_key: $crate::StoreError::NotFound("site ou service"),
                            ..$crate::sql::OnViolation::GENERIC
                        },
                    )
                })?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "log.add",
                    e.register.label().to_owned(),
                    format!("{} {}", e.started_on, e.label),
                )
                .await?;
                Self::commit(tx).await?;
                Ok(id)
            }

            async fn update_log_dates(
                &self,
                actor: &$crate::Actor,
                id: i64,
                first_on: Option<::chrono::NaiveDate>,
                second_on: Option<::chrono::NaiveDate>,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let register: Option<(String,)> = ::sqlx::query_as(
                    "UPDATE log_entries SET first_on = $1, second_on = $2 WHERE id = $3 RETURNING register",
                )
                .bind(first_on)
                .bind(second_on)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                let (register,) = register.ok_or($crate::StoreError::NotFound("entrée du registre"))?;
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "log.update",
                    register,
                    format!("entrée {id} : {first_on:?} / {second_on:?}"),
                )
                .await?;
                Self::commit(tx).await
            }

            async fn get_log_entry(&self, id: i64) -> $crate::StoreResult<$crate::StoredLogEntry> {
                let row = ::sqlx::query("SELECT * FROM log_entries WHERE id = $1")
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(Self::map_err)?
                    .ok_or($crate::StoreError::NotFound("entrée du registre"))?;
                Self::log_from_row(&row)
            }

            async fn list_log_entries(
                &self,
                register: Option<::qep_core::registers::log::LogRegister>,
                from: ::chrono::NaiveDate,
                to: ::chrono::NaiveDate,
            ) -> $crate::StoreResult<Vec<$crate::StoredLogEntry>> {
                let rows = match register {
                    Some(r) => ::sqlx::query(
                        "SELECT * FROM log_entries WHERE register = $1 AND started_on >= $2 \
                         AND started_on <= $3 ORDER BY started_on DESC, id DESC",
                    )
                    .bind(r.as_str())
                    .bind(from)
                    .bind(to)
                    .fetch_all(self.pool())
                    .await,
                    None => ::sqlx::query(
                        "SELECT * FROM log_entries WHERE started_on >= $1 AND started_on <= $2 \
                         ORDER BY started_on, id",
                    )
                    .bind(from)
                    .bind(to)
                    .fetch_all(self.pool())
                    .await,
                }
                .map_err(Self::map_err)?;
                rows.iter().map(Self::log_from_row).collect()
            }

            async fn claim_job_run(&self, job: &str, day: ::chrono::NaiveDate) -> $crate::StoreResult<bool> {
                let r = ::sqlx::query(
                    "INSERT INTO job_runs (job, day, at) VALUES ($1, $2, $3) ON CONFLICT (job, day) DO NOTHING",
                )
                .bind(job)
                .bind(day)
                .bind(::chrono::Utc::now())
                .execute(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn register_rows(
                &self,
                from: ::chrono::NaiveDate,
                to: ::chrono::NaiveDate,
            ) -> $crate::StoreResult<Vec<$crate::RegisterRow>> {
                use ::qep_core::registers::correspondence as c;
                let rows: Vec<(i64, String, String, ::chrono::NaiveDate, Option<::chrono::NaiveDate>, i32)> =
                    ::sqlx::query_as(
                        "SELECT site_id, channel, kind, received_on, answered_on, deadline_days \
                         FROM correspondence WHERE in_scope = $1 AND received_on >= $2 AND received_on <= $3",
                    )
                    .bind(true)
                    .bind(from)
                    .bind(to)
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                rows.into_iter()
                    .map(|(site, channel, kind, received_on, answered_on, days)| {
                        let corrupt = |e: c::CorrespondenceError| $crate::StoreError::Corrupt(e.to_string());
                        Ok($crate::RegisterRow {
                            site: ::qep_core::ids::SiteId(site),
                            channel: c::Channel::parse(&channel).map_err(corrupt)?,
                            kind: c::Kind::parse(&kind).map_err(corrupt)?,
                            received_on,
                            answered_on,
                            deadline_days: u32::try_from(days).unwrap_or(0),
                        })
                    })
                    .collect()
            }

            async fn save_facts(
                &self,
                actor: &$crate::Actor,
                file: &$crate::ImportFile,
                rows: u64,
                facts: &[::qep_core::indicators::imported::Fact],
            ) -> $crate::StoreResult<$crate::SaveOutcome> {
                let now = ::chrono::Utc::now();
                let mut tx = self.begin().await?;
                let rows_read = usize::try_from(rows).unwrap_or(usize::MAX);
                let import_id = match Self::record_import(&mut tx, actor, file, rows_read, now).await? {
                    Ok(id) => id,
                    Err(outcome) => return Ok(outcome),
                };
                for f in facts {
                    ::sqlx::query(
                        "INSERT INTO imported_facts (source, period, key, measure, value, import_id) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (source, period, key, measure) DO UPDATE SET \
                         value = excluded.value, import_id = excluded.import_id",
                    )
                    .bind(f.source.as_str())
                    .bind(f.period.to_string())
                    .bind(&f.key)
                    .bind(f.measure.as_str())
                    .bind(f.value)
                    .bind(import_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                }
                Self::audit_tx(
                    &mut tx,
                    actor,
                    "import.file",
                    format!("import {}", file.kind),
                    format!("{} : {rows} ligne(s), {} donnée(s)", file.file_name, facts.len()),
                )
                .await?;
                Self::commit(tx).await?;
                Ok($crate::SaveOutcome::Saved { rows: facts.len() })
            }

            async fn list_facts(
                &self,
                year: i32,
            ) -> $crate::StoreResult<Vec<::qep_core::indicators::imported::Fact>> {
                use ::qep_core::indicators::imported::{Fact, FactPeriod, FactSource, Measure};
                let rows: Vec<(String, String, String, String, f64)> = ::sqlx::query_as(
                    "SELECT source, period, key, measure, value FROM imported_facts \
                     WHERE period >= $1 AND period < $2 ORDER BY source, period, key, measure",
                )
                .bind(year.to_string())
                .bind((year + 1).to_string())
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                rows.into_iter()
                    .map(|(source, period, key, measure, value)| {
                        let corrupt = || {
                            $crate::StoreError::Corrupt(format!(
                                "donnée importée illisible : {source} {period} {key} {measure}"
                            ))
                        };
                        Ok(Fact {
                            source: FactSource::parse(&source).ok_or_else(corrupt)?,
                            period: FactPeriod::parse(&period).ok_or_else(corrupt)?,
                            measure: Measure::parse(&measure).ok_or_else(corrupt)?,
                            key,
                            value,
                        })
                    })
                    .collect()
            }

            async fn list_imports(
                &self,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::ImportRecord>> {
                let rows: Vec<(i64, String, String, i64, String, ::chrono::DateTime<::chrono::Utc>)> =
                    ::sqlx::query_as(
                        "SELECT id, kind, file_name, rows, imported_by, imported_at FROM imports \
                         ORDER BY id DESC LIMIT $1",
                    )
                    .bind(i64::from(limit))
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(id, kind, file_name, rows, imported_by, imported_at)| $crate::ImportRecord {
                        id,
                        kind,
                        file_name,
                        rows,
                        imported_by,
                        imported_at,
                    })
                    .collect())
            }

            async fn list_mappings(&self) -> $crate::StoreResult<Vec<$crate::SavedMapping>> {
                let rows: Vec<(String, String, String, String, ::chrono::DateTime<::chrono::Utc>)> =
                    ::sqlx::query_as(
                        "SELECT name, source, definition, updated_by, updated_at \
                         FROM import_mappings ORDER BY name",
                    )
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(name, source, definition, updated_by, updated_at)| $crate::SavedMapping {
                        name,
                        source,
                        definition,
                        updated_by,
                        updated_at,
                    })
                    .collect())
            }

            async fn save_mapping(
                &self,
                actor: &$crate::Actor,
                name: &str,
                source: &str,
                definition: &str,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query(
                    "INSERT INTO import_mappings (name, source, definition, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET \
                     source = excluded.source, definition = excluded.definition, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(name)
                .bind(source)
                .bind(definition)
                .bind(&actor.label)
                .bind(::chrono::Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
                Self::audit_tx(&mut tx, actor, "mapping.save", format!("modèle {name}"), format!("source {source}"))
                    .await?;
                Self::commit(tx).await
            }

            async fn delete_mapping(&self, actor: &$crate::Actor, name: &str) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                let r = ::sqlx::query("DELETE FROM import_mappings WHERE name = $1")
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound("modèle de correspondance"));
                }
                Self::audit_tx(&mut tx, actor, "mapping.delete", format!("modèle {name}"), String::new())
                    .await?;
                Self::commit(tx).await
            }

            async fn report_texts(&self, year: i32) -> $crate::StoreResult<Vec<(String, String)>> {
                ::sqlx::query_as("SELECT section, body FROM report_texts WHERE year = $1 ORDER BY section")
                    .bind(year)
                    .fetch_all(self.pool())
                    .await
                    .map_err(Self::map_err)
            }

            async fn save_report_texts(
                &self,
                actor: &$crate::Actor,
                year: i32,
                texts: &[(String, String)],
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin().await?;
                ::sqlx::query("DELETE FROM report_texts WHERE year = $1")
                    .bind(year)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::map_err)?;
                for (section, body) in texts.iter().filter(|(_, b)| !b.trim().is_empty()) {
                    ::sqlx::query(
                        "INSERT INTO report_texts (year, section, body, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(year)
                    .bind(section)
                    .bind(body)
                    .bind(&actor.label)
                    .bind(::chrono::Utc::now())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| Self::violation(e, $crate::sql::OnViolation::GENERIC))?;
                }
                Self::audit_tx(&mut tx, actor, "report.texts", format!("bilan {year}"), format!("{} texte(s)", texts.len()))
                    .await?;
                Self::commit(tx).await
            }

            async fn list_audit(
                &self,
                limit: u32,
                before: Option<i64>,
            ) -> $crate::StoreResult<Vec<$crate::AuditEntry>> {
                let rows: Vec<(
                    i64,
                    ::chrono::DateTime<::chrono::Utc>,
                    Option<i64>,
                    String,
                    String,
                    String,
                    String,
                )> = ::sqlx::query_as(
                    "SELECT id, at, actor_id, actor, action, target, detail FROM audit_log \
                     WHERE id < $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await
                .map_err(Self::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|r| $crate::AuditEntry {
                        id: r.0,
                        at: r.1,
                        actor_id: r.2.map(::qep_core::ids::UserId),
                        actor: r.3,
                        action: r.4,
                        target: r.5,
                        detail: r.6,
                    })
                    .collect())
            }
        }
    };
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
/// `StoreResult<sqlx::migrate::Migrator>`. A macro, like [`impl_sql_store!`], so that this
/// crate stays free of sqlx. Files are embedded with `include_str!` rather than sqlx's
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
        id: r.0,
        to: r.1,
        subject: r.2,
        body: r.3,
        attempts: u32::try_from(r.4).unwrap_or(0),
        created_at: r.5,
        sender: r.6,
        reply_to: r.7,
        automatic: r.8,
        correspondence_id: r.9,
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
        id: r.0,
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
