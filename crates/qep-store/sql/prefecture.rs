//! The prefecture, its sites and services, and the sites' calendars: the SQL behind [`qep_store::PrefectureStore`], shared by both backends.

use crate::{Db, SqlStore};

#[async_trait::async_trait]
impl qep_store::PrefectureStore for SqlStore {
    async fn find_prefecture(
        &self,
    ) -> qep_store::StoreResult<Option<qep_core::prefecture::PrefectureSettings>> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT name, department, referentiel FROM prefecture WHERE id = $1")
                .bind(self.p())
                .fetch_optional(self.pool())
                .await
                .map_err(Self::map_err)?;
        let Some((name, department, referentiel)) = row else {
            return Ok(None);
        };
        let modules: Vec<(i32,)> = sqlx::query_as(
            "SELECT module FROM scope_modules WHERE prefecture_id = $1 ORDER BY module",
        )
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        let modules: Vec<u8> = modules
            .into_iter()
            .filter_map(|(m,)| u8::try_from(m).ok())
            .collect();
        qep_core::prefecture::PrefectureSettings::new(&name, &department, &referentiel, &modules)
            .map(Some)
            .map_err(|e| qep_store::StoreError::Corrupt(e.to_string()))
    }

    async fn init_prefecture(
        &self,
        actor: &qep_store::Actor,
        s: &qep_core::prefecture::PrefectureSettings,
        sites: &[qep_core::prefecture::SiteDraft],
    ) -> qep_store::StoreResult<Vec<qep_core::prefecture::Site>> {
        let mut tx = self.begin().await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM prefecture WHERE id = $1")
            .bind(self.p())
            .fetch_optional(&mut *tx)
            .await
            .map_err(Self::map_err)?;
        if exists.is_some() {
            return Err(qep_store::StoreError::Conflict(
                qep_store::Conflict::AlreadyInitialised,
            ));
        }
        self.write_prefecture(&mut tx, s).await?;
        self.audit_tx(
            &mut tx,
            actor,
            "prefecture.init",
            "préfecture".into(),
            qep_store::sql::describe_prefecture(s),
        )
        .await?;
        let mut created = Vec::with_capacity(sites.len());
        for site in sites {
            created.push(self.insert_site_tx(&mut tx, actor, site).await?);
        }
        Self::commit(tx).await?;
        Ok(created)
    }

    async fn update_prefecture(
        &self,
        actor: &qep_store::Actor,
        s: &qep_core::prefecture::PrefectureSettings,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        self.write_prefecture(&mut tx, s).await?;
        self.commit_audited(
            tx,
            actor,
            "prefecture.update",
            "préfecture".into(),
            qep_store::sql::describe_prefecture(s),
        )
        .await
    }

    async fn list_sites(&self) -> qep_store::StoreResult<Vec<qep_core::prefecture::Site>> {
        let rows: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, name, kind, address, time_zone FROM sites WHERE prefecture_id = $1 \
                 ORDER BY id",
        )
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        rows.into_iter().map(Self::site_from_row).collect()
    }

    async fn insert_site(
        &self,
        actor: &qep_store::Actor,
        site: &qep_core::prefecture::SiteDraft,
    ) -> qep_store::StoreResult<qep_core::prefecture::Site> {
        let mut tx = self.begin().await?;
        let created = self.insert_site_tx(&mut tx, actor, site).await?;
        Self::commit(tx).await?;
        Ok(created)
    }

    async fn update_site(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::SiteId,
        site: &qep_core::prefecture::SiteDraft,
    ) -> qep_store::StoreResult<qep_core::prefecture::Site> {
        let mut tx = self.begin().await?;
        let row: Option<(i64, String, String, String, Option<String>)> = sqlx::query_as(
            "UPDATE sites SET name = $1, kind = $2, address = $3, time_zone = $4 \
             WHERE id = $5 AND prefecture_id = $6 RETURNING id, name, kind, address, time_zone",
        )
        .bind(&site.name)
        .bind(site.kind.as_str())
        .bind(&site.address)
        .bind(site.time_zone.map(|z| z.name()))
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let updated = Self::site_from_row(row.ok_or(qep_store::StoreError::NotFound("site"))?)?;
        self.commit_audited(
            tx,
            actor,
            "site.update",
            format!("site {id}"),
            qep_store::sql::describe_site(site),
        )
        .await?;
        Ok(updated)
    }

    async fn delete_site(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::SiteId,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        // Say what still refers to the site rather than which constraint failed.
        for (table, conflict) in [
            ("services", qep_store::Conflict::SiteHasServices),
            ("correspondence", qep_store::Conflict::SiteHasItems),
            ("log_entries", qep_store::Conflict::SiteHasLogEntries),
            ("indicator_values", qep_store::Conflict::SiteHasValues),
        ] {
            let used: Option<(i32,)> = sqlx::query_as(&format!(
                "SELECT 1 FROM {table} WHERE prefecture_id = $1 AND site_id = $2 LIMIT 1"
            ))
            .bind(self.p())
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(Self::map_err)?;
            if used.is_some() {
                return Err(qep_store::StoreError::Conflict(conflict));
            }
        }
        let name: Option<(String,)> =
            sqlx::query_as("DELETE FROM sites WHERE id = $1 AND prefecture_id = $2 RETURNING name")
                .bind(id.0)
                .bind(self.p())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| Self::violation(e, qep_store::sql::OnViolation::GENERIC))?;
        let (name,) = name.ok_or(qep_store::StoreError::NotFound("site"))?;
        self.commit_audited(tx, actor, "site.delete", format!("site {id}"), name)
            .await
    }

    async fn list_services(&self) -> qep_store::StoreResult<Vec<qep_core::prefecture::Service>> {
        let rows: Vec<(i64, String, String, i64, bool, Option<String>)> = sqlx::query_as(
            "SELECT id, name, code, site_id, in_scope, email FROM services \
             WHERE prefecture_id = $1 ORDER BY id",
        )
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows.into_iter().map(Self::service_from_row).collect())
    }

    async fn insert_service(
        &self,
        actor: &qep_store::Actor,
        s: &qep_core::prefecture::ServiceDraft,
    ) -> qep_store::StoreResult<qep_core::prefecture::Service> {
        let mut tx = self.begin().await?;
        let row: (i64, String, String, i64, bool, Option<String>) = sqlx::query_as(
            "INSERT INTO services (name, code, site_id, in_scope, email, prefecture_id) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, name, code, site_id, in_scope, email",
        )
        .bind(&s.name)
        .bind(&s.code)
        .bind(s.site_id.0)
        .bind(s.in_scope)
        .bind(s.email.as_deref())
        .bind(self.p())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("site"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        let created = Self::service_from_row(row);
        self.commit_audited(
            tx,
            actor,
            "service.create",
            format!("service {}", created.id),
            qep_store::sql::describe_service(s),
        )
        .await?;
        Ok(created)
    }

    async fn update_service(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::ServiceId,
        s: &qep_core::prefecture::ServiceDraft,
    ) -> qep_store::StoreResult<qep_core::prefecture::Service> {
        let mut tx = self.begin().await?;
        let row: Option<(i64, String, String, i64, bool, Option<String>)> = sqlx::query_as(
            "UPDATE services SET name = $1, code = $2, site_id = $3, in_scope = $4, email = $5 \
             WHERE id = $6 AND prefecture_id = $7 RETURNING id, name, code, site_id, in_scope, email",
        )
        .bind(&s.name)
        .bind(&s.code)
        .bind(s.site_id.0)
        .bind(s.in_scope)
        .bind(s.email.as_deref())
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("site"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        let updated =
            Self::service_from_row(row.ok_or(qep_store::StoreError::NotFound("service"))?);
        self.commit_audited(
            tx,
            actor,
            "service.update",
            format!("service {id}"),
            qep_store::sql::describe_service(s),
        )
        .await?;
        Ok(updated)
    }

    async fn delete_service(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::ServiceId,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        // Its items and log entries stay, without a service.
        for sql in [
            "DELETE FROM user_services WHERE prefecture_id = $1 AND service_id = $2",
            "UPDATE correspondence SET service_id = NULL WHERE prefecture_id = $1 AND service_id = $2",
            "UPDATE log_entries SET service_id = NULL WHERE prefecture_id = $1 AND service_id = $2",
        ] {
            sqlx::query(sql)
                .bind(self.p())
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
        }
        let name: Option<(String,)> = sqlx::query_as(
            "DELETE FROM services WHERE id = $1 AND prefecture_id = $2 RETURNING name",
        )
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| Self::violation(e, qep_store::sql::OnViolation::GENERIC))?;
        let (name,) = name.ok_or(qep_store::StoreError::NotFound("service"))?;
        self.commit_audited(tx, actor, "service.delete", format!("service {id}"), name)
            .await
    }

    async fn site_calendar(
        &self,
        site: qep_core::ids::SiteId,
    ) -> qep_store::StoreResult<qep_store::SiteCalendar> {
        let mut conn = self.pool().acquire().await.map_err(Self::map_err)?;
        self.site_calendar_in(&mut conn, site).await
    }

    async fn insert_closure(
        &self,
        actor: &qep_store::Actor,
        site: qep_core::ids::SiteId,
        c: &qep_core::calendar::Closure,
    ) -> qep_store::StoreResult<qep_core::ids::CalendarEntryId> {
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO site_closures (site_id, start_date, end_date, reason, recorded_on, \
             removed_on, prefecture_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(site.0)
        .bind(c.start)
        .bind(c.end)
        .bind(&c.reason)
        .bind(c.recorded_on)
        .bind(c.removed_on)
        .bind(self.p())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("site"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        self.audit_tx(
            &mut tx,
            actor,
            "calendar.closure.add",
            format!("site {site}"),
            format!("fermeture du {} au {} : {}", c.start, c.end, c.reason),
        )
        .await?;
        self.recompute_due_dates_tx(&mut tx, actor, site, c.recorded_on)
            .await?;
        Self::commit(tx).await?;
        Ok(qep_core::ids::CalendarEntryId(id))
    }

    async fn insert_site_holiday(
        &self,
        actor: &qep_store::Actor,
        site: qep_core::ids::SiteId,
        h: &qep_store::HolidaySetting,
    ) -> qep_store::StoreResult<qep_core::ids::CalendarEntryId> {
        let (mode, holiday, first_year, last_year, reason, recorded_on, removed_on) = match h {
            qep_store::HolidaySetting::Worked(w) => (
                "worked",
                w.holiday,
                w.first_year,
                w.last_year,
                w.reason.clone(),
                w.recorded_on,
                w.removed_on,
            ),
            qep_store::HolidaySetting::Extra(x) => (
                "extra",
                x.holiday,
                x.first_year,
                x.last_year,
                String::new(),
                x.recorded_on,
                x.removed_on,
            ),
        };
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO site_holidays (site_id, mode, holiday, first_year, last_year, \
             reason, recorded_on, removed_on, prefecture_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(site.0)
        .bind(mode)
        .bind(holiday.as_str())
        .bind(first_year)
        .bind(last_year)
        .bind(&reason)
        .bind(recorded_on)
        .bind(removed_on)
        .bind(self.p())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("site"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        self.audit_tx(
            &mut tx,
            actor,
            if mode == "worked" {
                "calendar.worked_holiday.add"
            } else {
                "calendar.local_holiday.add"
            },
            format!("site {site}"),
            format!("{} {reason}", holiday.name()).trim().to_owned(),
        )
        .await?;
        self.recompute_due_dates_tx(&mut tx, actor, site, recorded_on)
            .await?;
        Self::commit(tx).await?;
        Ok(qep_core::ids::CalendarEntryId(id))
    }

    async fn withdraw_calendar_entry(
        &self,
        actor: &qep_store::Actor,
        site: qep_core::ids::SiteId,
        entry: qep_store::CalendarEntry,
        on: chrono::NaiveDate,
    ) -> qep_store::StoreResult<()> {
        let (sql, id, action) = match entry {
            qep_store::CalendarEntry::Closure(id) => (
                "UPDATE site_closures SET removed_on = $1 \
                 WHERE id = $2 AND site_id = $3 AND prefecture_id = $4 AND removed_on IS NULL \
                 RETURNING reason",
                id,
                "calendar.closure.withdraw",
            ),
            qep_store::CalendarEntry::Holiday(id) => (
                "UPDATE site_holidays SET removed_on = $1 \
                 WHERE id = $2 AND site_id = $3 AND prefecture_id = $4 AND removed_on IS NULL \
                 RETURNING holiday",
                id,
                "calendar.holiday.withdraw",
            ),
        };
        let mut tx = self.begin().await?;
        let what: Option<(String,)> = sqlx::query_as(sql)
            .bind(on)
            .bind(id.0)
            .bind(site.0)
            .bind(self.p())
            .fetch_optional(&mut *tx)
            .await
            .map_err(Self::map_err)?;
        let (what,) = what.ok_or(qep_store::StoreError::NotFound("entrée du calendrier"))?;
        self.audit_tx(
            &mut tx,
            actor,
            action,
            format!("site {site}"),
            format!("{what} (retiré le {on})"),
        )
        .await?;
        self.recompute_due_dates_tx(&mut tx, actor, site, on)
            .await?;
        Self::commit(tx).await
    }
}

impl SqlStore {
    pub(crate) async fn site_calendar_in(
        &self,
        conn: &mut <Db as sqlx::Database>::Connection,
        site: qep_core::ids::SiteId,
    ) -> qep_store::StoreResult<qep_store::SiteCalendar> {
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM sites WHERE id = $1 AND prefecture_id = $2")
                .bind(site.0)
                .bind(self.p())
                .fetch_optional(&mut *conn)
                .await
                .map_err(Self::map_err)?;
        exists.ok_or(qep_store::StoreError::NotFound("site"))?;
        type D = chrono::NaiveDate;
        let closures: Vec<(i64, D, D, String, D, Option<D>)> = sqlx::query_as(
            "SELECT id, start_date, end_date, reason, recorded_on, removed_on \
             FROM site_closures WHERE site_id = $1 AND prefecture_id = $2 \
             ORDER BY start_date, id",
        )
        .bind(site.0)
        .bind(self.p())
        .fetch_all(&mut *conn)
        .await
        .map_err(Self::map_err)?;
        type HolidayRow = (
            i64,
            String,
            String,
            Option<i32>,
            Option<i32>,
            String,
            D,
            Option<D>,
        );
        let holidays: Vec<HolidayRow> = sqlx::query_as(
            "SELECT id, mode, holiday, first_year, last_year, reason, recorded_on, \
             removed_on FROM site_holidays WHERE site_id = $1 AND prefecture_id = $2 ORDER BY id",
        )
        .bind(site.0)
        .bind(self.p())
        .fetch_all(&mut *conn)
        .await
        .map_err(Self::map_err)?;
        let mut calendar = qep_store::SiteCalendar {
            closures: closures
                .into_iter()
                .map(
                    |(id, start, end, reason, recorded_on, removed_on)| qep_store::Stored {
                        id: qep_core::ids::CalendarEntryId(id),
                        item: qep_core::calendar::Closure {
                            start,
                            end,
                            reason,
                            recorded_on,
                            removed_on,
                        },
                    },
                )
                .collect(),
            ..Default::default()
        };
        for (id, mode, holiday, first_year, last_year, reason, recorded_on, removed_on) in holidays
        {
            let holiday = qep_core::calendar::HolidayKind::parse(&holiday)
                .map_err(|e| qep_store::StoreError::Corrupt(e.to_string()))?;
            if mode == "worked" {
                calendar.worked_holidays.push(qep_store::Stored {
                    id: qep_core::ids::CalendarEntryId(id),
                    item: qep_core::calendar::WorkedHoliday {
                        holiday,
                        first_year,
                        last_year,
                        reason,
                        recorded_on,
                        removed_on,
                    },
                });
            } else {
                calendar.extra_holidays.push(qep_store::Stored {
                    id: qep_core::ids::CalendarEntryId(id),
                    item: qep_core::calendar::ExtraHoliday {
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

    pub(crate) fn site_from_row(
        row: (i64, String, String, String, Option<String>),
    ) -> qep_store::StoreResult<qep_core::prefecture::Site> {
        Ok(qep_core::prefecture::Site {
            id: qep_core::ids::SiteId(row.0),
            name: row.1,
            kind: qep_core::prefecture::SiteKind::parse(&row.2)
                .map_err(|e| qep_store::StoreError::Corrupt(e.to_string()))?,
            address: row.3,
            time_zone: row
                .4
                .as_deref()
                .map(qep_core::time::parse_zone)
                .transpose()
                .map_err(qep_store::StoreError::Corrupt)?,
        })
    }

    pub(crate) fn service_from_row(
        row: (i64, String, String, i64, bool, Option<String>),
    ) -> qep_core::prefecture::Service {
        qep_core::prefecture::Service {
            id: qep_core::ids::ServiceId(row.0),
            name: row.1,
            code: row.2,
            site_id: qep_core::ids::SiteId(row.3),
            in_scope: row.4,
            email: row.5,
        }
    }

    /// Inserts a site in `tx`, with its audit entry.
    pub(crate) async fn insert_site_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        actor: &qep_store::Actor,
        site: &qep_core::prefecture::SiteDraft,
    ) -> qep_store::StoreResult<qep_core::prefecture::Site> {
        let row: (i64, String, String, String, Option<String>) = sqlx::query_as(
            "INSERT INTO sites (name, kind, address, time_zone, prefecture_id) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, name, kind, address, time_zone",
        )
        .bind(&site.name)
        .bind(site.kind.as_str())
        .bind(&site.address)
        .bind(site.time_zone.map(|z| z.name()))
        .bind(self.p())
        .fetch_one(&mut **tx)
        .await
        .map_err(Self::map_err)?;
        let created = Self::site_from_row(row)?;
        self.audit_tx(
            tx,
            actor,
            "site.create",
            format!("site {}", created.id),
            qep_store::sql::describe_site(site),
        )
        .await?;
        Ok(created)
    }

    pub(crate) async fn write_prefecture(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        s: &qep_core::prefecture::PrefectureSettings,
    ) -> qep_store::StoreResult<()> {
        sqlx::query(
            "INSERT INTO prefecture (id, name, department, referentiel, updated_at) \
             VALUES ($5, $1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             department = excluded.department, referentiel = excluded.referentiel, \
             updated_at = excluded.updated_at",
        )
        .bind(&s.name)
        .bind(s.department.code())
        .bind(&s.scope.referentiel)
        .bind(chrono::Utc::now())
        .bind(self.p())
        .execute(&mut **tx)
        .await
        .map_err(Self::map_err)?;
        sqlx::query("DELETE FROM scope_modules WHERE prefecture_id = $1")
            .bind(self.p())
            .execute(&mut **tx)
            .await
            .map_err(Self::map_err)?;
        for m in &s.scope.modules {
            sqlx::query("INSERT INTO scope_modules (module, prefecture_id) VALUES ($1, $2)")
                .bind(i32::from(*m))
                .bind(self.p())
                .execute(&mut **tx)
                .await
                .map_err(Self::map_err)?;
        }
        Ok(())
    }
}
