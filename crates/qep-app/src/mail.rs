//! Messages QeP sends: acknowledgements written from editable templates, queued in the
//! store's durable outbox, and sent by SMTP with back-off. A failed send never blocks or
//! loses a registration: the message waits in the outbox and is retried.

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{Environment, context};
use qep_core::registers::correspondence::{Channel, Kind};
use qep_store::{Correspondence, Mail, NewMail, StoreResult, Template};

use crate::Ctx;

/// Mail settings (from `qep.toml` / `QEP_*`).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain), `smtp://host:587?tls=required`, `smtps://user:pass@host`…
    /// Without it, messages wait in the outbox.
    pub smtp_url: Option<String>,
    /// The sender, e.g. `Préfecture du Cher <ne-pas-repondre@cher.gouv.fr>`.
    pub from: String,
    pub poll_interval: Duration,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "QeP <ne-pas-repondre@localhost>".into(),
            poll_interval: Duration::from_secs(30),
        }
    }
}

/// `Auto-Submitted` (RFC 3834) on the messages QeP writes itself, so that vacation
/// responders stay quiet: `auto-replied` for an acknowledgement (it answers a message),
/// `auto-generated` for the rest (the digest). Never on an agent's answer.
#[derive(Clone)]
struct AutoSubmitted(&'static str);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted(if s.trim() == "auto-replied" {
            "auto-replied"
        } else {
            "auto-generated"
        }))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_owned())
    }
}

/// The acknowledgement template for an item: key, default subject and default body.
/// Defaults follow the Loir-et-Cher's acknowledgements (REFERENTIEL.md, source S3): a
/// general information request, a specific file, a paper letter.
pub fn default_template(
    channel: Channel,
    kind: Kind,
) -> (&'static str, &'static str, &'static str) {
    if !channel.is_electronic() && kind != Kind::SpecificFile {
        return (
            "ack.letter",
            "{{ prefecture }} – votre courrier {{ reference }}",
            "Bonjour,\n\nNous avons bien reçu votre courrier du {{ received_on }}, enregistré sous la référence {{ reference }}.\n\nIl sera examiné dans un délai de 10 jours ouvrés : vous recevrez une réponse au plus tard le {{ due_on }}.\n\nCordialement,\n{{ prefecture }}\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n",
        );
    }
    match kind {
        Kind::SpecificFile => (
            "ack.specific_file",
            "{{ prefecture }} – votre demande {{ reference }}",
            "Bonjour,\n\nNous avons bien reçu votre demande du {{ received_on }}, enregistrée sous la référence {{ reference }}.\n\nElle concerne un dossier particulier : nous l'avons transmise au service compétent, qui vous répondra. Le délai moyen de traitement de ce type de demande est de 5 à 10 jours ouvrés, à titre indicatif.\n\nCordialement,\n{{ prefecture }}\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n",
        ),
        Kind::Complaint | Kind::Suggestion => (
            "ack.complaint",
            "{{ prefecture }} – votre message {{ reference }}",
            "Bonjour,\n\nNous avons bien reçu votre {{ kind }} du {{ received_on }}, enregistrée sous la référence {{ reference }}.\n\nElle sera examinée et une réponse vous sera apportée au plus tard le {{ due_on }}. Vos remarques nous aident à améliorer l'accueil des usagers.\n\nCordialement,\n{{ prefecture }}\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n",
        ),
        _ => (
            "ack.general",
            "{{ prefecture }} – votre demande {{ reference }}",
            "Bonjour,\n\nNous avons bien reçu votre demande d'information du {{ received_on }}, enregistrée sous la référence {{ reference }}.\n\nElle sera examinée dans un délai de 5 jours ouvrés : vous recevrez une réponse au plus tard le {{ due_on }}.\n\nCordialement,\n{{ prefecture }}\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n",
        ),
    }
}

/// Answer templates: (key, what it is for, default subject, default body). The agent edits
/// the text before sending; sending records the answer.
pub const ANSWER_TEMPLATES: [(&str, &str, &str, &str); 2] = [
    (
        "answer.substantive",
        "Réponse sur le fond",
        "{{ prefecture }} – réponse à votre demande {{ reference }}",
        "Bonjour,\n\nEn réponse à votre demande du {{ received_on }} (référence {{ reference }}) :\n\n[Votre réponse]\n\nCordialement,\n{{ service }}\n{{ prefecture }}\n",
    ),
    (
        "answer.forwarded",
        "Transmission au service compétent",
        "{{ prefecture }} – votre demande {{ reference }} a été transmise",
        "Bonjour,\n\nVotre demande du {{ received_on }} (référence {{ reference }}) relève d'un autre service : nous l'avons transmise au service compétent, qui vous répondra directement.\n\nCordialement,\n{{ service }}\n{{ prefecture }}\n",
    ),
];

/// Renders a template (stored or default) for an item, leniently: a broken stored template
/// falls back to the default text.
pub fn render_for(
    item: &Correspondence,
    source: &str,
    fallback: &str,
    prefecture: &str,
    service: &str,
) -> String {
    let ctx = context! {
        reference => item.reference.clone(),
        received_on => item.received_on.format("%d/%m/%Y").to_string(),
        due_on => item.due_on.format("%d/%m/%Y").to_string(),
        service => service,
        prefecture => prefecture,
        kind => item.kind.label().to_lowercase(),
    };
    let env = Environment::new();
    env.render_str(source, &ctx)
        .or_else(|_| env.render_str(fallback, &ctx))
        .unwrap_or_else(|_| fallback.to_owned())
}

/// Every acknowledgement template: (key, what it is for, an item it is written for).
pub const TEMPLATES: [(&str, &str, Channel, Kind); 4] = [
    (
        "ack.general",
        "Accusé de réception d'une demande d'information",
        Channel::Email,
        Kind::GeneralInformation,
    ),
    (
        "ack.complaint",
        "Accusé de réception d'une réclamation ou d'une suggestion",
        Channel::Email,
        Kind::Complaint,
    ),
    (
        "ack.specific_file",
        "Accusé de réception d'une demande sur un dossier particulier",
        Channel::Email,
        Kind::SpecificFile,
    ),
    (
        "ack.letter",
        "Accusé de réception d'un courrier papier",
        Channel::Letter,
        Kind::GeneralInformation,
    ),
];

/// Checks a template an admin wrote: it must render with every merge field, and name no
/// other. Returns the error in French.
pub fn check_template(source: &str) -> Result<(), String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let sample = context! {
        reference => "2026-000123",
        received_on => "02/03/2026",
        due_on => "09/03/2026",
        service => "le service compétent",
        prefecture => "Préfecture de l'Orne",
        kind => "réclamation",
    };
    env.render_str(source, sample).map(|_| ()).map_err(|e| {
        format!(
            "{} (champs disponibles : reference, received_on, due_on, service, prefecture, kind)",
            e.detail().unwrap_or("modèle invalide")
        )
    })
}

/// The acknowledgement of `item`, written from the prefecture's template for its kind (or
/// the default one). `None` when there is no address to write to.
pub fn acknowledgement(
    item: &Correspondence,
    template: Option<&Template>,
    prefecture: &str,
    service: &str,
) -> Option<NewMail> {
    if item.requester_email.is_empty() {
        return None;
    }
    let (_, default_subject, default_body) = default_template(item.channel, item.kind);
    let (subject, body) = match template {
        Some(t) => (t.subject.as_str(), t.body.as_str()),
        None => (default_subject, default_body),
    };
    // A template broken by an edit falls back to the default rather than losing the message.
    let render = |src: &str, fallback: &str| render_for(item, src, fallback, prefecture, service);
    Some(NewMail {
        to: item.requester_email.clone(),
        subject: render(subject, default_subject)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        body: render(body, default_body),
        correspondence_id: Some(item.id),
        sender: None,
        reply_to: None,
        automatic: true,
    })
}

/// Waiting time before the next attempt: 1, 2, 4… minutes, at most 6 hours; after 12
/// attempts the message is given up (it stays in the outbox, visible).
pub fn backoff(attempts: u32) -> Option<Duration> {
    (attempts < 12).then(|| Duration::from_secs((60u64 << attempts.min(9)).min(6 * 3600)))
}

/// The domain of an address (`ne-pas-repondre@cher.gouv.fr` → `cher.gouv.fr`), for the
/// Message-ID.
fn domain_of(address: &str) -> &str {
    let address = address.trim().trim_end_matches('>');
    address.rsplit_once('@').map_or("localhost", |(_, d)| d)
}

/// Why a sender address would get QeP's messages refused or filed as spam: unreadable, or
/// a local domain (`localhost`, `.local`, `.invalid`, no dot…). `None` when it looks right.
pub fn sender_problem(from: &str) -> Option<String> {
    let mailbox: lettre::message::Mailbox = match from.parse() {
        Ok(m) => m,
        Err(e) => return Some(format!("adresse d'expéditeur illisible « {from} » ({e})")),
    };
    let domain = mailbox.email.domain().to_lowercase();
    let local = !domain.contains('.')
        || [
            ".local",
            ".localdomain",
            ".invalid",
            ".test",
            ".example",
            ".internal",
            ".lan",
        ]
        .iter()
        .any(|suffix| domain.ends_with(suffix));
    local.then(|| {
        format!(
            "l'expéditeur « {} » a un domaine local ({domain}) : les serveurs des usagers refuseront ses messages ou les classeront en indésirables ; indiquez une adresse de la préfecture (mail_from)",
            mailbox.email
        )
    })
}

/// A message's Message-ID: the same for every attempt, so that a message sent again after
/// a crash between sending and marking is recognised by the receiving side.
pub fn message_id(mail: &Mail, from: &str) -> String {
    format!(
        "<qep.{}.{}@{}>",
        mail.id,
        mail.created_at.timestamp(),
        domain_of(from)
    )
}

fn build(
    mail: &Mail,
    default_from: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Message, String> {
    use lettre::message::SinglePart;

    let from = mail.sender.as_deref().unwrap_or(default_from);
    let mut builder = Message::builder()
        .from(
            from.parse()
                .map_err(|e| format!("expéditeur « {from} » : {e}"))?,
        )
        .to(mail
            .to
            .parse()
            .map_err(|e| format!("destinataire « {} » : {e}", mail.to))?)
        .subject(mail.subject.clone())
        .message_id(Some(message_id(mail, from)))
        .date(std::time::SystemTime::from(now));
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(
            reply_to
                .parse()
                .map_err(|e| format!("adresse de réponse « {reply_to} » : {e}"))?,
        );
    }
    if mail.automatic {
        builder = builder.header(AutoSubmitted(if mail.correspondence_id.is_some() {
            "auto-replied"
        } else {
            "auto-generated"
        }));
    }
    builder
        .singlepart(SinglePart::plain(mail.body.clone()))
        .map_err(|e| e.to_string())
}

/// How long a claimed message is kept from other senders: longer than one SMTP exchange.
const SEND_LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// Sends what is due in the outbox once; returns how many were sent.
pub async fn send_due(ctx: &Ctx, config: &MailConfig) -> StoreResult<usize> {
    let store = ctx.store();
    let Some(url) = &config.smtp_url else {
        return Ok(0);
    };
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(url) {
        Ok(b) => b.timeout(Some(Duration::from_secs(20))).build(),
        Err(e) => {
            tracing::error!(error = %e, "smtp_url is not usable");
            return Ok(0);
        }
    };
    let mut sent = 0;
    let now = ctx.now();
    for mail in store.claim_mails(now, now + SEND_LEASE, 50).await? {
        let result = match build(&mail, &config.from, ctx.now()) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                store.mark_mail_sent(mail.id, ctx.now()).await?;
                sent += 1;
            }
            Err(e) => {
                let retry = backoff(mail.attempts + 1)
                    .and_then(|d| chrono::Duration::from_std(d).ok())
                    .map(|d| ctx.now() + d);
                tracing::warn!(mail = mail.id.0, error = %e, retry = ?retry, "mail not sent");
                store.mark_mail_failed(mail.id, &e, retry).await?;
            }
        }
    }
    Ok(sent)
}

/// Sends the outbox every `poll_interval`, for as long as the server runs.
pub async fn run_outbox(ctx: Ctx, config: MailConfig) {
    if config.smtp_url.is_none() {
        tracing::info!("no smtp_url: messages wait in the outbox");
        return;
    }
    let mut tick = tokio::time::interval(config.poll_interval);
    loop {
        tick.tick().await;
        if let Err(e) = send_due(&ctx, &config).await {
            tracing::warn!(error = %e, "outbox run failed");
        }
    }
}

/// The morning digest: for each service, its open items due by the next working day and
/// its late ones, sent to the service's active agents; unassigned items go to the quality
/// leads. Queued once per day (`job_runs`) with all its messages in one transaction,
/// whichever process gets there first. Returns the number of messages queued (0 when the
/// day's digest was already queued).
pub async fn daily_digest(
    ctx: &Ctx,
    today: chrono::NaiveDate,
    next_working_day: chrono::NaiveDate,
) -> StoreResult<usize> {
    let store = ctx.store();
    use qep_core::account::Role;
    use qep_store::CorrespondenceQuery;

    let open = store
        .list_correspondence(&CorrespondenceQuery {
            open_only: true,
            due_by: Some(next_working_day),
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    let services = store.list_services().await?;
    let users: Vec<_> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    let mut mails = Vec::new();
    let mut groups: Vec<(Option<qep_core::ids::ServiceId>, Vec<&Correspondence>)> = Vec::new();
    for item in &open {
        match groups.iter_mut().find(|(s, _)| *s == item.service) {
            Some((_, list)) => list.push(item),
            None => groups.push((item.service, vec![item])),
        }
    }
    for (service, items) in groups {
        let name = service
            .and_then(|id| services.iter().find(|s| s.id == id))
            .map_or_else(|| "non attribués".to_owned(), |s| s.name.clone());
        let recipients: Vec<&str> = users
            .iter()
            .filter(|u| match service {
                Some(id) => u.role == Role::Agent && u.services.contains(&id),
                None => u.role == Role::Admin,
            })
            .map(|u| u.email.as_str())
            .collect();
        let late: Vec<_> = items.iter().filter(|i| i.due_on < today).collect();
        let due: Vec<_> = items.iter().filter(|i| i.due_on >= today).collect();
        let line = |i: &&&Correspondence| {
            format!(
                "- {} : {} (échéance {})",
                i.reference,
                i.subject,
                i.due_on.format("%d/%m/%Y")
            )
        };
        let mut body = format!("Bonjour,\n\nRegistre du courrier, {name} :\n");
        if !late.is_empty() {
            body.push_str(&format!("\nEn retard ({}) :\n", late.len()));
            body.push_str(&late.iter().map(line).collect::<Vec<_>>().join("\n"));
            body.push('\n');
        }
        if !due.is_empty() {
            body.push_str(&format!(
                "\nÀ traiter au plus tard le {} ({}) :\n",
                next_working_day.format("%d/%m/%Y"),
                due.len()
            ));
            body.push_str(&due.iter().map(line).collect::<Vec<_>>().join("\n"));
            body.push('\n');
        }
        body.push_str("\nQeP – message envoyé automatiquement chaque matin.\n");
        let subject = format!(
            "QeP – {} : {} en retard, {} à traiter",
            name,
            late.len(),
            due.len()
        );
        for to in recipients {
            mails.push(NewMail::automatic(to, &subject, &body, None));
        }
    }
    // One transaction claims the day and queues every message: all or nothing, once.
    Ok(store
        .enqueue_mails_once("daily_digest", today, &mails)
        .await?
        .unwrap_or(0))
}

/// The digest of `day`: the next working day comes from the main site's calendar.
pub async fn digest_of(ctx: &Ctx, day: chrono::NaiveDate) -> StoreResult<usize> {
    let store = ctx.store();
    let sites = store.list_sites().await?;
    let next = match qep_core::prefecture::main_site(&sites) {
        Some(site) => ctx
            .calendars
            .site(store, site.id, day)
            .await?
            .due_date(day, 1)
            .unwrap_or(day),
        None => day,
    };
    daily_digest(ctx, day, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_or_unreadable_senders_are_reported() {
        assert!(sender_problem("QeP <ne-pas-repondre@localhost>").is_some());
        assert!(sender_problem("qep@serveur.local").is_some());
        assert!(sender_problem("pas une adresse").is_some());
        assert_eq!(
            sender_problem("Préfecture du Cher <ne-pas-repondre@cher.gouv.fr>"),
            None
        );
    }

    #[test]
    fn backoff_grows_then_gives_up() {
        assert_eq!(backoff(0), Some(Duration::from_secs(60)));
        assert_eq!(backoff(3), Some(Duration::from_secs(480)));
        assert_eq!(backoff(11), Some(Duration::from_secs(6 * 3600)));
        assert_eq!(backoff(12), None);
    }
}
