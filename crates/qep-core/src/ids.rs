//! Newtype identifiers, so that a site id is never passed where a service id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A local account.
    UserId
);
id_type!(
    /// A reception site (préfecture, sous-préfecture, cité administrative…).
    SiteId
);
id_type!(
    /// A service (bureau), attached to one site.
    ServiceId
);
id_type!(
    /// A prefecture: every stored row belongs to one. A prefecture's own database holds
    /// prefecture [`PrefectureId::HOME`]; a national or shared one holds many.
    PrefectureId
);

impl PrefectureId {
    /// The prefecture of a single-prefecture database (and of databases made before
    /// prefectures were keyed).
    pub const HOME: PrefectureId = PrefectureId(1);
}
id_type!(
    /// A register item (correspondence).
    ItemId
);
id_type!(
    /// A file attached to a register item.
    AttachmentId
);
id_type!(
    /// An entry of a log register.
    LogEntryId
);
id_type!(
    /// A message of the outbox.
    MailId
);
id_type!(
    /// A closure or holiday setting of a site's calendar.
    CalendarEntryId
);
id_type!(
    /// A durable job.
    JobId
);
