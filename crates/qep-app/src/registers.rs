//! The correspondence register's use cases: registering an item (from the register page,
//! the public form, a file import or a mailbox) and acknowledging it. One place decides an
//! item's receipt day, deadline and due date, and whether an acknowledgement is sent.
//!
//! - Receipt day: the calendar date of the receipt instant at the site (day 0).
//! - Deadline: [`deadline_days`] with the référentiel version's local authority letter
//!   deadline ([`local_authority_letter_days`]).
//! - Due date: the site's working-day calendar as it stands on the day of registration.
//! - Acknowledgement: queued in the same transaction as the item when the requester gave
//!   an e-mail address and the due date is not already past. An item registered after its
//!   due date (an old letter entered late) gets no acknowledgement: it would promise an
//!   answer by a date already gone; the agent's answer is the next message.

use chrono::{DateTime, NaiveDate, Utc};
use qep_core::ids::{ServiceId, SiteId};
use qep_core::registers::correspondence::{
    AnswerType, Channel, Kind, OutOfScope, deadline_days, local_authority_letter_days,
};
use qep_store::{AckBuilder, Actor, Correspondence, NewCorrespondence, StoreError, StoreResult};

use crate::Ctx;

/// An item as it arrives, before the register's rules apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// `None`: the store numbers it.
    pub reference: Option<String>,
    pub channel: Channel,
    pub kind: Kind,
    pub site: SiteId,
    pub service: Option<ServiceId>,
    pub received_at: DateTime<Utc>,
    /// The receipt day when the source states it (an import's date column); otherwise the
    /// site's date of `received_at`.
    pub received_on: Option<NaiveDate>,
    pub requester_name: String,
    pub requester_email: String,
    pub requester_address: String,
    pub subject: String,
    pub in_scope: bool,
    pub out_of_scope: Option<OutOfScope>,
    pub answered_on: Option<NaiveDate>,
    pub answer: Option<AnswerType>,
}

/// An item that cannot be registered: its receipt day is outside its site's calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct ArrivalError {
    /// Its position among the arrivals.
    pub index: usize,
    pub problem: String,
}

/// The register's rules as they stand today for the prefecture.
pub struct Rules {
    letter_days: u32,
    zones: crate::Zones,
    today: NaiveDate,
}

impl Rules {
    pub async fn load(ctx: &Ctx) -> StoreResult<Rules> {
        let letter_days = ctx
            .store
            .find_prefecture()
            .await?
            .map_or(15, |p| local_authority_letter_days(&p.scope.referentiel));
        let zones = ctx.zones().await?;
        Ok(Rules {
            letter_days,
            zones,
            today: ctx.today(),
        })
    }

    pub fn letter_days(&self) -> u32 {
        self.letter_days
    }

    /// The receipt day of an instant at a site: its calendar date in the site's legal time
    /// (an e-mail received at 21:00 in Guadeloupe is received that day, not the next).
    pub fn receipt_day(&self, site: SiteId, at: DateTime<Utc>) -> NaiveDate {
        qep_core::time::local_date(at, self.zones.of(site))
    }

    /// Today at a site.
    fn today_at(&self, ctx: &Ctx, site: SiteId) -> NaiveDate {
        ctx.today_in(self.zones.of(site))
    }
}

/// The items ready for the store: deadline and due date computed with each site's
/// calendar. Every error at once, in order.
pub async fn prepare(
    ctx: &Ctx,
    rules: &Rules,
    arrivals: &[Arrival],
) -> StoreResult<Result<Vec<NewCorrespondence>, Vec<ArrivalError>>> {
    let calendars = ctx
        .calendars
        .sites(ctx.store(), arrivals.iter().map(|a| a.site), rules.today)
        .await?;
    let mut items = Vec::with_capacity(arrivals.len());
    let mut errors = Vec::new();
    for (index, a) in arrivals.iter().enumerate() {
        let received_on = a
            .received_on
            .unwrap_or_else(|| rules.receipt_day(a.site, a.received_at));
        let days = deadline_days(a.channel, a.kind, rules.letter_days);
        let calendar = calendars.get(&a.site).ok_or(StoreError::NotFound("site"))?;
        let due_on = match calendar.due_date(received_on, days) {
            Ok(d) => d,
            Err(e) => {
                errors.push(ArrivalError {
                    index,
                    problem: e.to_string(),
                });
                continue;
            }
        };
        items.push(NewCorrespondence {
            reference: a.reference.clone(),
            channel: a.channel,
            kind: a.kind,
            site: a.site,
            service: a.service,
            received_at: a.received_at,
            received_on,
            deadline_days: days,
            due_on,
            requester_name: a.requester_name.clone(),
            requester_email: a.requester_email.clone(),
            requester_address: a.requester_address.clone(),
            subject: a.subject.clone(),
            in_scope: a.in_scope,
            out_of_scope: a.out_of_scope,
            answered_on: a.answered_on,
            answer: a.answer,
        });
    }
    Ok(if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    })
}

/// What registering one item did.
#[derive(Debug, Clone)]
pub struct Registered {
    pub item: Correspondence,
    /// An acknowledgement was queued with it.
    pub acknowledged: bool,
}

/// Registers one item and, when the rules above allow, queues its acknowledgement in the
/// same transaction. `body` is the message text of a public-form message ("" otherwise);
/// `service_label` names who answers in the acknowledgement.
pub async fn register(
    ctx: &Ctx,
    actor: &Actor,
    arrival: &Arrival,
    body: &str,
    service_label: &str,
) -> StoreResult<Result<Registered, ArrivalError>> {
    let rules = Rules::load(ctx).await?;
    let item = match prepare(ctx, &rules, std::slice::from_ref(arrival)).await? {
        Ok(mut items) => items
            .pop()
            .ok_or_else(|| StoreError::Backend("no item prepared".into()))?,
        Err(mut errors) => {
            return Ok(Err(errors.pop().unwrap_or_else(|| ArrivalError {
                index: 0,
                problem: "élément refusé".into(),
            })));
        }
    };
    let store = ctx.store();
    let acknowledge =
        !item.requester_email.is_empty() && item.due_on >= rules.today_at(ctx, item.site);
    if !acknowledge && !item.requester_email.is_empty() {
        tracing::info!(due_on = %item.due_on, "registered after its due date: no acknowledgement");
    }
    let ack: AckBuilder = if acknowledge {
        let (key, _, _) = crate::mail::default_template(item.channel, item.kind);
        let template = store.find_template(key).await?;
        let prefecture = store
            .find_prefecture()
            .await?
            .map_or_else(|| "La préfecture".to_owned(), |p| p.name);
        let service_label = service_label.to_owned();
        Box::new(move |c| {
            crate::mail::acknowledgement(c, template.as_ref(), &prefecture, &service_label)
        })
    } else {
        Box::new(|_| None)
    };
    let saved = store
        .register_with_acknowledgement(actor, &item, body, ack)
        .await?;
    Ok(Ok(Registered {
        item: saved,
        acknowledged: acknowledge,
    }))
}

/// An agent's answer by e-mail, recorded as the item's answer in the same transaction. It
/// is a person's message: it leaves from the item's service's address when the service
/// has one (else the instance's `mail_from`), with a `Reply-To` to that address (or to the
/// agent's own when the service has none), and without `Auto-Submitted`.
pub async fn answer_by_mail(
    ctx: &Ctx,
    actor: &Actor,
    item: &Correspondence,
    answer: AnswerType,
    subject: &str,
    body: &str,
    agent_email: &str,
) -> StoreResult<()> {
    let store = ctx.store();
    let service_email = match item.service {
        Some(id) => store
            .list_services()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .and_then(|s| s.email),
        None => None,
    };
    let mail = qep_store::NewMail {
        to: item.requester_email.clone(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        correspondence_id: Some(item.id),
        reply_to: Some(
            service_email
                .clone()
                .unwrap_or_else(|| agent_email.to_owned()),
        ),
        sender: service_email,
        automatic: false,
    };
    let zone = ctx.zones().await?.of(item.site);
    store
        .answer_by_mail(actor, item.id, ctx.today_in(zone), answer, &mail)
        .await
}
