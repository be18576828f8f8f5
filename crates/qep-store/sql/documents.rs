//! The free texts of the yearly report: the SQL behind [`qep_store::DocumentStore`], shared by both backends.

use crate::SqlStore;

#[async_trait::async_trait]
impl qep_store::DocumentStore for SqlStore {
    async fn report_texts(&self, year: i32) -> qep_store::StoreResult<Vec<(String, String)>> {
        sqlx::query_as("SELECT section, body FROM report_texts WHERE prefecture_id = $1 AND year = $2 ORDER BY section",
        )
        .bind(self.p())
            .bind(year)
            .fetch_all(self.pool())
            .await
            .map_err(Self::map_err)
    }

    async fn save_report_texts(
        &self,
        actor: &qep_store::Actor,
        year: i32,
        texts: &[(String, String)],
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM report_texts WHERE prefecture_id = $1 AND year = $2")
            .bind(self.p())
            .bind(year)
            .execute(&mut *tx)
            .await
            .map_err(Self::map_err)?;
        for (section, body) in texts.iter().filter(|(_, b)| !b.trim().is_empty()) {
            sqlx::query(
                "INSERT INTO report_texts (prefecture_id, year, section, body, updated_by, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(self.p())
            .bind(year)
            .bind(section)
            .bind(body)
            .bind(&actor.label)
            .bind(chrono::Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(|e| Self::violation(e, qep_store::sql::OnViolation::GENERIC))?;
        }
        self.commit_audited(
            tx,
            actor,
            "report.texts",
            format!("bilan {year}"),
            format!("{} texte(s)", texts.len()),
        )
        .await
    }
}
