//! Finding members: the filter behind the dashboard's member list and its CSV export (with no
//! criteria it selects every member, which is what `export-members` writes).

use std::collections::HashMap;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::Member;
use super::import::MemberStatus;
use crate::db::schema::{members, memberships};
use crate::db::{self, DbConnection, MultiBackend, PER_PAGE, Page};
use crate::domain::{BillingInterval, MembershipStatus};

/// What the list is narrowed to; the default selects every member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// Part of the email address or name, in any case.
    pub text: Option<String>,
    /// A membership status, or none at all.
    pub status: Option<MemberStatus>,
    /// A membership of this tier.
    pub tier_id: Option<i32>,
    /// A membership of this campaign.
    pub campaign_id: Option<i32>,
    /// Joined on or after this day (UTC).
    pub joined_from: Option<NaiveDate>,
    /// Joined on or before this day (UTC).
    pub joined_to: Option<NaiveDate>,
}

impl MemberFilter {
    /// The members it selects. A member joined when one of their memberships started (one
    /// that meets the status, tier and campaign criteria too), or, without a membership, when
    /// they were added.
    fn query(&self) -> members::BoxedQuery<'static, MultiBackend> {
        let mut query = members::table.into_boxed();
        if let Some(text) = &self.text {
            let pattern = db::like_containing(&text.to_lowercase());
            query = query.filter(
                db::lower(members::email.nullable())
                    .like(pattern.clone())
                    .escape('\\')
                    .or(db::lower(members::name).like(pattern).escape('\\')),
            );
        }
        let from = self.joined_from.map(|d| d.and_time(NaiveTime::MIN));
        // The whole last day: before midnight of the day after it.
        let until = self
            .joined_to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map(|d| d.and_time(NaiveTime::MIN));
        let with_none = self.status == Some(MemberStatus::NoMembership);
        let status = match self.status {
            Some(MemberStatus::Membership(status)) => Some(status),
            _ => None,
        };
        let narrowed = status.is_some() || self.tier_id.is_some() || self.campaign_id.is_some();

        // A criterion that is not set holds for every row (`… OR TRUE`): one statement serves
        // every combination. (A boxed subquery cannot be nested in a boxed query over both
        // backends.)
        let unset = |absent: bool| absent.into_sql::<Bool>();
        let matching = memberships::table
            .select(memberships::member_id)
            .filter(
                memberships::status
                    .eq(status.unwrap_or(MembershipStatus::Active))
                    .or(unset(status.is_none())),
            )
            .filter(
                memberships::tier_id
                    .eq(self.tier_id.unwrap_or_default())
                    .or(unset(self.tier_id.is_none())),
            )
            .filter(
                memberships::campaign_id
                    .eq(self.campaign_id.unwrap_or_default())
                    .or(unset(self.campaign_id.is_none())),
            )
            .filter(
                memberships::started_at
                    .ge(from.unwrap_or_default())
                    .or(unset(from.is_none())),
            )
            .filter(
                memberships::started_at
                    .lt(until.unwrap_or_default())
                    .or(unset(until.is_none())),
            );
        let added = members::created_at
            .ge(from.unwrap_or_default())
            .or(unset(from.is_none()))
            .and(
                members::created_at
                    .lt(until.unwrap_or_default())
                    .or(unset(until.is_none())),
            );
        let without_membership =
            members::id.ne_all(memberships::table.select(memberships::member_id));
        if with_none {
            query = query.filter(without_membership).filter(added);
            if narrowed {
                // Also a tier or campaign: nobody without a membership has one.
                query = query.filter(members::id.eq_any(matching));
            }
        } else if narrowed {
            query = query.filter(members::id.eq_any(matching));
        } else if from.is_some() || until.is_some() {
            query = query.filter(
                members::id
                    .eq_any(matching)
                    .or(without_membership.and(added)),
            );
        }
        query
    }
}

/// How many members `filter` selects.
pub fn count(conn: &mut DbConnection, filter: &MemberFilter) -> QueryResult<i64> {
    filter.query().count().get_result(conn)
}

/// A page of the members `filter` selects, most recently added first.
pub fn page(
    conn: &mut DbConnection,
    filter: &MemberFilter,
    page: Page,
) -> QueryResult<Vec<Member>> {
    filter
        .query()
        .order((members::created_at.desc(), members::id.desc()))
        .offset(page.offset())
        .limit(PER_PAGE)
        .select(Member::as_select())
        .load(conn)
}

/// The (email, id) of every member `filter` selects, sorted by email in byte order (the
/// same on both databases, whatever their collation).
pub fn by_email(conn: &mut DbConnection, filter: &MemberFilter) -> QueryResult<Vec<(String, i32)>> {
    let mut order: Vec<(String, i32)> = filter
        .query()
        .select((members::email, members::id))
        .load(conn)?;
    order.sort_unstable();
    Ok(order)
}

/// A membership as the list and the export show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    /// Row id.
    pub id: i32,
    /// Whose.
    pub member_id: i32,
    /// Which campaign.
    pub campaign_id: i32,
    /// Chosen tier, if any.
    pub tier_id: Option<i32>,
    /// Monthly or yearly.
    pub billing_interval: BillingInterval,
    /// Per interval, minor units.
    pub amount: i64,
    /// Stripe's status (or `pending`).
    pub status: MembershipStatus,
    /// Cancelled at period end.
    pub cancel_at_period_end: bool,
    /// End of the paid period.
    pub current_period_end: Option<NaiveDateTime>,
    /// Stripe's id.
    pub stripe_subscription_id: Option<String>,
    /// When it started.
    pub started_at: Option<NaiveDateTime>,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// The membership that stands for each of `member_ids` that has one — one in good standing
/// first, then the most recently updated — and how many other memberships they have.
pub fn representatives(
    conn: &mut DbConnection,
    member_ids: &[i32],
) -> QueryResult<(HashMap<i32, MembershipRow>, usize)> {
    let rank = |m: &MembershipRow| (m.status.in_good_standing(), m.updated_at, m.id);
    let mut chosen: HashMap<i32, MembershipRow> = HashMap::new();
    let mut all = 0;
    for m in memberships::table
        .filter(memberships::member_id.eq_any(member_ids))
        .select(MembershipRow::as_select())
        .load(conn)?
    {
        all += 1;
        match chosen.get(&m.member_id) {
            Some(best) if rank(best) >= rank(&m) => {}
            _ => {
                chosen.insert(m.member_id, m);
            }
        }
    }
    let others = all - chosen.len();
    Ok((chosen, others))
}
