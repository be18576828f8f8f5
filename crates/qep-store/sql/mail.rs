//! The outbox and the message templates: the SQL behind [`qep_store::MailStore`], shared by both backends.

use crate::{Db, SqlStore};

#[async_trait::async_trait]
impl qep_store::MailStore for SqlStore {
    async fn enqueue_mail(
        &self,
        mail: &qep_store::NewMail,
    ) -> qep_store::StoreResult<qep_core::ids::MailId> {
        let mut tx = self.begin().await?;
        let id = self.enqueue_tx(&mut tx, mail, chrono::Utc::now()).await?;
        Self::commit(tx).await?;
        Ok(qep_core::ids::MailId(id))
    }

    async fn due_mails(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> qep_store::StoreResult<Vec<qep_store::Mail>> {
        let rows: Vec<qep_store::sql::MailRow> = sqlx::query_as(&format!(
            "SELECT {} FROM mail_outbox \
             WHERE prefecture_id = $3 AND sent_at IS NULL AND next_attempt_at <= $1 \
             ORDER BY id LIMIT $2",
            qep_store::sql::MAIL_COLUMNS
        ))
        .bind(now)
        .bind(i64::from(limit))
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows
            .into_iter()
            .map(qep_store::sql::mail_from_row)
            .collect())
    }

    async fn claim_mails(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> qep_store::StoreResult<Vec<qep_store::Mail>> {
        // The outer conditions are checked again on each row once another claimer
        // has committed (PostgreSQL's READ COMMITTED re-check): a row leased
        // meanwhile is skipped, so no message goes to two senders.
        let mut rows: Vec<qep_store::sql::MailRow> = sqlx::query_as(&format!(
            "UPDATE mail_outbox SET next_attempt_at = $1 \
             WHERE id IN (SELECT id FROM mail_outbox WHERE prefecture_id = $4 \
               AND sent_at IS NULL AND next_attempt_at <= $2 ORDER BY id LIMIT $3) \
             AND sent_at IS NULL AND next_attempt_at <= $2 RETURNING {}",
            qep_store::sql::MAIL_COLUMNS
        ))
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        rows.sort_by_key(|r| r.0);
        Ok(rows
            .into_iter()
            .map(qep_store::sql::mail_from_row)
            .collect())
    }

    async fn enqueue_mails_once(
        &self,
        job: &str,
        day: chrono::NaiveDate,
        mails: &[qep_store::NewMail],
    ) -> qep_store::StoreResult<Option<usize>> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "INSERT INTO job_runs (job, day, at, prefecture_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (prefecture_id, job, day) DO NOTHING",
        )
        .bind(job)
        .bind(day)
        .bind(now)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        if claimed.rows_affected() != 1 {
            return Ok(None);
        }
        for mail in mails {
            self.enqueue_tx(&mut tx, mail, now).await?;
        }
        Self::commit(tx).await?;
        Ok(Some(mails.len()))
    }

    async fn mark_mail_sent(
        &self,
        id: qep_core::ids::MailId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<()> {
        sqlx::query(
            "UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL \
             WHERE id = $2 AND prefecture_id = $3 AND sent_at IS NULL",
        )
        .bind(at)
        .bind(id.0)
        .bind(self.p())
        .execute(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(())
    }

    async fn mark_mail_failed(
        &self,
        id: qep_core::ids::MailId,
        error: &str,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> qep_store::StoreResult<()> {
        // Giving up pushes the next attempt to the far future: the row stays, visible.
        let next = retry_at.unwrap_or_else(qep_store::sql::given_up);
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = $2 WHERE id = $3 AND prefecture_id = $4",
        )
        .bind(qep_store::sql::clip(error.to_owned()))
        .bind(next)
        .bind(id.0)
        .bind(self.p())
        .execute(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(())
    }

    async fn outbox_counts(&self) -> qep_store::StoreResult<(u64, u64)> {
        let far = qep_store::sql::given_up();
        let (waiting, failed): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN next_attempt_at < $1 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN next_attempt_at >= $1 THEN 1 ELSE 0 END), 0) \
             FROM mail_outbox WHERE prefecture_id = $2 AND sent_at IS NULL",
        )
        .bind(far)
        .bind(self.p())
        .fetch_one(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok((
            u64::try_from(waiting).unwrap_or(0),
            u64::try_from(failed).unwrap_or(0),
        ))
    }

    async fn find_template(
        &self,
        key: &str,
    ) -> qep_store::StoreResult<Option<qep_store::Template>> {
        let row: Option<(
            String,
            String,
            String,
            chrono::DateTime<chrono::Utc>,
            String,
        )> = sqlx::query_as(
            "SELECT key, subject, body, updated_at, updated_by FROM message_templates \
                 WHERE prefecture_id = $2 AND key = $1",
        )
        .bind(key)
        .bind(self.p())
        .fetch_optional(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(row.map(
            |(key, subject, body, updated_at, updated_by)| qep_store::Template {
                key,
                subject,
                body,
                updated_at,
                updated_by,
            },
        ))
    }

    async fn save_template(
        &self,
        actor: &qep_store::Actor,
        key: &str,
        subject: &str,
        body: &str,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO message_templates (key, subject, body, updated_at, updated_by, \
             prefecture_id) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (prefecture_id, key) DO UPDATE SET \
             subject = excluded.subject, body = excluded.body, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(key)
        .bind(subject)
        .bind(body)
        .bind(chrono::Utc::now())
        .bind(&actor.label)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        self.commit_audited(
            tx,
            actor,
            "template.save",
            key.to_owned(),
            subject.to_owned(),
        )
        .await
    }
}

impl SqlStore {
    pub(crate) async fn enqueue_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        mail: &qep_store::NewMail,
        now: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO mail_outbox (to_address, subject, body, correspondence_id, \
             created_at, next_attempt_at, sender, reply_to, automatic, prefecture_id) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(mail.correspondence_id.map(|i| i.0))
        .bind(now)
        .bind(mail.sender.as_deref())
        .bind(mail.reply_to.as_deref())
        .bind(mail.automatic)
        .bind(self.p())
        .fetch_one(&mut **tx)
        .await
        .map_err(Self::map_err)?;
        Ok(id)
    }
}
