//! Customers: profile edits, linking identities, merging duplicates.

use tandem_domain::agent::Role;
use tandem_domain::customer::parse_language;
use tandem_domain::text::bounded_text;
use tandem_domain::{Customer, CustomerId, DomainEvent, Identity, StoredEvent, Tier};
use tandem_store::{CustomerChange, StoreError};

use crate::{Actor, Engine, EngineError, EngineResult};

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CustomerEdit {
    pub display_name: Option<String>,
    pub tier: Option<Tier>,
    pub preferred_language: Option<String>,
    /// Keys to set (a JSON `null` removes the key).
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

const RETRIES: usize = 4;

impl Engine {
    /// Creates a customer known by `identities` (a CRM import, say), with profile fields.
    /// Refused (`Conflict`, changing nothing) when an identity already belongs to someone.
    pub async fn create_customer(
        &self,
        actor: Actor,
        identities: Vec<Identity>,
        profile: CustomerEdit,
    ) -> EngineResult<Customer> {
        let ws = actor.workspace_id();
        if identities.is_empty() {
            return Err(tandem_domain::ValidationError::new(
                "email",
                "give at least one of email, phone, visitor_id or external_id so messages find the customer",
            )
            .into());
        }
        let identities = tandem_domain::InboundMessage::normalize_identities(identities)?;
        let display_name = profile.display_name.as_deref().map(|n| bounded_text("display_name", n, 120)).transpose()?;
        let language = profile.preferred_language.as_deref().map(parse_language).transpose()?;
        let now = self.now();
        let mut customer = Customer::new(ws, identities, display_name, now);
        customer.tier = profile.tier.unwrap_or_default();
        customer.preferred_language = language;
        for (key, value) in profile.attributes.into_iter().flatten() {
            if !value.is_null() {
                customer.attributes.insert(key, value);
            }
        }
        let event =
            StoredEvent::for_customer(ws, customer.id, DomainEvent::CustomerCreated { customer_id: customer.id }, now);
        let events = self.store.create_customer(&customer, vec![event]).await?;
        self.publish(&events).await;
        Ok(customer)
    }

    /// Applies a profile edit.
    pub async fn edit_customer(&self, actor: Actor, id: CustomerId, edit: CustomerEdit) -> EngineResult<Customer> {
        let ws = actor.workspace_id();
        let display_name = edit.display_name.as_deref().map(|n| bounded_text("display_name", n, 120)).transpose()?;
        let language = edit.preferred_language.as_deref().map(parse_language).transpose()?;
        for attempt in 1..=RETRIES {
            let current = self.store.customer(ws, id).await?;
            if let Some(target) = current.merged_into {
                return Err(EngineError::Invalid(format!("this customer was merged into {target}; edit that one")));
            }
            let mut next = current.clone();
            if let Some(name) = &display_name {
                next.display_name = Some(name.clone());
            }
            if let Some(tier) = edit.tier {
                next.tier = tier;
            }
            if let Some(language) = &language {
                next.preferred_language = Some(language.clone());
            }
            for (key, value) in edit.attributes.iter().flatten() {
                if value.is_null() {
                    next.attributes.remove(key);
                } else {
                    next.attributes.insert(key.clone(), value.clone());
                }
            }
            let now = self.now();
            next.updated_at = now.max(current.updated_at + chrono::Duration::microseconds(1));
            let event = StoredEvent::for_customer(ws, id, DomainEvent::CustomerUpdated { customer_id: id }, now);
            let change =
                CustomerChange { customer: next.clone(), expected_updated_at: current.updated_at, events: vec![event] };
            match self.store.update_customer(change).await {
                Ok(events) => {
                    self.publish(&events).await;
                    return Ok(next);
                }
                Err(StoreError::Conflict(_)) if attempt < RETRIES => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Conflict("the customer is changing too fast; try again".into()))
    }

    /// Links an identity to a customer, so messages carrying it find this customer.
    pub async fn link_identity(&self, actor: Actor, id: CustomerId, identity: Identity) -> EngineResult<Customer> {
        let events = self.store.link_identity(actor.workspace_id(), id, &identity, self.now()).await?;
        self.publish(&events).await;
        Ok(self.store.customer(actor.workspace_id(), id).await?)
    }

    /// Merges `source` into `target` (supervisors and integrations only): conversations,
    /// messages and identities move; `source` remains as a pointer to `target`.
    pub async fn merge_customers(
        &self,
        actor: Actor,
        target: CustomerId,
        source: CustomerId,
    ) -> EngineResult<Customer> {
        actor.require(Role::Supervisor)?;
        let events = self.store.merge_customers(actor.workspace_id(), target, source, self.now()).await?;
        self.publish(&events).await;
        Ok(self.store.customer(actor.workspace_id(), target).await?)
    }
}
