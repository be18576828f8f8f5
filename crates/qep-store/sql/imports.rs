//! Imported files, their facts, and saved column mappings: the SQL behind [`qep_store::ImportStore`], shared by both backends.

use crate::{Db, SqlStore};

#[async_trait::async_trait]
impl qep_store::ImportStore for SqlStore {
    async fn save_facts(
        &self,
        actor: &qep_store::Actor,
        file: &qep_store::ImportFile,
        rows: u64,
        facts: &[qep_core::indicators::imported::Fact],
    ) -> qep_store::StoreResult<qep_store::SaveOutcome> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let rows_read = usize::try_from(rows).unwrap_or(usize::MAX);
        let import_id = match self
            .record_import(&mut tx, actor, file, rows_read, now)
            .await?
        {
            Ok(id) => id,
            Err(outcome) => return Ok(outcome),
        };
        for f in facts {
            sqlx::query(
                "INSERT INTO imported_facts (source, period, key, measure, value, import_id, \
                 prefecture_id) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (prefecture_id, source, period, key, measure) DO UPDATE SET \
                 value = excluded.value, import_id = excluded.import_id",
            )
            .bind(f.source.as_str())
            .bind(f.period.to_string())
            .bind(&f.key)
            .bind(f.measure.as_str())
            .bind(f.value)
            .bind(import_id)
            .bind(self.p())
            .execute(&mut *tx)
            .await
            .map_err(Self::map_err)?;
        }
        self.commit_audited(
            tx,
            actor,
            "import.file",
            format!("import {}", file.kind),
            format!(
                "{} : {rows} ligne(s), {} donnée(s)",
                file.file_name,
                facts.len()
            ),
        )
        .await?;
        Ok(qep_store::SaveOutcome::Saved { rows: facts.len() })
    }

    async fn list_facts(
        &self,
        year: i32,
    ) -> qep_store::StoreResult<Vec<qep_core::indicators::imported::Fact>> {
        use qep_core::indicators::imported::{Fact, FactPeriod, FactSource, Measure};
        let rows: Vec<(String, String, String, String, f64)> = sqlx::query_as(
            "SELECT source, period, key, measure, value FROM imported_facts \
             WHERE prefecture_id = $3 AND period >= $1 AND period < $2 \
             ORDER BY source, period, key, measure",
        )
        .bind(year.to_string())
        .bind((year + 1).to_string())
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        rows.into_iter()
            .map(|(source, period, key, measure, value)| {
                let corrupt = || {
                    qep_store::StoreError::Corrupt(format!(
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
    ) -> qep_store::StoreResult<Vec<qep_store::ImportRecord>> {
        let rows: Vec<(
            i64,
            String,
            String,
            i64,
            String,
            chrono::DateTime<chrono::Utc>,
        )> = sqlx::query_as(
            "SELECT id, kind, file_name, rows, imported_by, imported_at FROM imports \
             WHERE prefecture_id = $2 ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, kind, file_name, rows, imported_by, imported_at)| qep_store::ImportRecord {
                    id,
                    kind,
                    file_name,
                    rows,
                    imported_by,
                    imported_at,
                },
            )
            .collect())
    }

    async fn list_mappings(&self) -> qep_store::StoreResult<Vec<qep_store::SavedMapping>> {
        let rows: Vec<(
            String,
            String,
            String,
            String,
            chrono::DateTime<chrono::Utc>,
        )> = sqlx::query_as(
            "SELECT name, source, definition, updated_by, updated_at \
             FROM import_mappings WHERE prefecture_id = $1 ORDER BY name",
        )
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows
            .into_iter()
            .map(
                |(name, source, definition, updated_by, updated_at)| qep_store::SavedMapping {
                    name,
                    source,
                    definition,
                    updated_by,
                    updated_at,
                },
            )
            .collect())
    }

    async fn save_mapping(
        &self,
        actor: &qep_store::Actor,
        name: &str,
        source: &str,
        definition: &str,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO import_mappings (name, source, definition, updated_by, updated_at, \
             prefecture_id) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (prefecture_id, name) DO UPDATE SET \
             source = excluded.source, definition = excluded.definition, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(source)
        .bind(definition)
        .bind(&actor.label)
        .bind(chrono::Utc::now())
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        self.commit_audited(
            tx,
            actor,
            "mapping.save",
            format!("modèle {name}"),
            format!("source {source}"),
        )
        .await
    }

    async fn delete_mapping(
        &self,
        actor: &qep_store::Actor,
        name: &str,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("DELETE FROM import_mappings WHERE prefecture_id = $1 AND name = $2")
            .bind(self.p())
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(Self::map_err)?;
        if r.rows_affected() == 0 {
            return Err(qep_store::StoreError::NotFound("modèle de correspondance"));
        }
        self.commit_audited(
            tx,
            actor,
            "mapping.delete",
            format!("modèle {name}"),
            String::new(),
        )
        .await
    }
}

impl SqlStore {
    /// Records an imported file in `tx`: `Ok(Err(outcome))` when the same file (same
    /// SHA-256) was imported before, so the caller changes nothing; else the new
    /// import's id.
    pub(crate) async fn record_import(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        actor: &qep_store::Actor,
        file: &qep_store::ImportFile,
        rows: usize,
        now: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<Result<i64, qep_store::SaveOutcome>> {
        let seen: Option<(String, chrono::DateTime<chrono::Utc>, String)> = sqlx::query_as(
            "SELECT file_name, imported_at, imported_by FROM imports \
             WHERE prefecture_id = $2 AND sha256 = $1",
        )
        .bind(&file.sha256)
        .bind(self.p())
        .fetch_optional(&mut **tx)
        .await
        .map_err(Self::map_err)?;
        if let Some((file_name, at, by)) = seen {
            return Ok(Err(qep_store::SaveOutcome::AlreadyImported {
                file_name,
                at,
                by,
            }));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO imports (kind, file_name, sha256, rows, imported_by, imported_at, \
             prefecture_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&file.kind)
        .bind(&file.file_name)
        .bind(&file.sha256)
        .bind(i64::try_from(rows).unwrap_or(i64::MAX))
        .bind(&actor.label)
        .bind(now)
        .bind(self.p())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| Self::violation(e, qep_store::sql::OnViolation::GENERIC))?;
        Ok(Ok(id))
    }
}
