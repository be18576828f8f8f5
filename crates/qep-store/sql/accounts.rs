//! Accounts and sessions: the SQL behind [`qep_store::AccountStore`], shared by both backends.

use crate::{Db, DbRow, SqlStore};

#[async_trait::async_trait]
impl qep_store::AccountStore for SqlStore {
    async fn insert_user(
        &self,
        actor: &qep_store::Actor,
        u: &qep_store::NewUser,
    ) -> qep_store::StoreResult<qep_store::User> {
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, display_name, role, password_hash, active, created_at, \
             prefecture_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(u.email.as_str())
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .bind(true)
        .bind(chrono::Utc::now())
        .bind(self.p())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            Self::violation(
                e,
                qep_store::sql::OnViolation {
                    unique: qep_store::StoreError::Conflict(qep_store::Conflict::EmailTaken),
                    ..qep_store::sql::OnViolation::GENERIC
                },
            )
        })?;
        let id = qep_core::ids::UserId(id);
        self.replace_user_services(&mut tx, id, &u.services).await?;
        self.commit_audited(
            tx,
            actor,
            "user.create",
            format!("compte {}", u.email),
            format!("rôle {}, services {:?}", u.role.as_str(), u.services),
        )
        .await?;
        self.get_user(id).await
    }

    async fn update_user(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::UserId,
        u: &qep_store::UserUpdate,
    ) -> qep_store::StoreResult<qep_store::User> {
        let mut tx = self.begin().await?;
        let email: Option<(String,)> = sqlx::query_as(
            "UPDATE users SET display_name = $1, role = $2, active = $3 \
             WHERE id = $4 AND prefecture_id = $5 RETURNING email",
        )
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(u.active)
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (email,) = email.ok_or(qep_store::StoreError::NotFound("compte"))?;
        self.replace_user_services(&mut tx, id, &u.services).await?;
        if !u.active {
            sqlx::query("DELETE FROM sessions WHERE prefecture_id = $1 AND user_id = $2")
                .bind(self.p())
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(Self::map_err)?;
        }
        self.commit_audited(
            tx,
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
        self.get_user(id).await
    }

    async fn set_password(
        &self,
        actor: &qep_store::Actor,
        id: qep_core::ids::UserId,
        hash: &str,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let email: Option<(String,)> = sqlx::query_as(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND prefecture_id = $3 \
                 RETURNING email",
        )
        .bind(hash)
        .bind(id.0)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (email,) = email.ok_or(qep_store::StoreError::NotFound("compte"))?;
        // A new password ends every open session of the account.
        sqlx::query("DELETE FROM sessions WHERE prefecture_id = $1 AND user_id = $2")
            .bind(self.p())
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(Self::map_err)?;
        self.commit_audited(
            tx,
            actor,
            "user.password",
            format!("compte {email}"),
            "mot de passe changé".into(),
        )
        .await
    }

    async fn get_user(&self, id: qep_core::ids::UserId) -> qep_store::StoreResult<qep_store::User> {
        let row = sqlx::query("SELECT * FROM users WHERE prefecture_id = $1 AND id = $2")
            .bind(self.p())
            .bind(id.0)
            .fetch_optional(self.pool())
            .await
            .map_err(Self::map_err)?
            .ok_or(qep_store::StoreError::NotFound("compte"))?;
        let (mut user, _) = Self::user_from_row(&row)?;
        user.services = self
            .services_of(Some(id))
            .await?
            .into_iter()
            .map(|(_, s)| qep_core::ids::ServiceId(s))
            .collect();
        Ok(user)
    }

    async fn list_users(&self) -> qep_store::StoreResult<Vec<qep_store::User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE prefecture_id = $1 ORDER BY email")
            .bind(self.p())
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
                    .map(|(_, s)| qep_core::ids::ServiceId(*s))
                    .collect();
                Ok(user)
            })
            .collect()
    }

    async fn find_credentials(
        &self,
        email: &qep_core::account::Email,
    ) -> qep_store::StoreResult<Option<(qep_store::User, String)>> {
        let row = sqlx::query("SELECT * FROM users WHERE prefecture_id = $1 AND email = $2")
            .bind(self.p())
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
            .map(|(_, s)| qep_core::ids::ServiceId(s))
            .collect();
        Ok(Some((user, hash)))
    }

    async fn open_session(
        &self,
        user: qep_core::ids::UserId,
        s: &qep_store::NewSession,
    ) -> qep_store::StoreResult<()> {
        let mut tx = self.begin().await?;
        let email: Option<(String,)> = sqlx::query_as(
            "UPDATE users SET last_login_at = $1 WHERE id = $2 AND active = $3 \
             AND prefecture_id = $4 RETURNING email",
        )
        .bind(s.created_at)
        .bind(user.0)
        .bind(true)
        .bind(self.p())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Self::map_err)?;
        let (email,) = email.ok_or(qep_store::StoreError::NotFound("compte"))?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, \
             prefecture_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.token_hash)
        .bind(user.0)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(self.p())
        .execute(&mut *tx)
        .await
        .map_err(|e| Self::violation(e, qep_store::sql::OnViolation::GENERIC))?;
        let actor = qep_store::Actor {
            user_id: Some(user),
            label: email,
        };
        self.commit_audited(tx, &actor, "login", "session".into(), String::new())
            .await
    }

    async fn find_session(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<Option<qep_store::SessionUser>> {
        use sqlx::Row as _;
        let row = sqlx::query(
            "SELECT s.csrf_token AS s_csrf, s.expires_at AS s_expires, u.* \
             FROM sessions s JOIN users u ON u.prefecture_id = s.prefecture_id AND u.id = s.user_id \
             WHERE s.prefecture_id = $1 AND s.token_hash = $2",
        )
        .bind(self.p())
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(Self::map_err)?;
        let Some(row) = row else { return Ok(None) };
        let get_err = |e: sqlx::Error| qep_store::StoreError::Corrupt(e.to_string());
        let expires_at: chrono::DateTime<chrono::Utc> =
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
            .map(|(_, s)| qep_core::ids::ServiceId(s))
            .collect();
        Ok(Some(qep_store::SessionUser {
            csrf_token,
            expires_at,
            user,
        }))
    }

    async fn close_session(&self, token_hash: &str) -> qep_store::StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE prefecture_id = $1 AND token_hash = $2")
            .bind(self.p())
            .bind(token_hash)
            .execute(self.pool())
            .await
            .map_err(Self::map_err)?;
        Ok(())
    }

    async fn purge_expired_sessions(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> qep_store::StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE prefecture_id = $1 AND expires_at <= $2")
            .bind(self.p())
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(Self::map_err)?;
        Ok(r.rows_affected())
    }
}

impl SqlStore {
    pub(crate) fn user_from_row(row: &DbRow) -> qep_store::StoreResult<(qep_store::User, String)> {
        use sqlx::Row as _;
        let get_err = |e: sqlx::Error| qep_store::StoreError::Corrupt(e.to_string());
        let email: String = row.try_get("email").map_err(get_err)?;
        let role: String = row.try_get("role").map_err(get_err)?;
        let user = qep_store::User {
            id: qep_core::ids::UserId(row.try_get("id").map_err(get_err)?),
            email: qep_core::account::Email::parse(&email)
                .map_err(|e| qep_store::StoreError::Corrupt(e.to_string()))?,
            display_name: row.try_get("display_name").map_err(get_err)?,
            role: qep_core::account::Role::parse(&role)
                .map_err(|e| qep_store::StoreError::Corrupt(e.to_string()))?,
            active: row.try_get("active").map_err(get_err)?,
            services: Vec::new(),
            created_at: row.try_get("created_at").map_err(get_err)?,
            last_login_at: row.try_get("last_login_at").map_err(get_err)?,
        };
        let hash: String = row.try_get("password_hash").map_err(get_err)?;
        Ok((user, hash))
    }

    pub(crate) async fn services_of(
        &self,
        user: Option<qep_core::ids::UserId>,
    ) -> qep_store::StoreResult<Vec<(i64, i64)>> {
        let rows: Vec<(i64, i64)> = match user {
            Some(u) => {
                sqlx::query_as(
                    "SELECT user_id, service_id FROM user_services \
                         WHERE prefecture_id = $1 AND user_id = $2 ORDER BY service_id",
                )
                .bind(self.p())
                .bind(u.0)
                .fetch_all(self.pool())
                .await
            }
            None => {
                sqlx::query_as(
                    "SELECT user_id, service_id FROM user_services WHERE prefecture_id = $1 \
                     ORDER BY user_id, service_id",
                )
                .bind(self.p())
                .fetch_all(self.pool())
                .await
            }
        }
        .map_err(Self::map_err)?;
        Ok(rows)
    }

    pub(crate) async fn replace_user_services(
        &self,
        tx: &mut sqlx::Transaction<'_, Db>,
        user: qep_core::ids::UserId,
        services: &[qep_core::ids::ServiceId],
    ) -> qep_store::StoreResult<()> {
        sqlx::query("DELETE FROM user_services WHERE prefecture_id = $1 AND user_id = $2")
            .bind(self.p())
            .bind(user.0)
            .execute(&mut **tx)
            .await
            .map_err(Self::map_err)?;
        for s in services {
            sqlx::query(
                "INSERT INTO user_services (user_id, service_id, prefecture_id) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(user.0)
            .bind(s.0)
            .bind(self.p())
            .execute(&mut **tx)
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
        }
        Ok(())
    }
}
