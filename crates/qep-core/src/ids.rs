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
