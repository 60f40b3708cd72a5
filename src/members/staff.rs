//! `/admin/members`: the member list (search, filters, pages), its CSV export, and each
//! member's page with the timeline of their memberships, payments, emails and newsletters.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use fluent_bundle::FluentValue;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::admin::reply::message;
use crate::admin::{Frame, Nav, render, render_status};
use crate::auth::StaffSession;
use crate::db::schema::{
    campaigns, members, memberships, newsletter_subscriptions, newsletters, payments, subscribers,
    tiers,
};
use crate::db::{self, DbConnection, PER_PAGE, Page};
use crate::domain::{BillingInterval, MembershipStatus, OptIn};
use crate::email::outbox::{self, OutboxEntry};
use crate::email::staff::state_label;
use crate::i18n::Lang;
use crate::members::Member;
use crate::members::export;
use crate::members::import::MemberStatus;
use crate::members::search::{self, MemberFilter, MembershipRow};
use crate::state::AppState;
use crate::web::error::AppError;

/// The filters as the form sends them (every field may be empty).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct ListQuery {
    #[serde(skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    tier: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    campaign: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    from: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    to: String,
    #[serde(skip_serializing)]
    page: Option<i64>,
}

impl ListQuery {
    /// The filter, or what is wrong with the form (translated).
    fn filter(&self, lang: Lang) -> Result<MemberFilter, Vec<String>> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, id: &str| {
            if !ok {
                errors.push(lang.tr(id));
            }
        };
        let status = non_empty(&self.status).map(|s| MemberStatus::parse(s).ok_or(()));
        check(status.is_none_or(|s| s.is_ok()), "admin-members-bad-status");
        let tier = non_empty(&self.tier).map(str::parse::<i32>).transpose();
        check(tier.is_ok(), "admin-members-bad-tier");
        let campaign = non_empty(&self.campaign).map(str::parse::<i32>).transpose();
        check(campaign.is_ok(), "admin-members-bad-campaign");
        let date = |s: &str| non_empty(s).map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d"));
        let (from, to) = (date(&self.from).transpose(), date(&self.to).transpose());
        check(from.is_ok() && to.is_ok(), "admin-members-bad-date");
        if let (Ok(Some(from)), Ok(Some(to))) = (from, to) {
            check(from <= to, "admin-members-bad-period");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(MemberFilter {
            text: non_empty(&self.q).map(str::to_owned),
            status: status.and_then(Result::ok),
            tier_id: tier.unwrap_or_default(),
            campaign_id: campaign.unwrap_or_default(),
            joined_from: from.unwrap_or_default(),
            joined_to: to.unwrap_or_default(),
        })
    }

    /// The filters as a query string (without the page), for links that keep them.
    fn query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

fn non_empty(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// The translated name of a member's status.
fn status_label(lang: Lang, status: MemberStatus) -> String {
    lang.tr(&format!("admin-status-{}", status.as_str()))
}

/// One `<option>` of a filter.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

impl Choice {
    fn new(value: String, label: String, current: &str) -> Choice {
        Choice {
            selected: value == current,
            value,
            label,
        }
    }
}

/// Campaign titles and tier names by id.
struct Names {
    campaigns: Vec<(i32, String)>,
    /// (id, campaign id, name), by campaign and position.
    tiers: Vec<(i32, i32, String)>,
}

impl Names {
    fn load(conn: &mut DbConnection) -> QueryResult<Names> {
        Ok(Names {
            campaigns: campaigns::table
                .order(campaigns::id)
                .select((campaigns::id, campaigns::title))
                .load(conn)?,
            tiers: tiers::table
                .order((tiers::campaign_id, tiers::position, tiers::id))
                .select((tiers::id, tiers::campaign_id, tiers::name))
                .load(conn)?,
        })
    }

    fn campaign(&self, id: i32) -> &str {
        self.campaigns
            .iter()
            .find(|(c, _)| *c == id)
            .map_or("", |(_, title)| title)
    }

    fn tier(&self, id: Option<i32>) -> &str {
        self.tiers
            .iter()
            .find(|(t, _, _)| Some(*t) == id)
            .map_or("", |(_, _, name)| name)
    }
}

/// A member as the list shows them.
struct Line {
    id: i32,
    email: String,
    name: String,
    status: String,
    tier: String,
    campaign: String,
    joined: NaiveDateTime,
}

/// What a valid filter found.
struct Found {
    total: i64,
    members: Vec<Member>,
    memberships: HashMap<i32, MembershipRow>,
}

impl Found {
    /// The members as the list shows them, each with the membership that stands for them.
    fn lines(self, names: &Names, lang: Lang) -> Vec<Line> {
        let mut memberships = self.memberships;
        self.members
            .into_iter()
            .map(|m| {
                let membership = memberships.remove(&m.id);
                let membership = membership.as_ref();
                Line {
                    status: status_label(
                        lang,
                        membership.map_or(MemberStatus::NoMembership, |s| {
                            MemberStatus::Membership(s.status)
                        }),
                    ),
                    tier: names.tier(membership.and_then(|s| s.tier_id)).into(),
                    campaign: membership
                        .map_or("", |s| names.campaign(s.campaign_id))
                        .into(),
                    joined: membership
                        .and_then(|s| s.started_at)
                        .unwrap_or(m.created_at),
                    id: m.id,
                    email: m.email,
                    name: m.name.unwrap_or_default(),
                }
            })
            .collect()
    }
}

fn find(conn: &mut DbConnection, filter: &MemberFilter, page: Page) -> QueryResult<Found> {
    let total = search::count(conn, filter)?;
    let members = search::page(conn, filter, page)?;
    let ids: Vec<i32> = members.iter().map(|m| m.id).collect();
    let (memberships, _) = search::representatives(conn, &ids)?;
    Ok(Found {
        total,
        members,
        memberships,
    })
}

#[derive(Template)]
#[template(path = "admin/members.html")]
struct ListPage {
    frame: Frame,
    q: String,
    from: String,
    to: String,
    statuses: Vec<Choice>,
    campaigns: Vec<Choice>,
    tiers: Vec<Choice>,
    errors: Vec<String>,
    /// "N members", when the filter is valid.
    summary: Option<String>,
    lines: Vec<Line>,
    page: i64,
    pages: i64,
    /// The filters, for the export and page links.
    query: String,
}

/// `GET /admin/members?q=&status=&tier=&campaign=&from=&to=&page=`
pub(crate) async fn list(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(&req, Nav::Members);
    let lang = frame.lang;
    let page = Page::asked(query.page);
    let filter = query.filter(lang);
    let valid = filter.clone().ok();
    let (names, found) = state
        .db
        .read(move |c| {
            let found = valid.map(|f| find(c, &f, page)).transpose()?;
            Ok((Names::load(c)?, found))
        })
        .await?;

    let statuses = MemberStatus::all()
        .map(|s| Choice::new(s.as_str().to_owned(), status_label(lang, s), &query.status))
        .collect();
    let campaigns = names
        .campaigns
        .iter()
        .map(|(id, title)| Choice::new(id.to_string(), title.clone(), &query.campaign))
        .collect();
    let tiers = names
        .tiers
        .iter()
        .map(|(id, campaign, name)| {
            let label = format!("{} · {name}", names.campaign(*campaign));
            Choice::new(id.to_string(), label, &query.tier)
        })
        .collect();
    let (summary, lines, pages) = match found {
        None => (None, Vec::new(), 0),
        Some(found) => {
            let summary = lang.t(
                "admin-members-count",
                &[
                    ("count", FluentValue::from(found.total)),
                    ("count_text", FluentValue::from(lang.number(found.total))),
                ],
            );
            let pages = (found.total + PER_PAGE - 1) / PER_PAGE;
            (Some(summary), found.lines(&names, lang), pages)
        }
    };
    let errors = filter.err().unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render_status(
        status,
        &ListPage {
            frame,
            q: query.q.clone(),
            from: query.from.clone(),
            to: query.to.clone(),
            statuses,
            campaigns,
            tiers,
            errors,
            summary,
            lines,
            page: page.number(),
            pages,
            query: query.query_string(),
        },
    )
}

/// `GET /admin/members.csv?…`: the members of the current filter, in the file format of
/// `export-members` and `import-members`.
pub(crate) async fn csv(
    req: HttpRequest,
    _staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.filter(Lang::of_request(&req)).map_err(|errors| {
        AppError::client(StatusCode::BAD_REQUEST, "bad_filter", errors.join(" "))
    })?;
    let body = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            Ok(export::export(c, &filter, &mut out, &ProgressBar::hidden()).map(|_| out))
        })
        .await?
        .map_err(AppError::internal)?;
    let name = format!("members-{}.csv", db::now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .body(body))
}

/// One line of a member's timeline.
struct Event {
    at: NaiveDateTime,
    what: String,
    detail: String,
    status: String,
}

#[derive(Queryable)]
struct MembershipLine {
    campaign: String,
    tier: Option<String>,
    billing_interval: BillingInterval,
    amount: i64,
    currency: String,
    status: MembershipStatus,
    cancel_at_period_end: bool,
    current_period_end: Option<NaiveDateTime>,
    started_at: Option<NaiveDateTime>,
    ended_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

#[derive(Queryable)]
struct PaymentLine {
    campaign: String,
    kind: String,
    amount: i64,
    amount_refunded: i64,
    currency: String,
    status: String,
    dispute_status: Option<String>,
    paid_at: NaiveDateTime,
}

#[derive(Queryable)]
struct SubscriptionLine {
    newsletter: String,
    status: OptIn,
    created_at: NaiveDateTime,
    confirmed_at: Option<NaiveDateTime>,
    unsubscribed_at: Option<NaiveDateTime>,
}

/// Everything a member's timeline is made of.
struct History {
    memberships: Vec<MembershipLine>,
    payments: Vec<PaymentLine>,
    emails: Vec<OutboxEntry>,
    subscriptions: Vec<SubscriptionLine>,
}

impl History {
    fn load(conn: &mut DbConnection, member: &Member) -> QueryResult<History> {
        let memberships = memberships::table
            .inner_join(campaigns::table)
            .left_join(tiers::table)
            .filter(memberships::member_id.eq(member.id))
            .select((
                campaigns::title,
                tiers::name.nullable(),
                memberships::billing_interval,
                memberships::amount,
                memberships::currency,
                memberships::status,
                memberships::cancel_at_period_end,
                memberships::current_period_end,
                memberships::started_at,
                memberships::ended_at,
                memberships::created_at,
            ))
            .load(conn)?;
        let payments = payments::table
            .inner_join(campaigns::table)
            .filter(payments::member_id.eq(member.id))
            .select((
                campaigns::title,
                payments::kind,
                payments::amount,
                payments::amount_refunded,
                payments::currency,
                payments::status,
                payments::dispute_status,
                payments::paid_at,
            ))
            .load(conn)?;
        // Newsletter readers are kept by address: the member's is theirs.
        let subscriptions = newsletter_subscriptions::table
            .inner_join(subscribers::table)
            .inner_join(newsletters::table)
            .filter(subscribers::email.eq(&member.email))
            .select((
                newsletters::name,
                newsletter_subscriptions::status,
                newsletter_subscriptions::created_at,
                newsletter_subscriptions::confirmed_at,
                newsletter_subscriptions::unsubscribed_at,
            ))
            .load(conn)?;
        Ok(History {
            memberships,
            payments,
            emails: outbox::addressed_to(conn, &member.email)?,
            subscriptions,
        })
    }

    /// The events, newest first.
    fn timeline(self, lang: Lang) -> Vec<Event> {
        let mut events = Vec::new();
        let mut event = |at, what: &str, detail: String, status: String| {
            events.push(Event {
                at,
                what: lang.tr(what),
                detail,
                status,
            })
        };
        for m in self.memberships {
            let status = status_label(lang, MemberStatus::Membership(m.status));
            let price = lang.t(
                if m.billing_interval == BillingInterval::Year {
                    "admin-member-per-year"
                } else {
                    "admin-member-per-month"
                },
                &[("amount", lang.money(m.amount, &m.currency).into())],
            );
            let tier = m.tier.map(|t| format!(" · {t}")).unwrap_or_default();
            event(
                m.started_at.unwrap_or(m.created_at),
                "admin-event-membership-started",
                format!("{}{tier} · {price}", m.campaign),
                status.clone(),
            );
            match (m.ended_at, m.cancel_at_period_end, m.current_period_end) {
                (Some(ended), _, _) => {
                    event(ended, "admin-event-membership-ended", m.campaign, status)
                }
                (None, true, Some(end)) => {
                    event(end, "admin-event-membership-cancels", m.campaign, status)
                }
                _ => {}
            }
        }
        for p in self.payments {
            let mut detail = format!("{} · {}", lang.money(p.amount, &p.currency), p.campaign);
            if p.amount_refunded > 0 {
                let refunded = lang.money(p.amount_refunded, &p.currency);
                detail += &format!(
                    " · {}",
                    lang.t("admin-event-refunded", &[("amount", refunded.into())])
                );
            }
            if let Some(dispute) = p.dispute_status {
                detail += &format!(
                    " · {}",
                    lang.t("admin-event-disputed", &[("status", dispute.into())])
                );
            }
            let status = match p.status.as_str() {
                "succeeded" | "failed" => lang.tr(&format!("admin-payment-{}", p.status)),
                other => other.to_owned(),
            };
            let what = if p.kind == "donation" {
                "admin-event-donation"
            } else {
                "admin-event-payment"
            };
            event(p.paid_at, what, detail, status);
        }
        for e in self.emails {
            event(
                e.finished_at.unwrap_or(e.created_at),
                "admin-event-email",
                e.subject,
                lang.tr(state_label(e.state)),
            );
        }
        for s in self.subscriptions {
            let status = lang.tr(&format!("admin-newsletter-{}", s.status));
            let steps = [
                (Some(s.created_at), "admin-event-newsletter-requested"),
                (s.confirmed_at, "admin-event-newsletter-confirmed"),
                (s.unsubscribed_at, "admin-event-newsletter-left"),
            ];
            for (at, what) in steps {
                if let Some(at) = at {
                    event(at, what, s.newsletter.clone(), status.clone());
                }
            }
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        events
    }
}

#[derive(Template)]
#[template(path = "admin/member.html")]
struct MemberPage {
    frame: Frame,
    member: Member,
    /// The customer's page in the Stripe dashboard.
    stripe_url: Option<String>,
    events: Vec<Event>,
}

/// `GET /admin/members/{id}`
pub(crate) async fn show(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let found = state
        .db
        .read(move |c| {
            let Some(member) = members::table
                .find(id)
                .select(Member::as_select())
                .first(c)
                .optional()?
            else {
                return Ok(None);
            };
            let history = History::load(c, &member)?;
            Ok(Some((member, history)))
        })
        .await?;
    let frame = staff.frame(&req, Nav::Members);
    let lang = frame.lang;
    let Some((member, history)) = found else {
        return message(
            frame,
            StatusCode::NOT_FOUND,
            &lang.tr("admin-not-found"),
            &lang.tr("admin-member-unknown"),
            "/admin/members",
        );
    };
    render(&MemberPage {
        frame,
        stripe_url: member
            .stripe_customer_id
            .as_ref()
            .map(|id| format!("https://dashboard.stripe.com/customers/{id}")),
        member,
        events: history.timeline(lang),
    })
}
