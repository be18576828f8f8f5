//! Indicator values, local targets and indicators, validated periods: the SQL behind [`qep_store::IndicatorStore`], shared by both backends.

use crate::SqlStore;

#[async_trait::async_trait]
impl qep_store::IndicatorStore for SqlStore {
    async fn save_indicator_values(
        &self,
        actor: &qep_store::Actor,
        values: &[qep_store::IndicatorValue],
        file: Option<&qep_store::ImportFile>,
    ) -> qep_store::StoreResult<qep_store::SaveOutcome> {
        let now = chrono::Utc::now();
        let mut tx = self.begin().await?;
        let mut import_id: Option<i64> = None;
        if let Some(f) = file {
            match self
                .record_import(&mut tx, actor, f, values.len(), now)
                .await?
            {
                Ok(id) => import_id = Some(id),
                Err(outcome) => return Ok(outcome),
            }
        }
        for v in values {
            // A whole-prefecture value has no site; each kind has its own unique index.
            let key = if v.site.is_some() {
                "(prefecture_id, code, period, site_id) WHERE site_id IS NOT NULL"
            } else {
                "(prefecture_id, code, period) WHERE site_id IS NULL"
            };
            sqlx::query(&format!(
                "INSERT INTO indicator_values (code, period, site_id, value, numerator, \
                 denominator, weight, origin, import_id, updated_by, updated_at, prefecture_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT {key} DO UPDATE SET value = excluded.value, \
                 numerator = excluded.numerator, denominator = excluded.denominator, \
                 weight = excluded.weight, origin = excluded.origin, \
                 import_id = excluded.import_id, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at"
            ))
            .bind(&v.code)
            .bind(&v.period)
            .bind(v.site.map(|s| s.0))
            .bind(v.value)
            .bind(v.numerator)
            .bind(v.denominator)
            .bind(v.weight)
            .bind(v.origin.as_str())
            .bind(import_id)
            .bind(&actor.label)
            .bind(now)
            .bind(self.p())
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
        self.commit_audited(tx, actor, "indicator.values", "indicateurs".into(), detail)
            .await?;
        Ok(qep_store::SaveOutcome::Saved { rows: values.len() })
    }

    async fn latest_value_year(&self) -> qep_store::StoreResult<Option<i32>> {
        let (latest,): (Option<String>,) =
            sqlx::query_as("SELECT MAX(period) FROM indicator_values WHERE prefecture_id = $1")
                .bind(self.p())
                .fetch_one(self.pool())
                .await
                .map_err(Self::map_err)?;
        Ok(latest.and_then(|p| p.get(..4).and_then(|y| y.parse().ok())))
    }

    async fn list_indicator_values(
        &self,
        year: i32,
    ) -> qep_store::StoreResult<Vec<qep_store::IndicatorValue>> {
        let rows: Vec<(
            String,
            String,
            Option<i64>,
            f64,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            String,
        )> = sqlx::query_as(
            "SELECT code, period, site_id, value, numerator, denominator, weight, origin \
             FROM indicator_values WHERE prefecture_id = $1 AND period >= $2 AND period < $3 \
             ORDER BY code, period, COALESCE(site_id, 0)",
        )
        .bind(self.p())
        .bind(year.to_string())
        .bind((year + 1).to_string())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows
            .into_iter()
            .map(|r| qep_store::IndicatorValue {
                code: r.0,
                period: r.1,
                site: r.2.map(qep_core::ids::SiteId),
                value: r.3,
                numerator: r.4,
                denominator: r.5,
                weight: r.6,
                origin: if r.7 == "imported" {
                    qep_store::ValueOrigin::Imported
                } else {
                    qep_store::ValueOrigin::Entered
                },
            })
            .collect())
    }

    async fn delete_indicator_value(
        &self,
        actor: &qep_store::Actor,
        code: &str,
        period: &str,
        site: Option<qep_core::ids::SiteId>,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "DELETE FROM indicator_values WHERE prefecture_id = $4 AND code = $1 \
             AND period = $2 AND site_id IS NOT DISTINCT FROM $3",
        )
        .bind(code)
        .bind(period)
        .bind(site.map(|s| s.0))
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        if r.rows_affected() == 0 {
            return Err(qep_store::StoreError::NotFound("valeur"));
        }
        self.commit_audited(
            tx,
            actor,
            "indicator.value.delete",
            format!("{code} {period}"),
            String::new(),
        )
        .await
    }

    async fn list_local_targets(
        &self,
    ) -> qep_store::StoreResult<Vec<(String, qep_store::LocalTarget)>> {
        let rows: Vec<(String, i32, String, f64)> = sqlx::query_as(
            "SELECT code, year, comparator, value FROM indicator_targets \
             WHERE prefecture_id = $1 ORDER BY code, year",
        )
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        rows.into_iter()
            .map(|(code, year, comparator, value)| {
                let comparator =
                    qep_core::indicators::Comparator::parse(&comparator).ok_or_else(|| {
                        qep_store::StoreError::Corrupt(format!("comparateur « {comparator} »"))
                    })?;
                Ok((
                    code,
                    qep_store::LocalTarget {
                        year,
                        comparator,
                        value,
                    },
                ))
            })
            .collect()
    }

    async fn set_local_target(
        &self,
        actor: &qep_store::Actor,
        code: &str,
        t: &qep_store::LocalTarget,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO indicator_targets (code, year, comparator, value, prefecture_id) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (prefecture_id, code, year) DO UPDATE SET comparator = excluded.comparator, \
             value = excluded.value",
        )
        .bind(code)
        .bind(t.year)
        .bind(t.comparator.as_str())
        .bind(t.value)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        self.commit_audited(
            tx,
            actor,
            "indicator.target.set",
            code.to_owned(),
            format!("{} : {} {}", t.year, t.comparator.symbol(), t.value),
        )
        .await
    }

    async fn delete_local_target(
        &self,
        actor: &qep_store::Actor,
        code: &str,
        year: i32,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "DELETE FROM indicator_targets WHERE prefecture_id = $3 AND code = $1 AND year = $2",
        )
        .bind(code)
        .bind(year)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        if r.rows_affected() == 0 {
            return Err(qep_store::StoreError::NotFound("cible locale"));
        }
        self.commit_audited(
            tx,
            actor,
            "indicator.target.delete",
            code.to_owned(),
            year.to_string(),
        )
        .await
    }

    async fn list_local_indicators(&self) -> qep_store::StoreResult<Vec<(String, String)>> {
        sqlx::query_as(
            "SELECT code, definition FROM local_indicators WHERE prefecture_id = $1 ORDER BY code",
        )
        .bind(self.p())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)
    }

    async fn save_local_indicator(
        &self,
        actor: &qep_store::Actor,
        code: &str,
        json: &str,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO local_indicators (code, definition, prefecture_id) VALUES ($1, $2, $3) \
             ON CONFLICT (prefecture_id, code) DO UPDATE SET definition = excluded.definition",
        )
        .bind(code)
        .bind(json)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        self.commit_audited(
            tx,
            actor,
            "indicator.local.save",
            code.to_owned(),
            String::new(),
        )
        .await
    }

    async fn validate_period(
        &self,
        actor: &qep_store::Actor,
        period: &str,
        snapshot: &str,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO period_validations (period, validated_by, validated_at, snapshot, \
             prefecture_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(period)
        .bind(&actor.label)
        .bind(chrono::Utc::now())
        .bind(snapshot)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    unique: qep_store::StoreError::Conflict(qep_store::Conflict::AlreadyValidated),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        self.commit_audited(
            tx,
            actor,
            "indicator.period.validate",
            period.to_owned(),
            String::new(),
        )
        .await
    }

    async fn list_validations(
        &self,
        year: i32,
    ) -> qep_store::StoreResult<Vec<qep_store::PeriodValidation>> {
        let rows: Vec<(String, String, chrono::DateTime<chrono::Utc>, String)> = sqlx::query_as(
            "SELECT period, validated_by, validated_at, snapshot FROM period_validations \
             WHERE prefecture_id = $1 AND period >= $2 AND period < $3 ORDER BY period",
        )
        .bind(self.p())
        .bind(year.to_string())
        .bind((year + 1).to_string())
        .fetch_all(self.pool())
        .await
        .map_err(Self::map_err)?;
        Ok(rows
            .into_iter()
            .map(
                |(period, validated_by, validated_at, snapshot)| qep_store::PeriodValidation {
                    period,
                    validated_by,
                    validated_at,
                    snapshot,
                },
            )
            .collect())
    }
}
