//! Storage scenarios every backend must pass, run by each backend's tests on a fresh,
//! migrated database (SQLite always, PostgreSQL whenever `QEP_TEST_POSTGRES_URL` is set).

use std::future::Future;

use chrono::{Duration, Utc};
use qep_core::account::{Email, Role};
use qep_core::ids::{
    AttachmentId, CalendarEntryId, ItemId, JobId, LogEntryId, MailId, ServiceId, SiteId, UserId,
};
use qep_core::prefecture::{PrefectureSettings, ServiceDraft, SiteDraft};
use qep_core::referentiel::DEFAULT_CODE;

use crate::{Actor, Conflict, NewSession, NewUser, Store, StoreError, UserUpdate};

/// Every row of a store's prefecture, as text (see [`two_prefectures_in_one_database`]).
pub type Snapshot<S> =
    for<'a> fn(&'a S) -> std::pin::Pin<Box<dyn Future<Output = Vec<String>> + 'a>>;

type Scenario = for<'a> fn(&'a dyn Store) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>>;

/// (name, scenario) pairs, so a failure names its scenario.
pub const SCENARIOS: &[(&str, Scenario)] = &[
    ("prefecture_lifecycle", |s| {
        Box::pin(prefecture_lifecycle(s))
    }),
    ("sites_and_services", |s| Box::pin(sites_and_services(s))),
    ("users_and_sessions", |s| Box::pin(users_and_sessions(s))),
    ("audit_log_pages_newest_first", |s| {
        Box::pin(audit_log_pages_newest_first(s))
    }),
    ("site_calendars_keep_their_history", |s| {
        Box::pin(site_calendars_keep_their_history(s))
    }),
    ("indicator_values_targets_and_validations", |s| {
        Box::pin(indicator_values_targets_and_validations(s))
    }),
    ("correspondence_register", |s| {
        Box::pin(correspondence_register(s))
    }),
    ("imported_facts_and_mappings", |s| {
        Box::pin(imported_facts_and_mappings(s))
    }),
    ("outbox_and_templates", |s| {
        Box::pin(outbox_and_templates(s))
    }),
    ("log_registers", |s| Box::pin(log_registers(s))),
    ("answers_attachments_and_retention", |s| {
        Box::pin(answers_attachments_and_retention(s))
    }),
    ("outbox_leases_and_daily_batches", |s| {
        Box::pin(outbox_leases_and_daily_batches(s))
    }),
    ("durable_jobs_under_leases", |s| {
        Box::pin(durable_jobs_under_leases(s))
    }),
    ("report_texts_per_year", |s| {
        Box::pin(report_texts_per_year(s))
    }),
    ("backend_answers", |s| Box::pin(backend_answers(s))),
    ("large_batches_are_staged_and_stay_atomic", |s| {
        Box::pin(large_batches_are_staged_and_stay_atomic(s))
    }),
];

/// Runs every scenario, each on a fresh store from `fresh`.
pub async fn run_all<S, F, Fut>(mut fresh: F)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    for (name, scenario) in SCENARIOS {
        eprintln!("conformance scenario: {name}");
        let store = fresh().await;
        scenario(&store).await;
    }
}

/// Every scenario twice in one database: first in one prefecture, then in another. Each
/// scenario expects a fresh store (exact counts, first references, empty lists, ids it
/// knows are free), so the second run passes only if it sees none of the first one's rows;
/// and `snapshot` (every row of the first prefecture, as text) must not change during it.
/// The scenarios call every store method (see the coverage test), so this proves for each
/// of them that a prefecture neither reads nor changes another's data.
pub async fn two_prefectures_in_one_database<S, F, Fut>(mut fresh: F, snapshot: Snapshot<S>)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = (S, S)>,
{
    for (name, scenario) in SCENARIOS {
        eprintln!("two prefectures, scenario: {name}");
        let (first, second) = fresh().await;
        scenario(&first).await;
        let before = snapshot(&first).await;
        assert!(
            !before.is_empty() || *name == "backend_answers",
            "{name}: the first prefecture holds rows"
        );
        scenario(&second).await;
        assert_eq!(
            snapshot(&first).await,
            before,
            "{name}: the second prefecture changed the first one's rows"
        );
    }
    let (first, second) = fresh().await;
    let theirs = fill_one_of_everything(&first).await;
    let before = snapshot(&first).await;
    reach_for_another_prefecture(&second, &theirs).await;
    assert_eq!(
        snapshot(&first).await,
        before,
        "ids of another prefecture changed its rows"
    );
}

/// The ids a prefecture's rows got, for another prefecture to reach for.
struct Theirs {
    site: SiteId,
    service: ServiceId,
    user: UserId,
    email: Email,
    item: ItemId,
    attachment: AttachmentId,
    log_entry: LogEntryId,
    closure: CalendarEntryId,
    mail: MailId,
    job: JobId,
    token_hash: String,
}

async fn fill_one_of_everything(store: &dyn Store) -> Theirs {
    use chrono::NaiveDate;
    use qep_core::registers::log::{LogEntry, LogRegister};

    use crate::{NewMail, NewSession};
    let actor = Actor::cli();
    let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("date");
    let site = a_site(store).await;
    let service = store
        .insert_service(
            &actor,
            &ServiceDraft::new("Accueil", "ACC", site, true).expect("s"),
        )
        .await
        .expect("service")
        .id;
    let user = store
        .insert_user(
            &actor,
            &NewUser {
                email: email("agent@pref.example"),
                display_name: "Agent".into(),
                role: Role::Agent,
                password_hash: "$argon2id$x".into(),
                services: vec![service],
            },
        )
        .await
        .expect("user");
    let token_hash = "token-of-the-first".to_owned();
    store
        .open_session(
            user.id,
            &NewSession {
                token_hash: token_hash.clone(),
                csrf_token: "csrf".into(),
                created_at: Utc::now(),
                expires_at: Utc::now() + Duration::days(1),
            },
        )
        .await
        .expect("session");
    let item = store
        .insert_correspondence(&actor, &[new_item(site, d(3, 4), "Premier")])
        .await
        .expect("item")[0];
    let attachment = store
        .insert_attachment(&actor, item, "a.pdf", "application/pdf", b"%PDF")
        .await
        .expect("attachment");
    let entry = LogEntry {
        register: LogRegister::OfficialsMeetings,
        started_on: d(3, 5),
        first_on: None,
        second_on: None,
        category: String::new(),
        minutes: None,
        label: "Maire".into(),
        flag: None,
        commitment: None,
    };
    let log_entry = store
        .insert_log_entry(&actor, site, Some(service), &entry)
        .await
        .expect("log");
    let closure = store
        .insert_closure(
            &actor,
            site,
            &qep_core::calendar::Closure::range(d(5, 10), d(5, 10), "pont", d(1, 2))
                .expect("closure"),
        )
        .await
        .expect("closure");
    let mail = store
        .enqueue_mail(&NewMail::automatic(
            "u@example.org",
            "Objet",
            "Corps",
            Some(item),
        ))
        .await
        .expect("mail");
    let job = store
        .start_job(
            "import",
            "fichier.csv",
            "web-1",
            Utc::now(),
            Utc::now() + Duration::minutes(5),
        )
        .await
        .expect("job");
    Theirs {
        site,
        service,
        user: user.id,
        email: user.email,
        item,
        attachment,
        log_entry,
        closure,
        mail,
        job,
        token_hash,
    }
}

/// Every method given another prefecture's ids finds nothing and changes nothing.
async fn reach_for_another_prefecture(store: &dyn Store, theirs: &Theirs) {
    use chrono::NaiveDate;
    use qep_core::registers::correspondence::{AnswerType, OutOfScope};
    use qep_core::registers::log::{LogEntry, LogRegister};

    use crate::{CalendarEntry, JobOutcome, NewMail, NewSession, StoreResult};
    let actor = Actor::cli();
    let day = NaiveDate::from_ymd_opt(2024, 3, 6).expect("date");
    let not_found = |r: StoreResult<()>, what: &str| {
        assert!(
            matches!(r, Err(StoreError::NotFound(_))),
            "{what} on another prefecture's row: {r:?}"
        );
    };
    let refused = |r: StoreResult<()>, what: &str| {
        assert!(
            r.is_err(),
            "{what} referring to another prefecture's row was accepted"
        );
    };
    // Reads find nothing.
    not_found(store.get_user(theirs.user).await.map(|_| ()), "get_user");
    assert!(
        store
            .find_credentials(&theirs.email)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .find_session(&theirs.token_hash, Utc::now())
            .await
            .expect("read")
            .is_none()
    );
    not_found(
        store.get_correspondence(theirs.item).await.map(|_| ()),
        "get_correspondence",
    );
    not_found(
        store.get_attachment(theirs.attachment).await.map(|_| ()),
        "get_attachment",
    );
    assert!(
        store
            .list_attachments(theirs.item)
            .await
            .expect("list")
            .is_empty()
    );
    not_found(
        store.get_log_entry(theirs.log_entry).await.map(|_| ()),
        "get_log_entry",
    );
    not_found(
        store.site_calendar(theirs.site).await.map(|_| ()),
        "site_calendar",
    );
    // Changes to their rows find nothing to change.
    let draft = SiteDraft::new("Autre", "prefecture", "").expect("site");
    not_found(
        store
            .update_site(&actor, theirs.site, &draft)
            .await
            .map(|_| ()),
        "update_site",
    );
    not_found(store.delete_site(&actor, theirs.site).await, "delete_site");
    let service = ServiceDraft::new("Autre", "AUT", theirs.site, true).expect("s");
    refused(
        store
            .update_service(&actor, theirs.service, &service)
            .await
            .map(|_| ()),
        "update_service",
    );
    not_found(
        store.delete_service(&actor, theirs.service).await,
        "delete_service",
    );
    let update = UserUpdate {
        display_name: "Autre".into(),
        role: Role::Admin,
        active: false,
        services: vec![],
    };
    not_found(
        store
            .update_user(&actor, theirs.user, &update)
            .await
            .map(|_| ()),
        "update_user",
    );
    not_found(
        store.set_password(&actor, theirs.user, "x").await,
        "set_password",
    );
    let session = NewSession {
        token_hash: "stolen".into(),
        csrf_token: "c".into(),
        created_at: Utc::now(),
        expires_at: Utc::now() + Duration::days(1),
    };
    refused(
        store.open_session(theirs.user, &session).await,
        "open_session",
    );
    store
        .close_session(&theirs.token_hash)
        .await
        .expect("close");
    not_found(
        store
            .answer_correspondence(&actor, theirs.item, day, AnswerType::Substantive)
            .await,
        "answer_correspondence",
    );
    let reply = NewMail::automatic("u@example.org", "R", "R", Some(theirs.item));
    refused(
        store
            .answer_by_mail(&actor, theirs.item, day, AnswerType::Substantive, &reply)
            .await,
        "answer_by_mail",
    );
    refused(store.enqueue_mail(&reply).await.map(|_| ()), "enqueue_mail");
    not_found(
        store
            .transfer_correspondence(&actor, theirs.item, theirs.service)
            .await,
        "transfer_correspondence",
    );
    not_found(
        store
            .set_correspondence_scope(&actor, theirs.item, Some(OutOfScope::Other))
            .await,
        "set_correspondence_scope",
    );
    refused(
        store
            .insert_attachment(&actor, theirs.item, "b.pdf", "application/pdf", b"%PDF")
            .await
            .map(|_| ()),
        "insert_attachment",
    );
    not_found(
        store
            .update_log_dates(&actor, theirs.log_entry, Some(day), None)
            .await,
        "update_log_dates",
    );
    not_found(
        store
            .withdraw_calendar_entry(
                &actor,
                theirs.site,
                CalendarEntry::Closure(theirs.closure),
                day,
            )
            .await,
        "withdraw_calendar_entry",
    );
    // New rows here cannot refer to their sites, services or items.
    refused(
        store.insert_service(&actor, &service).await.map(|_| ()),
        "insert_service",
    );
    refused(
        store
            .insert_correspondence(&actor, &[new_item(theirs.site, day, "Ailleurs")])
            .await
            .map(|_| ()),
        "insert_correspondence",
    );
    refused(
        store
            .insert_closure(
                &actor,
                theirs.site,
                &qep_core::calendar::Closure::range(day, day, "x", day).expect("closure"),
            )
            .await
            .map(|_| ()),
        "insert_closure",
    );
    let entry = LogEntry {
        register: LogRegister::OfficialsMeetings,
        started_on: day,
        first_on: None,
        second_on: None,
        category: String::new(),
        minutes: None,
        label: "x".into(),
        flag: None,
        commitment: None,
    };
    refused(
        store
            .insert_log_entry(&actor, theirs.site, None, &entry)
            .await
            .map(|_| ()),
        "insert_log_entry",
    );
    let intruder = NewUser {
        email: email("intrus@pref.example"),
        display_name: "Intrus".into(),
        role: Role::Agent,
        password_hash: "$argon2id$y".into(),
        services: vec![theirs.service],
    };
    refused(
        store.insert_user(&actor, &intruder).await.map(|_| ()),
        "insert_user with their service",
    );
    // Their outbox and jobs are not claimed, sent, renewed or finished from here.
    let later = Utc::now() + Duration::days(1);
    assert!(
        store
            .claim_mails(later, later, 100)
            .await
            .expect("claim")
            .is_empty()
    );
    store
        .mark_mail_sent(theirs.mail, Utc::now())
        .await
        .expect("no-op");
    store
        .mark_mail_failed(theirs.mail, "x", Some(later))
        .await
        .expect("no-op");
    store
        .renew_job(theirs.job, "web-1", Utc::now(), later)
        .await
        .expect("no-op");
    store
        .finish_job(
            theirs.job,
            "web-1",
            Utc::now(),
            &JobOutcome::Done("x".into()),
        )
        .await
        .expect("no-op");
    assert_eq!(
        store
            .expire_jobs(later + Duration::days(1), &[], "x")
            .await
            .expect("expire"),
        0
    );
    assert!(store.list_jobs(100).await.expect("jobs").is_empty());
    // The same address can have an account in each prefecture.
    let namesake = NewUser {
        email: theirs.email.clone(),
        display_name: "Homonyme".into(),
        role: Role::Viewer,
        password_hash: "$argon2id$z".into(),
        services: vec![],
    };
    store
        .insert_user(&actor, &namesake)
        .await
        .expect("an account of the same address in another prefecture");
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("test e-mail is valid")
}

pub async fn prefecture_lifecycle(store: &dyn Store) {
    assert_eq!(store.find_prefecture().await, Ok(None));
    let cher = PrefectureSettings::new("Préfecture du Cher", "18", DEFAULT_CODE, &[2, 3])
        .expect("valid settings");
    // The prefecture and its first sites go in together.
    let main = SiteDraft::new("Préfecture – Bourges", "prefecture", "").expect("site");
    let sites = store
        .init_prefecture(&Actor::cli(), &cher, std::slice::from_ref(&main))
        .await
        .expect("first init");
    assert_eq!(sites.len(), 1);
    assert_eq!(store.list_sites().await.expect("sites"), sites);
    assert_eq!(store.find_prefecture().await, Ok(Some(cher.clone())));
    assert_eq!(
        store
            .init_prefecture(&Actor::cli(), &cher, std::slice::from_ref(&main))
            .await,
        Err(StoreError::Conflict(Conflict::AlreadyInitialised))
    );
    assert_eq!(
        store.list_sites().await.expect("sites").len(),
        1,
        "a refused init adds no site"
    );
    let moved = PrefectureSettings::new(
        "Préfecture de la Moselle « test »",
        "57",
        DEFAULT_CODE,
        &[4],
    )
    .expect("valid settings");
    store
        .update_prefecture(&Actor::system(), &moved)
        .await
        .expect("update");
    let found = store
        .find_prefecture()
        .await
        .expect("read")
        .expect("present");
    assert_eq!(found, moved);
    assert_eq!(
        found.scope.modules.iter().copied().collect::<Vec<_>>(),
        vec![1, 4]
    );
    let audit = store.list_audit(10, None).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["prefecture.update", "site.create", "prefecture.init"]
    );
    assert_eq!(audit[0].actor, "système");
    assert!(
        audit[0].detail.contains("Moselle « test »"),
        "{}",
        audit[0].detail
    );
}

pub async fn sites_and_services(store: &dyn Store) {
    let actor = Actor::cli();
    let main = store
        .insert_site(
            &actor,
            &SiteDraft::new("Préfecture", "prefecture", "Place Bonet, Alençon").expect("site"),
        )
        .await
        .expect("insert site");
    let sub = store
        .insert_site(
            &actor,
            &SiteDraft::new("Sous-préfecture d'Argentan", "sub_prefecture", "").expect("site"),
        )
        .await
        .expect("insert site");
    assert_ne!(main.id, sub.id);
    assert_eq!(
        store.list_sites().await.expect("list"),
        vec![main.clone(), sub.clone()]
    );

    let base = store
        .insert_service(
            &actor,
            &ServiceDraft::new("Bureau de l'asile et du séjour", "base", main.id, true)
                .expect("service"),
        )
        .await
        .expect("insert service");
    assert_eq!(base.code, "BASE");
    assert!(base.in_scope);

    let missing_site = ServiceDraft::new("Fantôme", "", SiteId(9999), false).expect("draft");
    assert_eq!(
        store.insert_service(&actor, &missing_site).await,
        Err(StoreError::NotFound("site"))
    );
    assert_eq!(
        store.delete_site(&actor, main.id).await,
        Err(StoreError::Conflict(Conflict::SiteHasServices))
    );

    let moved =
        ServiceDraft::new("Bureau de l'asile et du séjour", "BASE", sub.id, false).expect("draft");
    let updated = store
        .update_service(&actor, base.id, &moved)
        .await
        .expect("update service");
    assert_eq!((updated.site_id, updated.in_scope), (sub.id, false));
    assert_eq!(
        store
            .update_service(&actor, ServiceId(424242), &moved)
            .await,
        Err(StoreError::NotFound("service"))
    );

    store.delete_site(&actor, main.id).await.expect("now empty");
    assert_eq!(
        store.delete_site(&actor, main.id).await,
        Err(StoreError::NotFound("site"))
    );
    let renamed = store
        .update_site(
            &actor,
            sub.id,
            &SiteDraft::new("Sous-préfecture d'Argentan (annexe)", "sub_prefecture", "")
                .expect("site"),
        )
        .await
        .expect("update site");
    assert_eq!(renamed.name, "Sous-préfecture d'Argentan (annexe)");
    store
        .delete_service(&actor, base.id)
        .await
        .expect("delete service");
    assert_eq!(store.list_services().await, Ok(vec![]));
}

pub async fn users_and_sessions(store: &dyn Store) {
    let actor = Actor::cli();
    let site = store
        .insert_site(
            &actor,
            &SiteDraft::new("Préfecture", "prefecture", "").expect("site"),
        )
        .await
        .expect("site");
    let service = store
        .insert_service(
            &actor,
            &ServiceDraft::new("Accueil général", "ACC", site.id, true).expect("service"),
        )
        .await
        .expect("service");

    let agent = store
        .insert_user(
            &actor,
            &NewUser {
                email: email("agent@orne.gouv.fr"),
                display_name: "Agnès Agent".into(),
                role: Role::Agent,
                password_hash: "$argon2id$fake".into(),
                services: vec![service.id],
            },
        )
        .await
        .expect("insert user");
    assert_eq!(agent.services, vec![service.id]);
    assert!(agent.active);
    assert_eq!(agent.last_login_at, None);

    let duplicate = NewUser {
        email: email("AGENT@orne.gouv.fr"),
        display_name: "Autre".into(),
        role: Role::Viewer,
        password_hash: "x".into(),
        services: vec![],
    };
    assert_eq!(
        store.insert_user(&actor, &duplicate).await.map(|u| u.id),
        Err(StoreError::Conflict(Conflict::EmailTaken))
    );
    let bad_service = NewUser {
        email: email("autre@orne.gouv.fr"),
        services: vec![ServiceId(777)],
        ..duplicate.clone()
    };
    assert_eq!(
        store.insert_user(&actor, &bad_service).await.map(|u| u.id),
        Err(StoreError::NotFound("service"))
    );
    // Nothing half-written: the refused account does not exist.
    assert_eq!(
        store
            .find_credentials(&email("autre@orne.gouv.fr"))
            .await
            .map(|c| c.is_some()),
        Ok(false)
    );

    let (found, hash) = store
        .find_credentials(&email("agent@orne.gouv.fr"))
        .await
        .expect("read")
        .expect("present");
    assert_eq!((found.id, hash.as_str()), (agent.id, "$argon2id$fake"));

    let now = Utc::now();
    let session = NewSession {
        token_hash: "hash-1".into(),
        csrf_token: "csrf-1".into(),
        created_at: now,
        expires_at: now + Duration::hours(8),
    };
    store.open_session(agent.id, &session).await.expect("open");
    let live = store
        .find_session("hash-1", now)
        .await
        .expect("read")
        .expect("live session");
    assert_eq!(
        (live.user.id, live.csrf_token.as_str()),
        (agent.id, "csrf-1")
    );
    assert_eq!(live.user.services, vec![service.id]);
    assert!(live.user.last_login_at.is_some());
    assert!(
        store
            .find_session("hash-1", now + Duration::hours(9))
            .await
            .expect("read")
            .is_none(),
        "an expired session must not authenticate"
    );
    assert!(
        store
            .find_session("unknown", now)
            .await
            .expect("read")
            .is_none()
    );

    // Deactivating an account ends its sessions.
    let update = UserUpdate {
        display_name: "Agnès Agent".into(),
        role: Role::Viewer,
        active: false,
        services: vec![],
    };
    let updated = store
        .update_user(&actor, agent.id, &update)
        .await
        .expect("update");
    assert_eq!((updated.role, updated.active), (Role::Viewer, false));
    assert!(updated.services.is_empty());
    assert!(
        store
            .find_session("hash-1", now)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store.open_session(agent.id, &session).await,
        Err(StoreError::NotFound("compte")),
        "an inactive account cannot log in"
    );

    let reactivated = UserUpdate {
        active: true,
        ..update
    };
    store
        .update_user(&actor, agent.id, &reactivated)
        .await
        .expect("reactivate");
    let second = NewSession {
        token_hash: "hash-2".into(),
        ..session.clone()
    };
    store.open_session(agent.id, &second).await.expect("open");
    store
        .set_password(&actor, agent.id, "$argon2id$new")
        .await
        .expect("set password");
    assert!(
        store
            .find_session("hash-2", now)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store.set_password(&actor, UserId(999), "x").await,
        Err(StoreError::NotFound("compte"))
    );

    let third = NewSession {
        token_hash: "hash-3".into(),
        expires_at: now + Duration::minutes(1),
        ..session.clone()
    };
    store.open_session(agent.id, &third).await.expect("open");
    store.close_session("hash-3").await.expect("close");
    assert!(
        store
            .find_session("hash-3", now)
            .await
            .expect("read")
            .is_none()
    );

    let fourth = NewSession {
        token_hash: "hash-4".into(),
        expires_at: now + Duration::minutes(1),
        ..session
    };
    store.open_session(agent.id, &fourth).await.expect("open");
    assert_eq!(
        store
            .purge_expired_sessions(now + Duration::minutes(2))
            .await,
        Ok(1)
    );
    let users = store.list_users().await.expect("list");
    assert_eq!(users.len(), 1);
    assert_eq!(
        store.get_user(UserId(31337)).await.map(|u| u.id),
        Err(StoreError::NotFound("compte"))
    );
}

pub async fn audit_log_pages_newest_first(store: &dyn Store) {
    let actor = Actor::cli();
    let mut version = store.data_version().await.expect("version");
    assert_eq!(version, 0, "nothing written yet");
    for i in 0..5 {
        store
            .insert_site(
                &actor,
                &SiteDraft::new(&format!("Site {i}"), "other", "").expect("site"),
            )
            .await
            .expect("insert");
        let now = store.data_version().await.expect("version");
        assert!(now > version, "every audited change moves the data version");
        version = now;
    }
    store.list_sites().await.expect("read");
    assert_eq!(
        store.data_version().await.expect("version"),
        version,
        "reads do not"
    );
    let first = store.list_audit(3, None).await.expect("page 1");
    assert_eq!(first.len(), 3);
    assert!(first.windows(2).all(|w| w[0].id > w[1].id));
    assert!(first[0].detail.contains("Site 4"));
    let rest = store
        .list_audit(10, Some(first[2].id))
        .await
        .expect("page 2");
    assert_eq!(rest.len(), 2);
    assert!(rest[1].detail.contains("Site 0"));
    assert!(
        rest.iter()
            .all(|a| a.action == "site.create" && a.actor == "ligne de commande")
    );
}

pub async fn site_calendars_keep_their_history(store: &dyn Store) {
    use chrono::NaiveDate;
    use qep_core::calendar::{Closure, ExtraHoliday, HolidayKind, WorkedHoliday};

    use crate::{CalendarEntry, HolidaySetting};
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    let actor = Actor::cli();
    let site = store
        .insert_site(
            &actor,
            &SiteDraft::new("Préfecture", "prefecture", "").expect("site"),
        )
        .await
        .expect("site");
    assert_eq!(
        store.site_calendar(site.id).await.expect("empty"),
        Default::default()
    );
    assert_eq!(
        store.site_calendar(SiteId(4040)).await.map(|_| ()),
        Err(StoreError::NotFound("site"))
    );
    let bridge = Closure::range(
        d(2024, 5, 10),
        d(2024, 5, 10),
        "pont de l'Ascension",
        d(2024, 1, 15),
    )
    .expect("closure");
    let closure_id = store
        .insert_closure(&actor, site.id, &bridge)
        .await
        .expect("closure");
    assert_eq!(
        store.insert_closure(&actor, SiteId(4040), &bridge).await,
        Err(StoreError::NotFound("site"))
    );
    let worked = WorkedHoliday::every_year(
        HolidayKind::LundiDePentecote,
        "journée de solidarité",
        d(2024, 1, 2),
    );
    let worked_id = store
        .insert_site_holiday(&actor, site.id, &HolidaySetting::Worked(worked.clone()))
        .await
        .expect("worked");
    let extra = ExtraHoliday {
        first_year: Some(2025),
        ..ExtraHoliday::every_year(HolidayKind::MiCareme, d(2024, 2, 1))
    };
    store
        .insert_site_holiday(&actor, site.id, &HolidaySetting::Extra(extra.clone()))
        .await
        .expect("extra");
    store
        .withdraw_calendar_entry(
            &actor,
            site.id,
            CalendarEntry::Closure(closure_id),
            d(2024, 3, 1),
        )
        .await
        .expect("withdraw");
    assert_eq!(
        store
            .withdraw_calendar_entry(
                &actor,
                site.id,
                CalendarEntry::Closure(closure_id),
                d(2024, 3, 2)
            )
            .await,
        Err(StoreError::NotFound("entrée du calendrier")),
        "withdrawn once"
    );
    assert_eq!(
        store
            .withdraw_calendar_entry(
                &actor,
                SiteId(4040),
                CalendarEntry::Holiday(worked_id),
                d(2024, 3, 2)
            )
            .await,
        Err(StoreError::NotFound("entrée du calendrier")),
        "not through another site"
    );
    let cal = store.site_calendar(site.id).await.expect("calendar");
    assert_eq!(cal.closures.len(), 1);
    assert_eq!(cal.closures[0].item.removed_on, Some(d(2024, 3, 1)));
    assert_eq!(cal.closures[0].item.reason, "pont de l'Ascension");
    assert_eq!(cal.worked_holidays[0].item, worked);
    assert_eq!(cal.extra_holidays[0].item, extra);
    let settings = cal.settings();
    assert_eq!(settings.as_of(d(2024, 2, 1)).closures.len(), 1);
    assert_eq!(settings.as_of(d(2024, 3, 1)).closures.len(), 0);
    let audit = store.list_audit(10, None).await.expect("audit");
    assert_eq!(audit[0].action, "calendar.closure.withdraw");
}

pub async fn indicator_values_targets_and_validations(store: &dyn Store) {
    use qep_core::indicators::Comparator;
    assert_eq!(store.latest_value_year().await, Ok(None));

    use crate::{ImportFile, IndicatorValue, LocalTarget, SaveOutcome, ValueOrigin};
    let actor = Actor::cli();
    let value = |code: &str, period: &str, v: f64| IndicatorValue {
        code: code.into(),
        period: period.into(),
        site: None,
        value: v,
        numerator: None,
        denominator: None,
        weight: None,
        origin: ValueOrigin::Imported,
    };
    let batch = vec![
        IndicatorValue {
            numerator: Some(269.0),
            denominator: Some(295.0),
            ..value("m1.email.on_time", "2020", 91.19)
        },
        value("m1.phone.answered", "2020-01", 88.5),
        value("m1.phone.answered", "2020-Q1", 90.25),
        value("m1.phone.answered", "2021-01", 93.0),
    ];
    let file = ImportFile {
        kind: "values".into(),
        file_name: "valeurs-2020.csv".into(),
        sha256: "abc123".into(),
    };
    assert_eq!(
        store
            .save_indicator_values(&actor, &batch, Some(&file))
            .await,
        Ok(SaveOutcome::Saved { rows: 4 })
    );
    // The same file again changes nothing.
    let changed = vec![value("m1.phone.answered", "2020-01", 1.0)];
    assert!(matches!(
        store
            .save_indicator_values(&actor, &changed, Some(&file))
            .await,
        Ok(SaveOutcome::AlreadyImported { .. })
    ));
    let y2020 = store.list_indicator_values(2020).await.expect("list");
    assert_eq!(y2020.len(), 3, "2021 values are not in 2020");
    assert_eq!(store.latest_value_year().await, Ok(Some(2021)));
    assert_eq!(y2020[0].numerator, Some(269.0));
    assert!(
        y2020
            .iter()
            .any(|v| v.period == "2020-01" && v.value == 88.5)
    );

    // Entering a value replaces the imported one for the same period.
    let entered = IndicatorValue {
        origin: ValueOrigin::Entered,
        ..value("m1.phone.answered", "2020-01", 89.0)
    };
    store
        .save_indicator_values(&actor, std::slice::from_ref(&entered), None)
        .await
        .expect("entered");
    let y2020 = store.list_indicator_values(2020).await.expect("list");
    assert_eq!(y2020.len(), 3);
    assert!(y2020.contains(&entered));
    store
        .delete_indicator_value(&actor, "m1.phone.answered", "2020-01", None)
        .await
        .expect("delete");
    assert_eq!(
        store
            .delete_indicator_value(&actor, "m1.phone.answered", "2020-01", None)
            .await,
        Err(StoreError::NotFound("valeur"))
    );

    let target = LocalTarget {
        year: 2021,
        comparator: Comparator::Ge,
        value: 92.5,
    };
    store
        .set_local_target(&actor, "m1.phone.answered", &target)
        .await
        .expect("target");
    store
        .set_local_target(
            &actor,
            "m1.phone.answered",
            &LocalTarget {
                value: 93.0,
                ..target
            },
        )
        .await
        .expect("replace");
    let targets = store.list_local_targets().await.expect("targets");
    assert_eq!(
        targets,
        vec![(
            "m1.phone.answered".to_owned(),
            LocalTarget {
                value: 93.0,
                ..target
            }
        )]
    );
    store
        .delete_local_target(&actor, "m1.phone.answered", 2021)
        .await
        .expect("delete");
    assert!(
        store
            .list_local_targets()
            .await
            .expect("targets")
            .is_empty()
    );

    store
        .save_local_indicator(
            &actor,
            "local.accueil.attente",
            "{\"code\":\"local.accueil.attente\"}",
        )
        .await
        .expect("local indicator");
    assert_eq!(store.list_local_indicators().await.expect("local").len(), 1);

    store
        .validate_period(&actor, "2020-01", "[]")
        .await
        .expect("validate");
    assert_eq!(
        store.validate_period(&actor, "2020-01", "[]").await,
        Err(StoreError::Conflict(Conflict::AlreadyValidated))
    );
    let validations = store.list_validations(2020).await.expect("validations");
    assert_eq!(validations.len(), 1);
    assert_eq!(
        (
            validations[0].period.as_str(),
            validations[0].validated_by.as_str()
        ),
        ("2020-01", "ligne de commande")
    );
    assert!(
        store
            .list_validations(2021)
            .await
            .expect("validations")
            .is_empty()
    );
}

pub async fn correspondence_register(store: &dyn Store) {
    use chrono::NaiveDate;
    use qep_core::registers::correspondence::{AnswerType, Channel, Kind, OutOfScope};

    use crate::{CorrespondenceQuery, NewCorrespondence};
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    let actor = Actor::cli();
    let site = store
        .insert_site(
            &actor,
            &SiteDraft::new("Préfecture", "prefecture", "").expect("site"),
        )
        .await
        .expect("site");
    let accueil = store
        .insert_service(
            &actor,
            &ServiceDraft::new("Accueil", "ACC", site.id, true).expect("s"),
        )
        .await
        .expect("service");
    let base = store
        .insert_service(
            &actor,
            &ServiceDraft::new("Étrangers", "BASE", site.id, true).expect("s"),
        )
        .await
        .expect("service");
    let item = |kind: Kind, received_on: NaiveDate, service| NewCorrespondence {
        reference: None,
        channel: Channel::Email,
        kind,
        site: site.id,
        service: Some(service),
        received_at: received_on.and_hms_opt(9, 30, 0).expect("time").and_utc(),
        received_on,
        deadline_days: 5,
        due_on: received_on + chrono::Duration::days(7),
        requester_name: "Jeanne Usagère".into(),
        requester_email: "jeanne@example.org".into(),
        requester_address: String::new(),
        subject: "Horaires d'ouverture « été »".into(),
        in_scope: true,
        out_of_scope: None,
        answered_on: None,
        answer: None,
    };
    let ids = store
        .insert_correspondence(
            &actor,
            &[
                item(Kind::GeneralInformation, d(2024, 5, 2), accueil.id),
                item(Kind::Complaint, d(2024, 5, 3), base.id),
                item(Kind::GeneralInformation, d(2025, 1, 6), accueil.id),
            ],
        )
        .await
        .expect("register");
    assert_eq!(ids.len(), 3);
    let first = store.get_correspondence(ids[0]).await.expect("get");
    assert_eq!(first.reference, "2024-000001");
    assert_eq!(
        store
            .get_correspondence(ids[1])
            .await
            .expect("get")
            .reference,
        "2024-000002"
    );
    assert_eq!(
        store
            .get_correspondence(ids[2])
            .await
            .expect("get")
            .reference,
        "2025-000001"
    );
    assert_eq!(first.subject, "Horaires d'ouverture « été »");
    assert_eq!(
        first.received_at,
        d(2024, 5, 2).and_hms_opt(9, 30, 0).expect("t").and_utc()
    );

    // The same reference again adds nothing; an unknown service refuses the whole batch.
    let again = NewCorrespondence {
        reference: Some("2024-000001".into()),
        ..item(Kind::Suggestion, d(2024, 5, 4), accueil.id)
    };
    assert_eq!(
        store.insert_correspondence(&actor, &[again]).await,
        Ok(vec![])
    );
    let bad = vec![
        NewCorrespondence {
            reference: Some("IMP-1".into()),
            ..item(Kind::Suggestion, d(2024, 5, 4), accueil.id)
        },
        item(Kind::Suggestion, d(2024, 5, 4), ServiceId(9999)),
    ];
    assert_eq!(
        store.insert_correspondence(&actor, &bad).await,
        Err(StoreError::NotFound("site ou service"))
    );
    assert_eq!(
        store
            .list_correspondence(&CorrespondenceQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .expect("list")
            .len(),
        3,
        "nothing half-written"
    );

    // An agent of the reception service sees its items only; open items by due date.
    let mine = store
        .list_correspondence(&CorrespondenceQuery {
            services: Some(vec![accueil.id]),
            open_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(
        mine.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[0], ids[2]]
    );
    store
        .answer_correspondence(&actor, ids[0], d(2024, 5, 6), AnswerType::Substantive)
        .await
        .expect("answer");
    store
        .transfer_correspondence(&actor, ids[1], accueil.id)
        .await
        .expect("transfer");
    let moved = store.get_correspondence(ids[1]).await.expect("get");
    assert_eq!(
        (moved.service, moved.due_on),
        (Some(accueil.id), d(2024, 5, 10)),
        "due date kept"
    );
    store
        .set_correspondence_scope(&actor, ids[2], Some(OutOfScope::SpecificFile))
        .await
        .expect("scope");
    let due_soon = store
        .list_correspondence(&CorrespondenceQuery {
            services: Some(vec![accueil.id]),
            open_only: true,
            due_by: Some(d(2024, 5, 31)),
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(
        due_soon.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[1]]
    );

    let rows = store
        .register_rows(d(2024, 1, 1), d(2025, 12, 31))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2, "out-of-scope items feed no indicator");
    let answered = rows
        .iter()
        .find(|r| r.kind == Kind::GeneralInformation)
        .expect("row");
    assert_eq!(
        (answered.answered_on, answered.deadline_days),
        (Some(d(2024, 5, 6)), 5)
    );
    assert_eq!(
        store
            .answer_correspondence(&actor, ItemId(424242), d(2024, 5, 6), AnswerType::Forwarded)
            .await,
        Err(StoreError::NotFound("élément du registre"))
    );
}

pub async fn outbox_and_templates(store: &dyn Store) {
    use chrono::{Duration, NaiveDate};
    use qep_core::registers::correspondence::{Channel, Kind};

    use crate::{NewCorrespondence, NewMail};
    let actor = Actor::cli();
    let site = store
        .insert_site(
            &actor,
            &SiteDraft::new("Préfecture", "prefecture", "").expect("site"),
        )
        .await
        .expect("site");
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let item = NewCorrespondence {
        reference: None,
        channel: Channel::WebForm,
        kind: Kind::Complaint,
        site: site.id,
        service: None,
        received_at: day.and_hms_opt(8, 0, 0).expect("t").and_utc(),
        received_on: day,
        deadline_days: 5,
        due_on: day + Duration::days(7),
        requester_name: String::new(),
        requester_email: "usager@example.org".into(),
        requester_address: String::new(),
        subject: "Attente".into(),
        in_scope: true,
        out_of_scope: None,
        answered_on: None,
        answer: None,
    };
    let saved = store
        .register_with_acknowledgement(
            &actor,
            &item,
            "Trop d'attente au guichet.",
            Box::new(|c| {
                Some(NewMail::automatic(
                    &c.requester_email,
                    &format!("Votre message {}", c.reference),
                    &format!(
                        "Référence {}, réponse au plus tard le {}.",
                        c.reference, c.due_on
                    ),
                    Some(c.id),
                ))
            }),
        )
        .await
        .expect("register");
    assert_eq!(saved.reference, "2026-000001");
    assert_eq!(saved.body, "Trop d'attente au guichet.");
    let now = Utc::now();
    let due = store.due_mails(now, 10).await.expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].subject, "Votre message 2026-000001");
    assert_eq!(store.outbox_counts().await, Ok((1, 0)));

    // A failed attempt waits for its retry time; giving up keeps the row, never retried.
    store
        .mark_mail_failed(
            due[0].id,
            "connexion refusée",
            Some(now + Duration::minutes(5)),
        )
        .await
        .expect("failed");
    assert!(store.due_mails(now, 10).await.expect("due").is_empty());
    let retry = store
        .due_mails(now + Duration::minutes(6), 10)
        .await
        .expect("due");
    assert_eq!(retry[0].attempts, 1);
    store
        .mark_mail_failed(due[0].id, "encore", None)
        .await
        .expect("give up");
    assert!(
        store
            .due_mails(now + Duration::days(3650), 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert_eq!(store.outbox_counts().await, Ok((0, 1)));

    let other = store
        .enqueue_mail(&NewMail::automatic("x@example.org", "s", "b", None))
        .await
        .expect("enqueue");
    store.mark_mail_sent(other, now).await.expect("sent");
    assert!(
        store
            .due_mails(now + Duration::days(1), 10)
            .await
            .expect("due")
            .is_empty()
    );

    assert_eq!(store.find_template("ack.general").await, Ok(None));
    store
        .save_template(&actor, "ack.general", "Sujet {{ reference }}", "Corps")
        .await
        .expect("save");
    store
        .save_template(&actor, "ack.general", "Sujet 2", "Corps 2")
        .await
        .expect("replace");
    let t = store
        .find_template("ack.general")
        .await
        .expect("read")
        .expect("present");
    assert_eq!(
        (t.subject.as_str(), t.body.as_str()),
        ("Sujet 2", "Corps 2")
    );
}

pub async fn log_registers(store: &dyn Store) {
    use chrono::NaiveDate;
    use qep_core::registers::log::{LogEntry, LogRegister};
    let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("date");
    let actor = Actor::cli();
    let site = store
        .insert_site(
            &actor,
            &SiteDraft::new("Préfecture", "prefecture", "").expect("site"),
        )
        .await
        .expect("site");
    let meeting = LogEntry {
        register: LogRegister::OfficialsMeetings,
        started_on: d(5, 2),
        first_on: None,
        second_on: None,
        category: String::new(),
        minutes: None,
        label: "Maire d'Argentan".into(),
        flag: None,
        commitment: None,
    };
    let id = store
        .insert_log_entry(&actor, site.id, None, &meeting)
        .await
        .expect("insert");
    let visit = LogEntry {
        register: LogRegister::PanVisits,
        started_on: d(5, 3),
        category: "titles".into(),
        minutes: Some(25),
        flag: Some(true),
        label: "dossier déposé".into(),
        ..meeting.clone()
    };
    store
        .insert_log_entry(&actor, site.id, None, &visit)
        .await
        .expect("insert");
    assert_eq!(
        store
            .insert_log_entry(&actor, SiteId(999), None, &visit)
            .await,
        Err(StoreError::NotFound("site ou service"))
    );
    store
        .update_log_dates(&actor, id, Some(d(5, 6)), Some(d(5, 15)))
        .await
        .expect("update");
    let got = store.get_log_entry(id).await.expect("get");
    assert_eq!(
        (got.entry.first_on, got.entry.second_on),
        (Some(d(5, 6)), Some(d(5, 15)))
    );
    let meetings = store
        .list_log_entries(Some(LogRegister::OfficialsMeetings), d(1, 1), d(12, 31))
        .await
        .expect("list");
    assert_eq!(meetings.len(), 1);
    let all = store
        .list_log_entries(None, d(1, 1), d(12, 31))
        .await
        .expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].entry, visit);
    assert_eq!(
        store
            .update_log_dates(&actor, LogEntryId(4242), None, None)
            .await,
        Err(StoreError::NotFound("entrée du registre"))
    );
    let training = LogEntry {
        register: LogRegister::Trainings,
        started_on: d(3, 4),
        category: "Lutte contre la fraude documentaire".into(),
        label: "Camille Martin".into(),
        commitment: Some(23),
        ..meeting.clone()
    };
    let tid = store
        .insert_log_entry(&actor, site.id, None, &training)
        .await
        .expect("training");
    assert_eq!(store.get_log_entry(tid).await.expect("get").entry, training);
    assert_eq!(store.claim_job_run("digest", d(5, 2)).await, Ok(true));
    assert_eq!(
        store.claim_job_run("digest", d(5, 2)).await,
        Ok(false),
        "once a day"
    );
    assert_eq!(store.claim_job_run("digest", d(5, 3)).await, Ok(true));
    assert_eq!(store.claim_job_run("other", d(5, 2)).await, Ok(true));
}

pub async fn imported_facts_and_mappings(store: &dyn Store) {
    use qep_core::indicators::imported::{Fact, FactPeriod, FactSource, Measure};

    use crate::{ImportFile, SaveOutcome};
    let actor = Actor::cli();
    let fact = |period: &str, key: &str, measure: Measure, value: f64| Fact {
        source: FactSource::Calls,
        period: FactPeriod::parse(period).expect("period"),
        key: key.into(),
        measure,
        value,
    };
    let file = |sha: &str| ImportFile {
        kind: "calls".into(),
        file_name: format!("appels-{sha}.csv"),
        sha256: sha.into(),
    };
    let first = vec![
        fact("2020-03-02", "standard", Measure::Presented, 10.0),
        fact("2020-03-02", "standard", Measure::Answered, 9.0),
        fact("2020-12-31", "standard", Measure::Presented, 4.0),
        fact("2021-01-04", "standard", Measure::Presented, 7.0),
    ];
    assert_eq!(
        store.save_facts(&actor, &file("f1"), 30, &first).await,
        Ok(SaveOutcome::Saved { rows: 4 })
    );
    // The same file again changes nothing.
    let again = store
        .save_facts(
            &actor,
            &file("f1"),
            30,
            &[fact("2020-03-02", "standard", Measure::Presented, 99.0)],
        )
        .await
        .expect("saved");
    assert!(
        matches!(again, SaveOutcome::AlreadyImported { ref file_name, .. } if file_name == "appels-f1.csv")
    );
    // A corrected file replaces the facts it carries and leaves the others.
    store
        .save_facts(
            &actor,
            &file("f2"),
            12,
            &[fact("2020-03-02", "standard", Measure::Answered, 8.0)],
        )
        .await
        .expect("saved");
    let y2020 = store.list_facts(2020).await.expect("facts");
    let values: Vec<(String, &str, f64)> = y2020
        .iter()
        .map(|f| (f.period.to_string(), f.measure.as_str(), f.value))
        .collect();
    assert_eq!(
        values,
        vec![
            ("2020-03-02".into(), "answered", 8.0),
            ("2020-03-02".into(), "presented", 10.0),
            ("2020-12-31".into(), "presented", 4.0),
        ]
    );
    assert_eq!(store.list_facts(2021).await.expect("facts").len(), 1);
    let imports = store.list_imports(10).await.expect("imports");
    assert_eq!(
        imports
            .iter()
            .map(|i| (i.file_name.as_str(), i.rows))
            .collect::<Vec<_>>(),
        vec![("appels-f2.csv", 12), ("appels-f1.csv", 30)]
    );

    assert_eq!(store.list_mappings().await, Ok(vec![]));
    store
        .save_mapping(&actor, "autocom", "calls", "name = \"autocom\"")
        .await
        .expect("saved");
    store
        .save_mapping(&actor, "autocom", "calls", "name = \"autocom\"\n# v2")
        .await
        .expect("replaced");
    let saved = store.list_mappings().await.expect("mappings");
    assert_eq!(saved.len(), 1);
    assert!(saved[0].definition.ends_with("# v2") && saved[0].updated_by == actor.label);
    store
        .delete_mapping(&actor, "autocom")
        .await
        .expect("deleted");
    assert_eq!(
        store.delete_mapping(&actor, "autocom").await,
        Err(StoreError::NotFound("modèle de correspondance"))
    );
}

/// A register item with what each scenario needs; `site` must exist.
fn new_item(
    site: SiteId,
    received_on: chrono::NaiveDate,
    subject: &str,
) -> crate::NewCorrespondence {
    use qep_core::registers::correspondence::{Channel, Kind};
    crate::NewCorrespondence {
        reference: None,
        channel: Channel::Email,
        kind: Kind::GeneralInformation,
        site,
        service: None,
        received_at: received_on.and_hms_opt(9, 0, 0).expect("t").and_utc(),
        received_on,
        deadline_days: 5,
        due_on: received_on + Duration::days(7),
        requester_name: "Jeanne Usagère".into(),
        requester_email: "jeanne@example.org".into(),
        requester_address: "1 rue de la Paix".into(),
        subject: subject.into(),
        in_scope: true,
        out_of_scope: None,
        answered_on: None,
        answer: None,
    }
}

async fn a_site(store: &dyn Store) -> SiteId {
    store
        .insert_site(
            &Actor::cli(),
            &SiteDraft::new("Préfecture", "prefecture", "").expect("site"),
        )
        .await
        .expect("site")
        .id
}

pub async fn answers_attachments_and_retention(store: &dyn Store) {
    use chrono::NaiveDate;
    use qep_core::registers::correspondence::AnswerType;

    use crate::NewMail;
    let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("date");
    let actor = Actor::cli();
    let site = a_site(store).await;
    let ids = store
        .insert_correspondence(
            &actor,
            &[
                new_item(site, d(1, 8), "Ancien"),
                new_item(site, d(6, 3), "Récent"),
            ],
        )
        .await
        .expect("register");
    let (old, recent) = (ids[0], ids[1]);

    // Answering by mail records the answer and queues the reply in one operation.
    let reply = NewMail {
        sender: Some("accueil@example.gouv.fr".into()),
        reply_to: Some("accueil@example.gouv.fr".into()),
        ..NewMail::automatic("jeanne@example.org", "Réponse", "Voici.", Some(old))
    };
    store
        .answer_by_mail(&actor, old, d(1, 10), AnswerType::Substantive, &reply)
        .await
        .expect("answer");
    let answered = store.get_correspondence(old).await.expect("get");
    assert_eq!(answered.answered_on, Some(d(1, 10)));
    assert_eq!(answered.answer, Some(AnswerType::Substantive));
    let now = Utc::now();
    let queued = store.due_mails(now, 10).await.expect("due");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].correspondence_id, Some(old));
    assert_eq!(queued[0].sender.as_deref(), Some("accueil@example.gouv.fr"));
    assert_eq!(
        store
            .answer_by_mail(
                &actor,
                ItemId(424242),
                d(1, 10),
                AnswerType::Substantive,
                &reply
            )
            .await,
        Err(StoreError::NotFound("élément du registre"))
    );
    assert_eq!(
        store.due_mails(now, 10).await.expect("due").len(),
        1,
        "a refused answer queues nothing"
    );

    // Attachments keep their bytes, name and type; an unknown item refuses them.
    let pdf = b"%PDF-1.4 \x00\xff binary".to_vec();
    let a = store
        .insert_attachment(&actor, old, "réponse.pdf", "application/pdf", &pdf)
        .await
        .expect("attach");
    store
        .insert_attachment(&actor, recent, "photo.png", "image/png", b"\x89PNG")
        .await
        .expect("attach");
    let listed = store.list_attachments(old).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].file_name, "réponse.pdf");
    assert_eq!(listed[0].size, pdf.len() as u64);
    let (meta, bytes) = store.get_attachment(a).await.expect("get");
    assert_eq!((meta.correspondence_id, bytes), (old, pdf));
    assert!(matches!(
        store.get_attachment(AttachmentId(999_999)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .insert_attachment(&actor, ItemId(999_999), "x.pdf", "application/pdf", b"x")
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Retention: items closed before the cutoff lose their personal data and files, the
    // others keep everything; a second run finds nothing more.
    store
        .mark_mail_sent(
            queued[0].id,
            d(1, 10).and_hms_opt(12, 0, 0).expect("t").and_utc(),
        )
        .await
        .expect("sent");
    assert_eq!(
        store
            .purge_personal_data(&actor, d(3, 1))
            .await
            .expect("purge"),
        1
    );
    let purged = store.get_correspondence(old).await.expect("get");
    assert_eq!(
        (
            purged.requester_name.as_str(),
            purged.requester_email.as_str(),
            purged.requester_address.as_str(),
            purged.body.as_str()
        ),
        ("", "", "", "")
    );
    assert_eq!(purged.subject, "Ancien", "the register line itself stays");
    assert_eq!(purged.answered_on, Some(d(1, 10)));
    assert!(store.list_attachments(old).await.expect("list").is_empty());
    let kept = store.get_correspondence(recent).await.expect("get");
    assert_eq!(kept.requester_email, "jeanne@example.org");
    assert_eq!(store.list_attachments(recent).await.expect("list").len(), 1);
    assert_eq!(
        store
            .purge_personal_data(&actor, d(3, 1))
            .await
            .expect("purge"),
        0
    );
    let audit = store.list_audit(50, None).await.expect("audit");
    assert!(audit.iter().any(|e| e.action == "correspondence.anonymise"));

    // Sampled weeks: listed oldest first, one per start day, removable.
    store
        .add_sampled_week(&actor, d(6, 10), d(6, 14))
        .await
        .expect("week");
    store
        .add_sampled_week(&actor, d(3, 4), d(3, 8))
        .await
        .expect("week");
    assert_eq!(
        store.list_sampled_weeks().await.expect("weeks"),
        vec![(d(3, 4), d(3, 8)), (d(6, 10), d(6, 14))]
    );
    assert!(
        store
            .add_sampled_week(&actor, d(3, 4), d(3, 8))
            .await
            .is_err(),
        "the same week twice"
    );
    store
        .remove_sampled_week(&actor, d(3, 4))
        .await
        .expect("remove");
    assert_eq!(
        store.list_sampled_weeks().await.expect("weeks"),
        vec![(d(6, 10), d(6, 14))]
    );
}

pub async fn outbox_leases_and_daily_batches(store: &dyn Store) {
    use chrono::NaiveDate;

    use crate::NewMail;
    for i in 0..3 {
        store
            .enqueue_mail(&NewMail::automatic(
                &format!("u{i}@example.org"),
                "Objet",
                "Corps",
                None,
            ))
            .await
            .expect("enqueue");
    }
    let now = Utc::now();
    // A claim leases the oldest due messages: a second claimer gets the others, then none.
    let lease = now + Duration::minutes(10);
    let first = store.claim_mails(now, lease, 2).await.expect("claim");
    assert_eq!(
        first.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(),
        ["u0@example.org", "u1@example.org"]
    );
    let second = store.claim_mails(now, lease, 10).await.expect("claim");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].to, "u2@example.org");
    assert!(
        store
            .claim_mails(now, lease, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    // Once the lease has run out, an unsent message can be claimed again; a sent one never.
    store.mark_mail_sent(first[0].id, now).await.expect("sent");
    let later = lease + Duration::seconds(1);
    let again = store
        .claim_mails(later, later + Duration::minutes(10), 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|m| m.id != first[0].id));

    // A daily batch is queued once per (job, day), all its messages or none.
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let batch = [
        NewMail::automatic("a@example.org", "Synthèse", "1", None),
        NewMail::automatic("b@example.org", "Synthèse", "2", None),
    ];
    assert_eq!(
        store
            .enqueue_mails_once("digest", day, &batch)
            .await
            .expect("batch"),
        Some(2)
    );
    assert_eq!(
        store
            .enqueue_mails_once("digest", day, &batch)
            .await
            .expect("batch"),
        None
    );
    assert_eq!(
        store
            .enqueue_mails_once("digest", day + Duration::days(1), &batch[..1])
            .await
            .expect("batch"),
        Some(1)
    );
    assert!(
        !store.claim_job_run("digest", day).await.expect("run"),
        "the batch claimed the day's run"
    );
    assert_eq!(store.outbox_counts().await.expect("counts").0, 2 + 3);
}

pub async fn durable_jobs_under_leases(store: &dyn Store) {
    use crate::{JobOutcome, JobState};
    let t0 = Utc::now();
    let minutes = Duration::minutes;
    // One job per (kind, key).
    assert!(
        store
            .schedule_job("digest", "2026-03-02", t0)
            .await
            .expect("schedule")
    );
    assert!(
        !store
            .schedule_job("digest", "2026-03-02", t0)
            .await
            .expect("schedule")
    );
    assert!(
        store
            .schedule_job("retention", "2026-03-02T10", t0 + minutes(30))
            .await
            .expect("schedule")
    );
    // Only due jobs of the asked kinds are claimed, once.
    assert_eq!(
        store
            .claim_job(&["import"], "w1", t0, t0 + minutes(5))
            .await
            .expect("claim"),
        None
    );
    let job = store
        .claim_job(&["digest", "retention"], "w1", t0, t0 + minutes(5))
        .await
        .expect("claim")
        .expect("the digest is due");
    assert_eq!(
        (job.kind.as_str(), job.state, job.attempts),
        ("digest", JobState::Running, 1)
    );
    assert_eq!(job.lease_owner.as_deref(), Some("w1"));
    assert_eq!(
        store
            .claim_job(&["digest", "retention"], "w2", t0, t0 + minutes(5))
            .await
            .expect("claim"),
        None,
        "running, and the retention job is not due yet"
    );
    // A failure with a retry queues it again for later; another owner cannot finish it.
    store
        .finish_job(job.id, "w2", t0, &JobOutcome::Done("volé".into()))
        .await
        .expect("finish");
    store
        .finish_job(
            job.id,
            "w1",
            t0,
            &JobOutcome::Failed {
                error: "SMTP indisponible".into(),
                retry_at: Some(t0 + minutes(2)),
            },
        )
        .await
        .expect("finish");
    let listed = store.list_jobs(10).await.expect("list");
    let digest = listed.iter().find(|j| j.id == job.id).expect("listed");
    assert_eq!(digest.state, JobState::Queued);
    assert_eq!(digest.last_error.as_deref(), Some("SMTP indisponible"));
    assert_eq!(digest.lease_owner, None);
    let retried = store
        .claim_job(&["digest"], "w1", t0 + minutes(3), t0 + minutes(8))
        .await
        .expect("claim")
        .expect("due again");
    assert_eq!(retried.attempts, 2);
    store
        .finish_job(
            retried.id,
            "w1",
            t0 + minutes(4),
            &JobOutcome::Done("3 messages".into()),
        )
        .await
        .expect("finish");
    let done = store.list_jobs(10).await.expect("list");
    let digest = done.iter().find(|j| j.id == job.id).expect("listed");
    assert_eq!(
        (digest.state, digest.detail.as_str()),
        (JobState::Done, "3 messages")
    );

    // A started job (an import) lives under a lease its owner renews; once the lease runs
    // out, expiry queues again the kinds that may be retried and fails the others.
    let import = store
        .start_job("import", "appels.csv", "web-1", t0, t0 + minutes(1))
        .await
        .expect("start");
    store
        .renew_job(import, "web-1", t0 + minutes(1), t0 + minutes(2))
        .await
        .expect("renew");
    store
        .renew_job(import, "intrus", t0 + minutes(1), t0 + minutes(60))
        .await
        .expect("renew by another owner changes nothing");
    let retention = store
        .claim_job(&["retention"], "w1", t0 + minutes(31), t0 + minutes(32))
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(
        store
            .expire_jobs(t0 + minutes(90), &["retention"], "processus arrêté")
            .await
            .expect("expire"),
        2
    );
    let after = store.list_jobs(10).await.expect("list");
    let state = |id| after.iter().find(|j| j.id == id).map(|j| j.state);
    assert_eq!(state(import), Some(JobState::Failed));
    assert_eq!(state(retention.id), Some(JobState::Queued));
    assert_eq!(
        after
            .iter()
            .find(|j| j.id == import)
            .and_then(|j| j.last_error.as_deref()),
        Some("processus arrêté")
    );
    assert!(store.list_jobs(1).await.expect("list").len() == 1);
}

pub async fn report_texts_per_year(store: &dyn Store) {
    let actor = Actor::cli();
    assert!(store.report_texts(2022).await.expect("texts").is_empty());
    let texts = vec![
        (
            "introduction".to_owned(),
            "Bilan « 2022 » : $ # * [ ]".to_owned(),
        ),
        ("module-1".to_owned(), "Accueil\nsur deux lignes".to_owned()),
    ];
    store
        .save_report_texts(&actor, 2022, &texts)
        .await
        .expect("save");
    assert_eq!(store.report_texts(2022).await.expect("texts"), texts);
    assert!(store.report_texts(2023).await.expect("texts").is_empty());
    // Saving replaces the year's texts; an empty text removes its section.
    store
        .save_report_texts(
            &actor,
            2022,
            &[
                ("introduction".into(), "Nouveau".into()),
                ("module-1".into(), "  ".into()),
            ],
        )
        .await
        .expect("save");
    assert_eq!(
        store.report_texts(2022).await.expect("texts"),
        vec![("introduction".to_owned(), "Nouveau".to_owned())]
    );
    let audit = store.list_audit(10, None).await.expect("audit");
    assert!(audit.iter().any(|e| e.action == "report.texts"));
}

pub async fn backend_answers(store: &dyn Store) {
    store.ping().await.expect("ping");
    assert!(matches!(store.backend(), "sqlite" | "postgres"));
}

pub async fn large_batches_are_staged_and_stay_atomic(store: &dyn Store) {
    use chrono::NaiveDate;

    use crate::CorrespondenceQuery;
    let actor = Actor::cli();
    let site = a_site(store).await;
    let day = NaiveDate::from_ymd_opt(2024, 3, 4).expect("date");
    let batch: Vec<_> = (0..1200)
        .map(|i| crate::NewCorrespondence {
            reference: Some(format!("IMP-{i}")),
            ..new_item(site, day, &format!("Demande {i}"))
        })
        .chain([new_item(site, day, "Sans référence")])
        .collect();
    let ids = store
        .insert_correspondence(&actor, &batch)
        .await
        .expect("large batch");
    assert_eq!(ids.len(), 1201);
    let all = store
        .list_correspondence(&CorrespondenceQuery::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1201);
    assert!(
        all.iter()
            .any(|c| c.reference == "IMP-1199" && c.subject == "Demande 1199")
    );
    assert!(all.iter().any(|c| c.reference == "2024-000001"));
    // Pages of a list, in its stable order, add up to the whole list.
    let mut paged = Vec::new();
    for page in 0.. {
        let items = store
            .list_correspondence(&CorrespondenceQuery {
                limit: 500,
                offset: page * 500,
                ..Default::default()
            })
            .await
            .expect("page");
        if items.is_empty() {
            break;
        }
        paged.extend(items.into_iter().map(|c| c.id));
    }
    assert_eq!(paged, all.iter().map(|c| c.id).collect::<Vec<_>>());
    // Again: every brought reference is present, only the unnumbered item is new.
    assert_eq!(
        store
            .insert_correspondence(&actor, &batch)
            .await
            .expect("again")
            .len(),
        1
    );
    // One bad row refuses the whole large batch.
    let mut bad: Vec<_> = (0..800)
        .map(|i| crate::NewCorrespondence {
            reference: Some(format!("NEW-{i}")),
            ..new_item(site, day, "Nouvelle")
        })
        .collect();
    bad[400].service = Some(ServiceId(987_654));
    assert!(store.insert_correspondence(&actor, &bad).await.is_err());
    assert_eq!(
        store
            .list_correspondence(&CorrespondenceQuery::default())
            .await
            .expect("list")
            .len(),
        1202,
        "nothing of the refused batch"
    );
    // And the next large batch on the same connection is not mixed with it.
    bad[400].service = None;
    assert_eq!(
        store
            .insert_correspondence(&actor, &bad)
            .await
            .expect("fixed batch")
            .len(),
        800
    );
    // The export's visit: every item received in [from, until), in order of receipt.
    let mut seen: Vec<(chrono::DateTime<Utc>, String)> = Vec::new();
    let n = store
        .for_each_received(day, day + Duration::days(1), &mut |c| {
            seen.push((c.received_at, c.reference));
            Ok(())
        })
        .await
        .expect("visit");
    assert_eq!(n, 2002);
    assert_eq!(seen.len(), 2002);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "in order of receipt");
    assert_eq!(
        store
            .for_each_received(
                day + Duration::days(1),
                day + Duration::days(9),
                &mut |_| Ok(())
            )
            .await,
        Ok(0),
        "the end of the range is excluded"
    );
    // The visitor's error stops the visit.
    let mut visits = 0;
    let stopped = store
        .for_each_received(day, day + Duration::days(1), &mut |_| {
            visits += 1;
            if visits == 10 {
                Err(StoreError::Backend("stop".into()))
            } else {
                Ok(())
            }
        })
        .await;
    assert_eq!(stopped, Err(StoreError::Backend("stop".into())));
    assert_eq!(visits, 10);
}
