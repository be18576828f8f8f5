//! The registers: correspondence items and their attachments, log registers, sampled weeks, personal-data retention: the SQL behind [`qep_store::RegisterStore`], shared by both backends.

use crate::{Db, DbRow, SqlStore};

/// The reference of the `n`-th item registered in `year`: `2024-000042`.
fn reference_of(year: i32, n: i64) -> String {
    format!("{year}-{n:06}")
}

/// The register's columns an insert writes, in the order `items_values` binds them.
const ITEM_COLUMNS: &str = "reference, channel, kind, site_id, service_id, received_at, \
    received_on, registered_at, deadline_days, due_on, requester_name, requester_email, \
    requester_address, subject, in_scope, out_of_scope, answered_on, answer, registered_by, \
    body, prefecture_id";

#[async_trait::async_trait]
impl qep_store::RegisterStore for SqlStore {
    async fn insert_correspondence(
        &self,
        actor: &qep_store::Actor,
        items: &[qep_store::NewCorrespondence],
    ) -> qep_store::StoreResult<Vec<qep_core::ids::ItemId>> {
        use chrono::Datelike as _;
        let now = chrono::Utc::now();
        let mut conn = self.pool().acquire().await.map_err(Self::map_err)?;
        // A large batch of items that bring their reference (an import) is staged first,
        // so that the write transaction below only copies it: on SQLite the write lock
        // is then held a fraction of the import, and citizens and agents do not wait.
        let brought: Vec<(&qep_store::NewCorrespondence, &str, &str)> = items
            .iter()
            .filter_map(|i| Some((i, i.reference.as_deref()?, "")))
            .collect();
        let staged = brought.len() > qep_store::sql::ITEMS_PER_INSERT;
        if staged {
            self.stage_items(&mut conn, &brought, actor, now).await?;
        }
        let mut tx = sqlx::Connection::begin_with(&mut *conn, Self::BEGIN_WRITE)
            .await
            .map_err(Self::map_err)?;
        let mut ids = Vec::new();
        if staged {
            let copied: Vec<(i64,)> = sqlx::query_as(&format!(
                "INSERT INTO correspondence ({ITEM_COLUMNS}) SELECT {ITEM_COLUMNS} \
                 FROM staged_items WHERE true ON CONFLICT (prefecture_id, reference) DO NOTHING \
                 RETURNING id"
            ))
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| {
                Self::violation(
                    e,
                    qep_store::sql::OnViolation {
                        foreign_key: qep_store::StoreError::NotFound("site ou service"),
                        ..qep_store::sql::OnViolation::GENERIC
                    },
                )
            })?;
            ids.extend(copied.into_iter().map(|(id,)| id));
        }
        // Items that bring no reference are numbered in their year, a block of numbers
        // reserved per year with one statement; then every item goes in multi-row
        // INSERTs chunked under SQLite's bind-variable limit.
        let direct: Vec<&qep_store::NewCorrespondence> = items
            .iter()
            .filter(|i| !staged || i.reference.is_none())
            .collect();
        let mut years: std::collections::BTreeMap<i32, i64> = Default::default();
        for item in direct.iter().filter(|i| i.reference.is_none()) {
            *years.entry(item.received_on.year()).or_default() += 1;
        }
        let mut next: std::collections::BTreeMap<i32, i64> = Default::default();
        for (year, n) in years {
            next.insert(year, self.reserve_references(&mut tx, year, n).await?);
        }
        let references: Vec<String> = direct
            .iter()
            .map(|item| match &item.reference {
                Some(r) => r.clone(),
                None => {
                    let year = item.received_on.year();
                    let n = next.entry(year).or_insert(1);
                    let reference = reference_of(year, *n);
                    *n += 1;
                    reference
                }
            })
            .collect();
        let rows: Vec<_> = direct
            .iter()
            .zip(&references)
            .map(|(item, reference)| (*item, reference.as_str(), ""))
            .collect();
        for chunk in rows.chunks(qep_store::sql::ITEMS_PER_INSERT) {
            ids.extend(self.insert_items_tx(&mut tx, chunk, actor, now).await?);
        }
        ids.sort_unstable();
        let detail = if items.len() == 1 {
            format!("{} ({})", ids.len(), items[0].kind.label())
        } else {
            format!("{} élément(s) ajouté(s) sur {}", ids.len(), items.len())
        };
        self.audit_tx(
            &mut tx,
            actor,
            "correspondence.register",
            "registre du courrier".into(),
            detail,
        )
        .await?;
        tx.commit().await.map_err(Self::map_err)?;
        if staged {
            sqlx::query("DROP TABLE staged_items")
                .execute(&mut *conn)
                .await
                .map_err(Self::map_err)?;
        }
        Ok(ids.into_iter().map(qep_core::ids::ItemId).collect())
    }

    async fn get_correspondence(
        &self,
        id: qep_core::ids::ItemId,
    ) -> qep_store::StoreResult<qep_store::Correspondence> {
        let row = sqlx::query("SELECT * FROM correspondence WHERE id = $1 AND prefecture_id = $2")
            .bind(id.0)
            .bind(self.p())
            .fetch_optional(self.pool())
            .await
            .map_err(Self::map_err)?
            .ok_or(qep_store::StoreError::NotFound("élément du registre"))?;
        Self::correspondence_from_row(&row)
    }

    async fn for_each_received(
        &self,
        from: chrono::NaiveDate,
        until: chrono::NaiveDate,
        visit: &mut (dyn FnMut(qep_store::Correspondence) -> qep_store::StoreResult<()> + Send),
    ) -> qep_store::StoreResult<u64> {
        use futures_util::TryStreamExt as _;
        let mut rows = sqlx::query(
            "SELECT * FROM correspondence WHERE prefecture_id = $1 \
             AND received_on >= $2 AND received_on < $3 ORDER BY received_at, reference",
        )
        .bind(self.p())
        .bind(from)
        .bind(until)
        .fetch(self.pool());
        let mut n = 0;
        while let Some(row) = rows.try_next().await.map_err(Self::map_err)? {
            visit(Self::correspondence_from_row(&row)?)?;
            n += 1;
        }
        Ok(n)
    }

    async fn list_correspondence(
        &self,
        q: &qep_store::CorrespondenceQuery,
    ) -> qep_store::StoreResult<Vec<qep_store::Correspondence>> {
        let mut sql =
            sqlx::QueryBuilder::<Db>::new("SELECT * FROM correspondence WHERE prefecture_id = ");
        sql.push_bind(self.p());
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
            sql.push(" AND answered_on IS NULL AND in_scope = ")
                .push_bind(true);
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
        if q.limit > 0 || q.offset > 0 {
            let limit = if q.limit > 0 {
                i64::from(q.limit)
            } else {
                i64::MAX
            };
            sql.push(" LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(i64::from(q.offset));
        }
        let rows = sql
            .build()
            .fetch_all(self.pool())
            .await
            .map_err(Self::map_err)?;
        rows.iter().map(Self::correspondence_from_row).collect()
    }

    async fn answer_correspondence(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::ItemId,
        on: chrono::NaiveDate,
        answer: qep_core::registers::correspondence::AnswerType,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let reference: Option<(String,)> = sqlx::query_as(
            "UPDATE correspondence SET answered_on = $1, answer = $2 \
             WHERE id = $3 AND prefecture_id = $4 RETURNING reference",
        )
        .bind(on)
        .bind(answer.as_str())
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (reference,) =
            reference.ok_or(qep_store::StoreError::NotFound("élément du registre"))?;
        self.commit_audited(
            tx,
            actor,
            "correspondence.answer",
            reference,
            format!("{} le {on}", answer.label()),
        )
        .await
    }

    async fn answer_by_mail(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::ItemId,
        on: chrono::NaiveDate,
        answer: qep_core::registers::correspondence::AnswerType,
        mail: &qep_store::NewMail,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let reference: Option<(String,)> = sqlx::query_as(
            "UPDATE correspondence SET answered_on = $1, answer = $2 \
             WHERE id = $3 AND prefecture_id = $4 RETURNING reference",
        )
        .bind(on)
        .bind(answer.as_str())
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (reference,) =
            reference.ok_or(qep_store::StoreError::NotFound("élément du registre"))?;
        self.enqueue_tx(&mut tx, mail, chrono::Utc::now()).await?;
        self.commit_audited(
            tx,
            actor,
            "correspondence.answer",
            reference,
            format!("{} le {on}, par courriel", answer.label()),
        )
        .await
    }

    async fn insert_attachment(
        &self,
        actor: &qep_store::Actor,
        item: qep_core::ids::ItemId,
        file_name: &str,
        content_type: &str,
        data: &[u8],
    ) -> qep_store::StoreResult<qep_core::ids::AttachmentId> {
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO attachments (correspondence_id, file_name, content_type, size, data, \
             uploaded_at, uploaded_by, prefecture_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(item.0)
        .bind(file_name)
        .bind(content_type)
        .bind(i64::try_from(data.len()).unwrap_or(i64::MAX))
        .bind(data)
        .bind(chrono::Utc::now())
        .bind(&actor.label)
        .bind(self.p())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("élément du registre"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        self.commit_audited(
            tx,
            actor,
            "correspondence.attach",
            format!("élément {item}"),
            format!("{file_name} ({} octets)", data.len()),
        )
        .await?;
        Ok(qep_core::ids::AttachmentId(id))
    }

    async fn list_attachments(
        &self,
        item: qep_core::ids::ItemId,
    ) -> qep_store::StoreResult<Vec<qep_store::Attachment>> {
        let rows: Vec<(
            i64,
            i64,
            String,
            String,
            i64,
            chrono::DateTime<chrono::Utc>,
            String,
        )> = sqlx::query_as(
            "SELECT id, correspondence_id, file_name, content_type, size, uploaded_at, \
             uploaded_by FROM attachments WHERE correspondence_id = $1 AND prefecture_id = $2 \
             ORDER BY id",
        )
        .bind(item.0)
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows
            .into_iter()
            .map(|r| qep_store::Attachment {
                id: qep_core::ids::AttachmentId(r.0),
                correspondence_id: qep_core::ids::ItemId(r.1),
                file_name: r.2,
                content_type: r.3,
                size: u64::try_from(r.4).unwrap_or(0),
                uploaded_at: r.5,
                uploaded_by: r.6,
            })
            .collect())
    }

    async fn get_attachment(
        &self,
        id: qep_core::ids::AttachmentId,
    ) -> qep_store::StoreResult<(qep_store::Attachment, Vec<u8>)> {
        let row: Option<(
            i64,
            i64,
            String,
            String,
            i64,
            chrono::DateTime<chrono::Utc>,
            String,
            Vec<u8>,
        )> = sqlx::query_as(
            "SELECT id, correspondence_id, file_name, content_type, size, uploaded_at, \
             uploaded_by, data FROM attachments WHERE id = $1 AND prefecture_id = $2",
        )
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(self.pool())
        .await
        .map_err(Self::map_err)?;
        let r = row.ok_or(qep_store::StoreError::NotFound("pièce jointe"))?;
        Ok((
            qep_store::Attachment {
                id: qep_core::ids::AttachmentId(r.0),
                correspondence_id: qep_core::ids::ItemId(r.1),
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
        actor: &qep_store::Actor,
        id: qep_core::ids::ItemId,
        to: qep_core::ids::ServiceId,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let current: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT reference, service_id FROM correspondence WHERE id = $1 AND prefecture_id = $2",
        )
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (reference, from) =
            current.ok_or(qep_store::StoreError::NotFound("élément du registre"))?;
        sqlx::query(
            "UPDATE correspondence SET service_id = $1 WHERE id = $2 AND prefecture_id = $3",
        )
        .bind(to.0)
        .bind(id.0)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("service"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        sqlx::query(
            "INSERT INTO correspondence_transfers (correspondence_id, from_service_id, \
             to_service_id, at, by_label, prefecture_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(from)
        .bind(to.0)
        .bind(chrono::Utc::now())
        .bind(&actor.label)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        self.commit_audited(
            tx,
            actor,
            "correspondence.transfer",
            reference,
            format!("vers le service {to}"),
        )
        .await
    }

    async fn set_correspondence_scope(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::ItemId,
        out_of_scope: Option<qep_core::registers::correspondence::OutOfScope>,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let reference: Option<(String,)> = sqlx::query_as(
            "UPDATE correspondence SET in_scope = $1, out_of_scope = $2 \
             WHERE id = $3 AND prefecture_id = $4 RETURNING reference",
        )
        .bind(out_of_scope.is_none())
        .bind(out_of_scope.map(|o| o.as_str()))
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (reference,) =
            reference.ok_or(qep_store::StoreError::NotFound("élément du registre"))?;
        self.commit_audited(
            tx,
            actor,
            "correspondence.scope",
            reference,
            out_of_scope.map_or_else(
                || "dans le périmètre".to_owned(),
                |o| format!("hors périmètre : {}", o.label()),
            ),
        )
        .await
    }

    async fn register_with_acknowledgement(
        &self,
        actor: &qep_store::Actor,
        item: &qep_store::NewCorrespondence,
        body: &str,
        ack: qep_store::AckBuilder,
    ) -> qep_store::StoreResult<qep_store::Correspondence> {
        use chrono::Datelike as _;
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let reference = self
            .next_reference(&mut tx, item.received_on.year())
            .await?;
        let id = self
            .insert_item_tx(&mut tx, item, &reference, body, actor, now)
            .await?
            .ok_or(qep_store::StoreError::Conflict(
                qep_store::Conflict::Constraint,
            ))?;
        let row = sqlx::query("SELECT * FROM correspondence WHERE id = $1 AND prefecture_id = $2")
            .bind(id)
            .bind(self.p())
            .fetch_one(&mut *tx)
            .await
            .map_err(Self::map_err)?;
        let saved = Self::correspondence_from_row(&row)?;
        if let Some(mail) = ack(&saved) {
            self.enqueue_tx(&mut tx, &mail, now).await?;
        }
        self.commit_audited(
            tx,
            actor,
            "correspondence.register",
            saved.reference.clone(),
            format!("{} ({})", saved.kind.label(), saved.channel.label()),
        )
        .await?;
        Ok(saved)
    }

    async fn purge_personal_data(
        &self,
        actor: &qep_store::Actor,
        cutoff: chrono::NaiveDate,
    ) -> qep_store::StoreResult<u64> {
        let mut tx = self.begin().await?;
        let sent_cutoff = cutoff.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
        sqlx::query(
            "DELETE FROM mail_outbox WHERE prefecture_id = $3 AND sent_at IS NOT NULL \
             AND sent_at < $1 AND correspondence_id IN (SELECT id FROM correspondence \
               WHERE prefecture_id = $3 AND COALESCE(answered_on, received_on) < $2)",
        )
        .bind(sent_cutoff)
        .bind(cutoff)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        sqlx::query(
            "DELETE FROM attachments WHERE prefecture_id = $2 AND correspondence_id IN \
             (SELECT id FROM correspondence \
               WHERE prefecture_id = $2 AND COALESCE(answered_on, received_on) < $1)",
        )
        .bind(cutoff)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let r = sqlx::query(
            "UPDATE correspondence SET requester_name = '', requester_email = '', \
             requester_address = '', body = '' \
             WHERE prefecture_id = $2 AND COALESCE(answered_on, received_on) < $1 AND \
             (requester_name <> '' OR requester_email <> '' OR requester_address <> '' OR body <> '')",
        )
        .bind(cutoff)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let n = r.rows_affected();
        if n > 0 {
            self.audit_tx(
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
    ) -> qep_store::StoreResult<Vec<(chrono::NaiveDate, chrono::NaiveDate)>> {
        sqlx::query_as(
            "SELECT start_date, end_date FROM sampled_weeks WHERE prefecture_id = $1 \
             ORDER BY start_date",
        )
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)
    }

    async fn add_sampled_week(
        &self,
        actor: &qep_store::Actor,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sampled_weeks (start_date, end_date, prefecture_id) VALUES ($1, $2, $3)",
        )
        .bind(start)
        .bind(end)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(|e| Self::violation(e, qep_store::sql::OnViolation::GENERIC))?;
        self.commit_audited(
            tx,
            actor,
            "sampling.add",
            "échantillonnage".into(),
            format!("du {start} au {end}"),
        )
        .await
    }

    async fn remove_sampled_week(
        &self,
        actor: &qep_store::Actor,
        start: chrono::NaiveDate,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let r =
            sqlx::query("DELETE FROM sampled_weeks WHERE start_date = $1 AND prefecture_id = $2")
                .bind(start)
                .bind(self.p())
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
        if r.rows_affected() == 0 {
            return Err(qep_store::StoreError::NotFound("semaine échantillonnée"));
        }
        self.commit_audited(
            tx,
            actor,
            "sampling.remove",
            "échantillonnage".into(),
            format!("semaine du {start}"),
        )
        .await
    }

    async fn insert_log_entry(
        &self,
        actor: &qep_store::Actor,
        site: qep_core::ids::SiteId,
        service: Option<qep_core::ids::ServiceId>,
        e: &qep_core::registers::log::LogEntry,
    ) -> qep_store::StoreResult<qep_core::ids::LogEntryId> {
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO log_entries (register, site_id, service_id, started_on, first_on, \
             second_on, category, minutes, label, flag, recorded_by, recorded_at, commitment, \
             prefecture_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
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
        .bind(chrono::Utc::now())
        .bind(e.commitment.map(i32::from))
        .bind(self.p())
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| {
            Self::violation(
                err,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("site ou service"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        self.commit_audited(
            tx,
            actor,
            "log.add",
            e.register.label().to_owned(),
            format!("{} {}", e.started_on, e.label),
        )
        .await?;
        Ok(qep_core::ids::LogEntryId(id))
    }

    async fn update_log_dates(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::LogEntryId,
        first_on: Option<chrono::NaiveDate>,
        second_on: Option<chrono::NaiveDate>,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let register: Option<(String,)> = sqlx::query_as(
            "UPDATE log_entries SET first_on = $1, second_on = $2 \
             WHERE id = $3 AND prefecture_id = $4 RETURNING register",
        )
        .bind(first_on)
        .bind(second_on)
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (register,) = register.ok_or(qep_store::StoreError::NotFound("entrée du registre"))?;
        self.commit_audited(
            tx,
            actor,
            "log.update",
            register,
            format!("entrée {id} : {first_on:?} / {second_on:?}"),
        )
        .await
    }

    async fn get_log_entry(
        &self,
        id: qep_core::ids::LogEntryId,
    ) -> qep_store::StoreResult<qep_store::StoredLogEntry> {
        let row = sqlx::query("SELECT * FROM log_entries WHERE id = $1 AND prefecture_id = $2")
            .bind(id.0)
            .bind(self.p())
            .fetch_optional(self.pool())
            .await
            .map_err(Self::map_err)?
            .ok_or(qep_store::StoreError::NotFound("entrée du registre"))?;
        Self::log_from_row(&row)
    }

    async fn list_log_entries(
        &self,
        register: Option<qep_core::registers::log::LogRegister>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> qep_store::StoreResult<Vec<qep_store::StoredLogEntry>> {
        let rows = match register {
            Some(r) => {
                sqlx::query(
                    "SELECT * FROM log_entries WHERE prefecture_id = $4 AND register = $1 \
                     AND started_on >= $2 AND started_on <= $3 ORDER BY started_on DESC, id DESC",
                )
                .bind(r.as_str())
                .bind(from)
                .bind(to)
                .bind(self.p())
                .fetch_all(self.pool())
                .await
            }
            None => {
                sqlx::query(
                    "SELECT * FROM log_entries WHERE prefecture_id = $3 AND started_on >= $1 \
                     AND started_on <= $2 ORDER BY started_on, id",
                )
                .bind(from)
                .bind(to)
                .bind(self.p())
                .fetch_all(self.pool())
                .await
            }
        }
        .map_err(Self::map_err)?;
        rows.iter().map(Self::log_from_row).collect()
    }

    async fn register_rows(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> qep_store::StoreResult<Vec<qep_store::RegisterRow>> {
        use qep_core::registers::correspondence as c;
        let rows: Vec<(
            i64,
            String,
            String,
            chrono::NaiveDate,
            Option<chrono::NaiveDate>,
            i32,
        )> = sqlx::query_as(
            "SELECT site_id, channel, kind, received_on, answered_on, deadline_days \
                 FROM correspondence WHERE prefecture_id = $4 AND in_scope = $1 \
                 AND received_on >= $2 AND received_on <= $3",
        )
        .bind(true)
        .bind(from)
        .bind(to)
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        rows.into_iter()
            .map(|(site, channel, kind, received_on, answered_on, days)| {
                let corrupt =
                    |e: c::CorrespondenceError| qep_store::StoreError::Corrupt(e.to_string());
                Ok(qep_store::RegisterRow {
                    site: qep_core::ids::SiteId(site),
                    channel: c::Channel::parse(&channel).map_err(corrupt)?,
                    kind: c::Kind::parse(&kind).map_err(corrupt)?,
                    received_on,
                    answered_on,
                    deadline_days: u32::try_from(days).unwrap_or(0),
                })
            })
            .collect()
    }
}

impl SqlStore {
    pub(crate) fn correspondence_from_row(
        row: &DbRow,
    ) -> qep_store::StoreResult<qep_store::Correspondence> {
        use qep_core::registers::correspondence as c;
        use sqlx::Row as _;
        let get_err = |e: sqlx::Error| qep_store::StoreError::Corrupt(e.to_string());
        let corrupt = |e: c::CorrespondenceError| qep_store::StoreError::Corrupt(e.to_string());
        let channel: String = row.try_get("channel").map_err(get_err)?;
        let kind: String = row.try_get("kind").map_err(get_err)?;
        let out_of_scope: Option<String> = row.try_get("out_of_scope").map_err(get_err)?;
        let answer: Option<String> = row.try_get("answer").map_err(get_err)?;
        let service: Option<i64> = row.try_get("service_id").map_err(get_err)?;
        let deadline_days: i32 = row.try_get("deadline_days").map_err(get_err)?;
        Ok(qep_store::Correspondence {
            id: qep_core::ids::ItemId(row.try_get("id").map_err(get_err)?),
            reference: row.try_get("reference").map_err(get_err)?,
            channel: c::Channel::parse(&channel).map_err(corrupt)?,
            kind: c::Kind::parse(&kind).map_err(corrupt)?,
            site: qep_core::ids::SiteId(row.try_get("site_id").map_err(get_err)?),
            service: service.map(qep_core::ids::ServiceId),
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
            out_of_scope: out_of_scope
                .as_deref()
                .map(c::OutOfScope::parse)
                .transpose()
                .map_err(corrupt)?,
            answered_on: row.try_get("answered_on").map_err(get_err)?,
            answer: answer
                .as_deref()
                .map(c::AnswerType::parse)
                .transpose()
                .map_err(corrupt)?,
            body: row.try_get("body").map_err(get_err)?,
        })
    }

    pub(crate) fn log_from_row(row: &DbRow) -> qep_store::StoreResult<qep_store::StoredLogEntry> {
        use sqlx::Row as _;
        let get_err = |e: sqlx::Error| qep_store::StoreError::Corrupt(e.to_string());
        let register: String = row.try_get("register").map_err(get_err)?;
        let minutes: Option<i32> = row.try_get("minutes").map_err(get_err)?;
        let service: Option<i64> = row.try_get("service_id").map_err(get_err)?;
        Ok(qep_store::StoredLogEntry {
            id: qep_core::ids::LogEntryId(row.try_get("id").map_err(get_err)?),
            site: qep_core::ids::SiteId(row.try_get("site_id").map_err(get_err)?),
            service: service.map(qep_core::ids::ServiceId),
            entry: qep_core::registers::log::LogEntry {
                register: qep_core::registers::log::LogRegister::parse(&register).ok_or_else(
                    || qep_store::StoreError::Corrupt(format!("registre « {register} »")),
                )?,
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
    pub(crate) async fn insert_item_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        item: &qep_store::NewCorrespondence,
        reference: &str,
        body: &str,
        actor: &qep_store::Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<Option<i64>> {
        let ids = self
            .insert_items_tx(tx, &[(item, reference, body)], actor, now)
            .await?;
        Ok(ids.first().copied())
    }

    /// Inserts register items (item, reference, message text) in one multi-row
    /// `INSERT`; returns the ids of those whose reference was new. The caller keeps
    /// a call under the bind-variable limit ([`crate::sql::ITEMS_PER_INSERT`]).
    pub(crate) async fn insert_items_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        rows: &[(&qep_store::NewCorrespondence, &str, &str)],
        actor: &qep_store::Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<Vec<i64>> {
        let mut q = self.items_values("correspondence", rows, actor, now);
        q.push(" ON CONFLICT (prefecture_id, reference) DO NOTHING RETURNING id");
        let ids: Vec<(i64,)> = q.build_query_as().fetch_all(&mut **tx).await.map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    foreign_key: qep_store::StoreError::NotFound("site ou service"),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// `INSERT INTO table (the register's columns) VALUES (…), (…)` for `rows`.
    fn items_values<'a>(
        &self,
        table: &str,
        rows: &'a [(&'a qep_store::NewCorrespondence, &'a str, &'a str)],
        actor: &'a qep_store::Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> sqlx::QueryBuilder<'a, Db> {
        let mut q = sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO {table} ({ITEM_COLUMNS}) "));
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
                .push_bind(*body)
                .push_bind(self.p());
        });
        q
    }

    /// Writes `rows` into a temporary table of `conn`, outside any transaction of the
    /// database itself: on SQLite a temporary table lives in its own file, so filling it
    /// takes no lock and other writers go on meanwhile.
    async fn stage_items(
        &self,
        conn: &mut <Db as sqlx::Database>::Connection,
        rows: &[(&qep_store::NewCorrespondence, &str, &str)],
        actor: &qep_store::Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<()> {
        for sql in [
            format!(
                "CREATE TEMP TABLE IF NOT EXISTS staged_items AS \
                 SELECT {ITEM_COLUMNS} FROM correspondence WHERE 1 = 0"
            ),
            "DELETE FROM staged_items".to_owned(),
        ] {
            sqlx::query(&sql)
                .execute(&mut *conn)
                .await
                .map_err(Self::map_err)?;
        }
        for chunk in rows.chunks(qep_store::sql::ITEMS_PER_INSERT) {
            self.items_values("staged_items", chunk, actor, now)
                .build()
                .execute(&mut *conn)
                .await
                .map_err(Self::map_err)?;
        }
        Ok(())
    }

    /// Reserves `n` numbers of `year`'s sequence; returns the first.
    pub(crate) async fn reserve_references(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        year: i32,
        n: i64,
    ) -> qep_store::StoreResult<i64> {
        let (last,): (i64,) = sqlx::query_as(
            "INSERT INTO reference_counters (prefecture_id, year, last) VALUES ($2, $1, $3) \
             ON CONFLICT (prefecture_id, year) DO UPDATE SET last = reference_counters.last + $3 \
             RETURNING last",
        )
        .bind(year)
        .bind(self.p())
        .bind(n)
        .fetch_one(&mut **tx)
        .await
        .map_err(Self::map_err)?;
        Ok(last - n + 1)
    }

    pub(crate) async fn next_reference(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        year: i32,
    ) -> qep_store::StoreResult<String> {
        Ok(reference_of(
            year,
            self.reserve_references(tx, year, 1).await?,
        ))
    }

    /// After a change to `site`'s calendar made on `on`: the due dates of its open
    /// items, computed again with the calendar as it now stands, in the change's
    /// transaction, so that stored and computed due dates never disagree. Audited.
    pub(crate) async fn recompute_due_dates_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        actor: &qep_store::Actor,
        site: qep_core::ids::SiteId,
        on: chrono::NaiveDate,
    ) -> qep_store::StoreResult<u64> {
        let department: Option<(String,)> =
            sqlx::query_as("SELECT department FROM prefecture WHERE id = $1")
                .bind(self.p())
                .fetch_optional(&mut **tx)
                .await
                .map_err(Self::map_err)?;
        let territory = department
            .and_then(|(d,)| qep_core::calendar::Territory::from_department(&d).ok())
            .unwrap_or(qep_core::calendar::Territory::Metropole);
        let settings = self.site_calendar_in(tx, site).await?.settings().as_of(on);
        let calendar = qep_core::calendar::WorkingCalendar::new(territory, &settings);
        let open: Vec<(i64, chrono::NaiveDate, i32, chrono::NaiveDate)> = sqlx::query_as(
            "SELECT id, received_on, deadline_days, due_on FROM correspondence \
             WHERE prefecture_id = $2 AND site_id = $1 AND answered_on IS NULL",
        )
        .bind(site.0)
        .bind(self.p())
        .fetch_all(&mut **tx)
        .await
        .map_err(Self::map_err)?;
        let mut changed = 0u64;
        for (id, received_on, days, due_on) in open {
            let Ok(due) = calendar.due_date(received_on, u32::try_from(days).unwrap_or(0)) else {
                continue;
            };
            if due != due_on {
                sqlx::query(
                    "UPDATE correspondence SET due_on = $1 WHERE id = $2 AND prefecture_id = $3",
                )
                .bind(due)
                .bind(id)
                .bind(self.p())
                .execute(&mut **tx)
                .await
                .map_err(Self::map_err)?;
                changed += 1;
            }
        }
        if changed > 0 {
            self.audit_tx(
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
}
