//! Logic both backends share that is not SQL: how a merge combines two profiles.

use tandem_domain::{Customer, Timestamp};

/// Fills the target's gaps from the source: nothing known about the customer is lost.
pub(crate) fn absorb_profile(target: &mut Customer, source: &Customer, now: Timestamp) {
    if target.display_name.is_none() {
        target.display_name.clone_from(&source.display_name);
    }
    if target.preferred_language.is_none() {
        target.preferred_language.clone_from(&source.preferred_language);
    }
    target.tier = target.tier.max(source.tier);
    for (key, value) in &source.attributes {
        target.attributes.entry(key.clone()).or_insert_with(|| value.clone());
    }
    target.updated_at = now;
}
