//! Matching rows with what is stored, and deciding what to write.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::format::{DEFAULT_CAMPAIGN, MemberStatus};
use super::parse::Row;
use crate::db::DbConnection;
use crate::db::schema::{campaigns, members, memberships, tiers};
use crate::domain::{BillingInterval, MembershipStatus};
use crate::web::spreadsheet::Rejection;

/// What is stored, loaded once so that each row is matched in memory, not by a query.
pub(super) struct Context {
    /// slug → (id, currency)
    campaigns: HashMap<String, (i32, String)>,
    /// (campaign, slug) → tier
    tiers: HashMap<(i32, String), Tier>,
    members: HashMap<String, StoredMember>,
    /// Stripe customer → member id
    customers: HashMap<String, i32>,
    memberships: Vec<StoredMembership>,
    by_subscription: HashMap<String, usize>,
    by_member_campaign: HashMap<(i32, i32), Vec<usize>>,
}

/// A tier's id and prices (minor units).
struct Tier {
    id: i32,
    monthly: Option<i64>,
    yearly: Option<i64>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = members)]
struct StoredMember {
    id: i32,
    email: String,
    name: Option<String>,
    stripe_customer_id: Option<String>,
    created_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = memberships)]
struct StoredMembership {
    id: i32,
    member_id: i32,
    campaign_id: i32,
    tier_id: Option<i32>,
    billing_interval: BillingInterval,
    amount: i64,
    status: MembershipStatus,
    cancel_at_period_end: bool,
    current_period_end: Option<NaiveDateTime>,
    stripe_subscription_id: Option<String>,
    ended_at: Option<NaiveDateTime>,
}

impl StoredMembership {
    fn terms(&self) -> Terms {
        Terms {
            tier_id: self.tier_id,
            interval: self.billing_interval,
            amount: self.amount,
            status: self.status,
            cancel_at_period_end: self.cancel_at_period_end,
            current_period_end: self.current_period_end,
            stripe_subscription_id: self.stripe_subscription_id.clone(),
        }
    }
}

impl Context {
    pub(super) fn load(conn: &mut DbConnection) -> QueryResult<Context> {
        let campaigns = campaigns::table
            .select((campaigns::slug, campaigns::id, campaigns::currency))
            .load::<(String, i32, String)>(conn)?
            .into_iter()
            .map(|(slug, id, currency)| (slug, (id, currency)))
            .collect();
        let tiers = tiers::table
            .select((
                tiers::campaign_id,
                tiers::slug,
                tiers::id,
                tiers::monthly_amount,
                tiers::yearly_amount,
            ))
            .load::<(i32, String, i32, Option<i64>, Option<i64>)>(conn)?
            .into_iter()
            .map(|(campaign, slug, id, monthly, yearly)| {
                let tier = Tier {
                    id,
                    monthly,
                    yearly,
                };
                ((campaign, slug), tier)
            })
            .collect();
        let stored = members::table
            .select(StoredMember::as_select())
            .load(conn)?;
        let customers = stored
            .iter()
            .filter_map(|m| Some((m.stripe_customer_id.clone()?, m.id)))
            .collect();
        let members = stored.into_iter().map(|m| (m.email.clone(), m)).collect();
        let memberships = memberships::table
            .select(StoredMembership::as_select())
            .order(memberships::id)
            .load(conn)?;
        let mut by_subscription = HashMap::new();
        let mut by_member_campaign: HashMap<(i32, i32), Vec<usize>> = HashMap::new();
        for (i, m) in memberships.iter().enumerate() {
            if let Some(sub) = &m.stripe_subscription_id {
                by_subscription.insert(sub.clone(), i);
            }
            by_member_campaign
                .entry((m.member_id, m.campaign_id))
                .or_default()
                .push(i);
        }
        Ok(Context {
            campaigns,
            tiers,
            members,
            customers,
            memberships,
            by_subscription,
            by_member_campaign,
        })
    }
}

/// What an import sets on a membership.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Terms {
    pub(super) tier_id: Option<i32>,
    pub(super) interval: BillingInterval,
    pub(super) amount: i64,
    pub(super) status: MembershipStatus,
    pub(super) cancel_at_period_end: bool,
    pub(super) current_period_end: Option<NaiveDateTime>,
    pub(super) stripe_subscription_id: Option<String>,
}

pub(super) struct NewMember {
    pub(super) email: String,
    pub(super) name: Option<String>,
    pub(super) customer: Option<String>,
    pub(super) created_at: NaiveDateTime,
}

pub(super) struct MemberUpdate {
    pub(super) id: i32,
    pub(super) name: Option<String>,
    pub(super) customer: Option<String>,
    pub(super) created_at: NaiveDateTime,
}

/// Whose a new membership is: a stored member, or the n-th of [`Plan::new_members`].
pub(super) enum Owner {
    Stored(i32),
    New(usize),
}

pub(super) struct NewMembership {
    pub(super) owner: Owner,
    pub(super) campaign_id: i32,
    pub(super) currency: String,
    pub(super) terms: Terms,
    pub(super) started_at: NaiveDateTime,
    pub(super) ended_at: Option<NaiveDateTime>,
}

pub(super) struct MembershipUpdate {
    pub(super) id: i32,
    pub(super) terms: Terms,
    pub(super) ended_at: Option<NaiveDateTime>,
}

/// New, updated and unchanged rows of one table.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    new: usize,
    updated: usize,
    unchanged: usize,
}

impl Counts {
    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::json!({ "new": self.new, "updated": self.updated, "unchanged": self.unchanged })
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} new, {} updated, {} unchanged",
            self.new, self.updated, self.unchanged
        )
    }
}

/// Everything the import will write.
#[derive(Default)]
pub(super) struct Plan {
    pub(super) new_members: Vec<NewMember>,
    pub(super) member_updates: Vec<MemberUpdate>,
    pub(super) new_memberships: Vec<NewMembership>,
    pub(super) membership_updates: Vec<MembershipUpdate>,
    /// Campaigns whose memberships change, to recount once each.
    pub(super) campaigns: BTreeSet<i32>,
    pub(super) members: Counts,
    pub(super) memberships: Counts,
}

impl Plan {
    pub(super) fn writes(&self) -> usize {
        self.new_members.len()
            + self.member_updates.len()
            + self.new_memberships.len()
            + self.membership_updates.len()
    }

    pub(super) fn summary(&self) -> String {
        format!(
            "members: {}; memberships: {}",
            self.members, self.memberships
        )
    }
}

/// Matches each row with what is stored and decides what to write; rows that contradict the
/// database (an unknown tier, a Stripe id of another member, …) are added to `rejected`.
pub(super) fn plan(
    rows: &[Row],
    ctx: &Context,
    now: NaiveDateTime,
    rejected: &mut Vec<Rejection>,
) -> Plan {
    let mut plan = Plan::default();
    for row in rows {
        if let Err(reason) = plan_row(row, ctx, now, &mut plan) {
            rejected.push(Rejection::new(row.line, reason));
        }
    }
    plan
}

fn plan_row(row: &Row, ctx: &Context, now: NaiveDateTime, plan: &mut Plan) -> Result<(), String> {
    let stored = ctx.members.get(row.email.as_str());
    if let Some(customer) = &row.customer {
        if let Some(owner) = ctx.customers.get(customer) {
            if stored.is_none_or(|m| m.id != *owner) {
                return Err(format!(
                    "stripe_customer_id {customer} belongs to another member"
                ));
            }
        }
    }
    let membership = if row.status == Some(MemberStatus::NoMembership) {
        None
    } else {
        Some(plan_membership(row, stored.map(|m| m.id), ctx, now)?)
    };

    // Only now that the row is known to be good does it go into the plan.
    let owner = match stored {
        Some(m) => {
            let update = MemberUpdate {
                id: m.id,
                name: row.name.clone().or_else(|| m.name.clone()),
                customer: row
                    .customer
                    .clone()
                    .or_else(|| m.stripe_customer_id.clone()),
                created_at: row.joined_at.unwrap_or(m.created_at),
            };
            if update.name == m.name
                && update.customer == m.stripe_customer_id
                && update.created_at == m.created_at
            {
                plan.members.unchanged += 1;
            } else {
                plan.members.updated += 1;
                plan.member_updates.push(update);
            }
            Owner::Stored(m.id)
        }
        None => {
            plan.members.new += 1;
            plan.new_members.push(NewMember {
                email: row.email.as_str().to_owned(),
                name: row.name.clone(),
                customer: row.customer.clone(),
                created_at: row.joined_at.unwrap_or(now),
            });
            Owner::New(plan.new_members.len() - 1)
        }
    };
    match membership {
        None => {}
        Some(MembershipChange::Unchanged) => plan.memberships.unchanged += 1,
        Some(MembershipChange::Update(campaign_id, update)) => {
            plan.memberships.updated += 1;
            plan.campaigns.insert(campaign_id);
            plan.membership_updates.push(update);
        }
        Some(MembershipChange::New(mut new)) => {
            plan.memberships.new += 1;
            plan.campaigns.insert(new.campaign_id);
            new.owner = owner;
            plan.new_memberships.push(new);
        }
    }
    Ok(())
}

enum MembershipChange {
    Unchanged,
    Update(i32, MembershipUpdate),
    New(NewMembership),
}

fn plan_membership(
    row: &Row,
    member_id: Option<i32>,
    ctx: &Context,
    now: NaiveDateTime,
) -> Result<MembershipChange, String> {
    let by_subscription = row
        .subscription
        .as_ref()
        .and_then(|sub| ctx.by_subscription.get(sub))
        .map(|i| &ctx.memberships[*i]);
    if let Some(m) = by_subscription {
        if Some(m.member_id) != member_id {
            return Err(format!(
                "stripe_subscription_id {} belongs to another member",
                row.subscription.as_deref().unwrap_or_default()
            ));
        }
    }
    let slug = row.campaign.as_deref();
    let (campaign_id, currency) = match (by_subscription, slug) {
        (Some(m), None) => (m.campaign_id, None),
        (_, slug) => {
            let slug = slug.unwrap_or(DEFAULT_CAMPAIGN);
            let (id, currency) = ctx
                .campaigns
                .get(slug)
                .ok_or_else(|| format!("unknown campaign {slug}"))?;
            if by_subscription.is_some_and(|m| m.campaign_id != *id) {
                return Err(format!(
                    "stripe_subscription_id {} belongs to another campaign",
                    row.subscription.as_deref().unwrap_or_default()
                ));
            }
            (*id, Some(currency))
        }
    };
    let tier = match &row.tier {
        Some(slug) => Some(ctx.tiers.get(&(campaign_id, slug.clone())).ok_or_else(|| {
            let campaign = slug_of(ctx, campaign_id);
            format!("unknown tier {slug} for campaign {campaign}")
        })?),
        None => None,
    };

    // The stored membership this row is about, if any (see the module comment).
    let siblings = member_id
        .and_then(|id| ctx.by_member_campaign.get(&(id, campaign_id)))
        .map(|found| found.iter().map(|i| &ctx.memberships[*i]))
        .into_iter()
        .flatten();
    let (without_id, with_id): (Vec<_>, Vec<_>) =
        siblings.partition(|m| m.stripe_subscription_id.is_none());
    let target = match (by_subscription, without_id.first()) {
        (Some(m), _) => Some(m),
        (None, Some(m)) => Some(*m),
        (None, None) if row.subscription.is_none() && !with_id.is_empty() => {
            return Err(format!(
                "{} has Stripe subscription {} in campaign {}; name it in stripe_subscription_id",
                row.email,
                with_id[0]
                    .stripe_subscription_id
                    .as_deref()
                    .unwrap_or_default(),
                slug_of(ctx, campaign_id),
            ));
        }
        (None, None) => None,
    };

    let Some(stored) = target else {
        let interval = row.interval.unwrap_or(BillingInterval::Month);
        let tier_price = tier.and_then(|t| {
            if interval == BillingInterval::Year {
                t.yearly
            } else {
                t.monthly
            }
        });
        let status = stated(row).unwrap_or(MembershipStatus::Active);
        return Ok(MembershipChange::New(NewMembership {
            owner: Owner::New(0), // set by the caller once the member is in the plan
            campaign_id,
            currency: currency.cloned().unwrap_or_default(),
            terms: Terms {
                tier_id: tier.map(|t| t.id),
                interval,
                amount: row.amount.or(tier_price).unwrap_or(0),
                status,
                cancel_at_period_end: row.cancel_at_period_end.unwrap_or(false),
                current_period_end: row.period_end,
                stripe_subscription_id: row.subscription.clone(),
            },
            started_at: row.joined_at.unwrap_or(now),
            ended_at: status.has_ended().then_some(now),
        }));
    };
    let before = stored.terms();
    let after = Terms {
        tier_id: tier.map(|t| t.id).or(before.tier_id),
        interval: row.interval.unwrap_or(before.interval),
        amount: row.amount.unwrap_or(before.amount),
        status: stated(row).unwrap_or(before.status),
        cancel_at_period_end: row
            .cancel_at_period_end
            .unwrap_or(before.cancel_at_period_end),
        current_period_end: row.period_end.or(before.current_period_end),
        stripe_subscription_id: row
            .subscription
            .clone()
            .or(before.stripe_subscription_id.clone()),
    };
    if after == before {
        return Ok(MembershipChange::Unchanged);
    }
    let ended_at = match (before.status.has_ended(), after.status.has_ended()) {
        (_, false) => None,
        (false, true) => Some(now),
        (true, true) => stored.ended_at,
    };
    Ok(MembershipChange::Update(
        campaign_id,
        MembershipUpdate {
            id: stored.id,
            terms: after,
            ended_at,
        },
    ))
}

/// The membership status a row states, if any.
fn stated(row: &Row) -> Option<MembershipStatus> {
    match row.status {
        Some(MemberStatus::Membership(status)) => Some(status),
        Some(MemberStatus::NoMembership) | None => None,
    }
}

fn slug_of(ctx: &Context, campaign_id: i32) -> &str {
    ctx.campaigns
        .iter()
        .find(|(_, (id, _))| *id == campaign_id)
        .map_or("?", |(slug, _)| slug.as_str())
}
