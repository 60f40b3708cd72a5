//! The dashboard's overview, charts and articles table against the source rows, and campaign
//! management: every figure the pages show is recomputed here with plain SQL counts over
//! generated data (thousands of members over months), on both databases.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use memberdrive::admin::Role;
use memberdrive::campaigns::Campaign;
use memberdrive::campaigns::progress;
use memberdrive::db::schema::{
    article_stats, audit_log, campaigns, ledger_entries, memberships, tiers,
};
use memberdrive::db::{self, DbConnection};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, csv_of, get_as, post_as, post_raw_form, session_of,
    spawn_app, submit, text_as,
};
use crate::support::wait::eventually;

both_backends!(
    every_overview_figure_equals_a_count_of_the_source_rows,
    a_goal_change_reaches_the_widget_at_once,
    bad_campaign_input_is_refused_and_changes_nothing,
    new_campaigns_and_tiers_are_saved_and_audited,
    viewers_read_everything_and_change_nothing,
);

const NEVER_STARTED: [&str; 3] = ["pending", "incomplete", "incomplete_expired"];
const STANDING: [&str; 3] = ["active", "trialing", "past_due"];
const ARTICLES: usize = 8;

fn stamp(t: NaiveDateTime) -> String {
    t.format("'%Y-%m-%d %H:%M:%S'").to_string()
}

fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).unwrap()
}

/// Generates `members` members over the last `days` days on campaign `members`: memberships
/// that run, end, rejoin, never start; tiers, intervals, articles; and article counters. Apart
/// from a few sign-ups since midnight (today's, at any hour), every instant lies half an hour
/// off a whole hour before `base`, so that figures measured from a slightly later "now" (28
/// days back, midnights) cannot flip while the test runs.
async fn generate(app: &TestApp, members: usize, days: i64, seed: u64) {
    let now = db::now();
    let base = now - Duration::minutes(10);
    app.write(move |c| {
            let mut rng = StdRng::seed_from_u64(seed);
            let campaign = Campaign::by_slug(c, "members")?.expect("the default campaign");
            let tier_rows: Vec<(i32, Option<i64>, Option<i64>)> = tiers::table
                .filter(tiers::campaign_id.eq(campaign.id))
                .select((tiers::id, tiers::monthly_amount, tiers::yearly_amount))
                .load(c)?;
            let hours = days * 24;
            let at = |h: i64| base - Duration::hours(h) - Duration::minutes(30);
            for chunk in (0..members).collect::<Vec<_>>().chunks(500) {
                let values: Vec<String> = chunk
                    .iter()
                    .map(|i| {
                        let joined = stamp(at(hours));
                        format!("('gen{i}@members.example', 'Member {i}', {joined}, {joined})")
                    })
                    .collect();
                c.batch_execute(&format!(
                    "INSERT INTO members (email, name, created_at, updated_at) VALUES {}",
                    values.join(", ")
                ))?;
            }
            let ids: Vec<i32> = memberdrive::db::schema::members::table
                .filter(memberdrive::db::schema::members::email.like("gen%"))
                .order(memberdrive::db::schema::members::id)
                .select(memberdrive::db::schema::members::id)
                .load(c)?;
            let mut rows = Vec::new();
            // One membership each, a second for one in ten (a rejoin or a second tier).
            for (n, id) in ids.iter().chain(ids.iter().step_by(10)).enumerate() {
                let (started, ended) = if n % 97 == 0 {
                    // A few since midnight: "today", whatever the hour the test runs at.
                    let since = (now - midnight(now.date())).num_seconds().max(2);
                    (now - Duration::seconds(rng.random_range(1..since)), None)
                } else {
                    let start_h = rng.random_range(0..hours);
                    let ended_h = rng
                        .random_bool(0.3)
                        .then(|| start_h - rng.random_range(0..=start_h));
                    (at(start_h), ended_h.map(at))
                };
                let status = if n % 50 == 0 {
                    NEVER_STARTED[n % 3]
                } else if ended.is_some() {
                    "canceled"
                } else {
                    ["active", "active", "active", "trialing", "past_due"][rng.random_range(0..5)]
                };
                let tier = rng.random_range(0..=tier_rows.len());
                let yearly = rng.random_bool(0.2);
                let (tier_id, amount) = match tier_rows.get(tier) {
                    Some((id, monthly, year)) => (
                        id.to_string(),
                        if yearly { year.unwrap() } else { monthly.unwrap() },
                    ),
                    None => ("NULL".into(), rng.random_range(300..5000)),
                };
                let ref_url = match rng.random_range(0..ARTICLES + 2) {
                    a if a < ARTICLES => format!("'https://news.example/story-{a}'"),
                    _ => "NULL".into(),
                };
                rows.push(format!(
                    "({id}, {}, {tier_id}, '{}', {amount}, 'eur', '{status}', {}, {}, {ref_url}, {now}, {now})",
                    campaign.id,
                    if yearly { "year" } else { "month" },
                    stamp(started),
                    ended.map_or("NULL".into(), stamp),
                    now = stamp(base),
                ));
            }
            for chunk in rows.chunks(500) {
                c.batch_execute(&format!(
                    "INSERT INTO memberships (member_id, campaign_id, tier_id, billing_interval, amount, \
                     currency, status, started_at, ended_at, ref_url, created_at, updated_at) VALUES {}",
                    chunk.join(", ")
                ))?;
            }
            let mut counters = Vec::new();
            for a in 0..ARTICLES {
                for d in 0..60 {
                    let day = (base.date() - Duration::days(d)).to_string();
                    counters.push(format!(
                        "({}, 'https://news.example/story-{a}', '{day}', {}, {})",
                        campaign.id,
                        rng.random_range(0..400),
                        rng.random_range(0..20)
                    ));
                }
            }
            c.batch_execute(&format!(
                "INSERT INTO article_stats (campaign_id, article_url, day, views, clicks) VALUES {}",
                counters.join(", ")
            ))?;
            // Its last day is 45 days from now (UTC): it ends when the 46th begins.
            diesel::update(campaigns::table.find(campaign.id))
                .set(campaigns::ends_at.eq(Some(midnight(base.date() + Duration::days(46)))))
                .execute(c)?;
            // 37 members from outside Stripe, three weeks ago.
            diesel::insert_into(ledger_entries::table)
                .values((
                    ledger_entries::campaign_id.eq(campaign.id),
                    ledger_entries::occurred_at.eq(midnight(base.date() - Duration::days(21))),
                    ledger_entries::amount.eq(37),
                    ledger_entries::source.eq("Bank transfers"),
                    ledger_entries::entered_by.eq("staff:editor@news.example"),
                    ledger_entries::created_at.eq(base),
                ))
                .execute(c)?;
            progress::refresh(c, campaign.id, db::now())?;
            progress::touch(c, campaign.id)?;
            Ok(())
        }).await;
}

/// The `data-value` of `data-figure="name"` in a page.
fn figure(html: &str, name: &str) -> String {
    let marker = format!(r#"data-figure="{name}" data-value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no figure {name}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// What the overview and its charts must show, counted with plain SQL.
struct Expected {
    signups: Vec<(String, i64, i64)>,
    members: Vec<(String, i64)>,
    mrr: Vec<(String, String)>,
    churn: Vec<(String, i64, i64)>,
    tiers: BTreeMap<String, i64>,
    gained_today: i64,
    gained_week: i64,
    count: i64,
    projection: String,
}

type Sql = <DbConnection as diesel::Connection>::Backend;

/// The campaign's memberships that reached Stripe.
fn started(campaign_id: i32) -> memberships::BoxedQuery<'static, Sql> {
    memberships::table
        .filter(memberships::campaign_id.eq(campaign_id))
        .filter(memberships::status.ne_all(NEVER_STARTED))
        .into_boxed()
}

fn active_members_at(c: &mut DbConnection, id: i32, t: NaiveDateTime) -> QueryResult<i64> {
    started(id)
        .filter(memberships::started_at.le(t))
        .filter(
            memberships::ended_at
                .is_null()
                .or(memberships::ended_at.gt(t)),
        )
        .select(sql::<BigInt>("COUNT(DISTINCT member_id)"))
        .get_result(c)
}

/// Which instant of a membership [`count_between`] looks at.
#[derive(Clone, Copy)]
enum Edge {
    Started,
    Ended,
}

/// Started memberships whose start (or end) lies in `[from, to)`.
fn count_between(
    c: &mut DbConnection,
    id: i32,
    edge: Edge,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<i64> {
    let query = started(id);
    let query = match edge {
        Edge::Started => query
            .filter(memberships::started_at.ge(from))
            .filter(memberships::started_at.lt(to)),
        Edge::Ended => query
            .filter(memberships::ended_at.ge(from))
            .filter(memberships::ended_at.lt(to)),
    };
    query.select(count_star()).get_result(c)
}

fn expected(c: &mut DbConnection, days: i64) -> QueryResult<Expected> {
    let campaign = Campaign::by_slug(c, "members")?.unwrap();
    let id = campaign.id;
    let now = db::now();
    let today = now.date();
    let mut e = Expected {
        signups: Vec::new(),
        members: Vec::new(),
        mrr: Vec::new(),
        churn: Vec::new(),
        tiers: BTreeMap::new(),
        gained_today: count_between(c, id, Edge::Started, midnight(today), now)?,
        gained_week: count_between(
            c,
            id,
            Edge::Started,
            midnight(today - Duration::days(today.weekday().num_days_from_monday().into())),
            now,
        )?,
        count: progress::count_from_sources(c, &campaign, now)?,
        projection: String::new(),
    };
    for d in (0..days).rev() {
        let day = today - Duration::days(d);
        let (start, end) = (midnight(day), midnight(day + Duration::days(1)));
        e.signups.push((
            day.to_string(),
            count_between(c, id, Edge::Started, start, end)?,
            count_between(c, id, Edge::Ended, start, end)?,
        ));
        // Entries of the ledger dated before midnight.
        let outside: Option<i64> = ledger_entries::table
            .filter(ledger_entries::campaign_id.eq(id))
            .filter(ledger_entries::occurred_at.lt(end))
            .select(sql::<Nullable<BigInt>>("CAST(SUM(amount) AS BIGINT)"))
            .get_result(c)?;
        // Active at the end of the day: started before midnight, not ended by it.
        let members: i64 = started(id)
            .filter(memberships::started_at.lt(end))
            .filter(
                memberships::ended_at
                    .is_null()
                    .or(memberships::ended_at.ge(end)),
            )
            .select(sql::<BigInt>("COUNT(DISTINCT member_id)"))
            .get_result(c)?;
        e.members
            .push((day.to_string(), members + outside.unwrap_or(0)));
        let mrr: Option<i64> = started(id)
            .filter(memberships::currency.eq("eur"))
            .filter(memberships::started_at.lt(end))
            .filter(
                memberships::ended_at
                    .is_null()
                    .or(memberships::ended_at.ge(end)),
            )
            .select(sql::<Nullable<BigInt>>(
                "CAST(SUM(CASE WHEN billing_interval = 'year' THEN amount / 12 ELSE amount END) AS BIGINT)",
            ))
            .get_result(c)?;
        let mrr = mrr.unwrap_or(0);
        e.mrr
            .push((day.to_string(), format!("{}.{:02}", mrr / 100, mrr % 100)));
    }
    for back in (0..12).rev() {
        let index = today.year() * 12 + today.month0() as i32 - back;
        let month =
            NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
                .unwrap();
        let next = month + chrono::Months::new(1);
        let (start, end) = (midnight(month), midnight(next));
        let active: i64 = started(id)
            .filter(memberships::started_at.le(start))
            .filter(
                memberships::ended_at
                    .is_null()
                    .or(memberships::ended_at.gt(start)),
            )
            .select(count_star())
            .get_result(c)?;
        e.churn.push((
            month.format("%Y-%m").to_string(),
            active,
            count_between(c, id, Edge::Ended, start, end)?,
        ));
    }
    let mix: Vec<(Option<i32>, i64)> = memberships::table
        .filter(memberships::campaign_id.eq(id))
        .filter(memberships::status.eq_any(STANDING))
        .filter(memberships::ended_at.is_null())
        .group_by(memberships::tier_id)
        .select((memberships::tier_id, count_star()))
        .load(c)?;
    let names: BTreeMap<i32, String> = tiers::table
        .select((tiers::id, tiers::name))
        .load::<(i32, String)>(c)?
        .into_iter()
        .collect();
    e.tiers = mix
        .into_iter()
        .map(|(tier, n)| {
            (
                tier.map_or_else(|| "No tier".into(), |t| names[&t].clone()),
                n,
            )
        })
        .collect();
    let pace = (active_members_at(c, id, now)?
        - active_members_at(c, id, now - Duration::days(28))?) as f64
        / 28.0;
    e.projection = if e.count >= campaign.goal || pace <= 0.0 {
        String::new()
    } else {
        let days = ((campaign.goal - e.count) as f64 / pace).ceil() as i64;
        (today + Duration::days(days)).to_string()
    };
    Ok(e)
}

async fn every_overview_figure_equals_a_count_of_the_source_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Viewer).await;
    generate(&app, 3000, 240, 7).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let days = 180;

    let page = get_as(
        &app,
        &format!("/admin?campaign=members&days={days}"),
        &cookie,
    )
    .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let e = app.read(move |c| expected(c, days)).await;
    assert!(e.count > 1000 && e.gained_today > 0, "generated data");
    assert_eq!(figure(&html, "count"), e.count.to_string());
    assert_eq!(app.widget_json("members").await["count"], e.count);
    assert_eq!(figure(&html, "goal"), "20000");
    let percent = (e.count as f64 / 20_000.0 * 1000.0).floor() / 10.0;
    assert_eq!(figure(&html, "percent"), percent.to_string());
    assert_eq!(figure(&html, "gained-today"), e.gained_today.to_string());
    assert_eq!(figure(&html, "gained-week"), e.gained_week.to_string());
    assert_eq!(figure(&html, "projection"), e.projection);
    let deadline = (db::now().date() + Duration::days(45)).to_string();
    assert_eq!(figure(&html, "deadline"), deadline);
    // Six charts, each an SVG with its table.
    assert_eq!(html.matches(r#"<svg class="chart""#).count(), 6, "{html}");
    assert_eq!(html.matches("<details>").count(), 6);

    let base = |chart: &str| format!("/admin/campaigns/members/charts/{chart}.csv?days={days}");
    let signups = csv_of(&app, &cookie, &base("signups")).await;
    assert_eq!(signups[0], ["Day", "Sign-ups", "Cancellations"]);
    let got: Vec<(String, i64, i64)> = signups[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap(), r[2].parse().unwrap()))
        .collect();
    assert_eq!(got, e.signups);
    assert!(got.iter().map(|r| r.2).sum::<i64>() > 100, "cancellations");

    let members = csv_of(&app, &cookie, &base("members")).await;
    let got: Vec<(String, i64)> = members[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, e.members);

    let mrr = csv_of(&app, &cookie, &base("mrr")).await;
    assert_eq!(mrr[0][1], "MRR (EUR)");
    let got: Vec<(String, String)> = mrr[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(got, e.mrr);

    let churn = csv_of(&app, &cookie, &base("churn")).await;
    assert_eq!(churn.len(), 13);
    for (row, (month, active, ended)) in churn[1..].iter().zip(&e.churn) {
        assert_eq!(&row[0], month);
        assert_eq!(row[1], active.to_string(), "{month}");
        assert_eq!(row[2], ended.to_string(), "{month}");
        let rate = if *active > 0 {
            let percent = (*ended as f64 * 1000.0 / *active as f64).round() / 10.0;
            format!("{percent:.1}")
        } else {
            String::new()
        };
        assert_eq!(row[3], rate, "{month}");
    }

    let tiers = csv_of(&app, &cookie, &base("tiers")).await;
    let got: BTreeMap<String, i64> = tiers[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, e.tiers);
    assert_eq!(got.len(), 4, "three tiers and none");

    // Articles that bring members, for the last 30 days, sorted by views.
    let articles = csv_of(
        &app,
        &cookie,
        "/admin/campaigns/members/articles.csv?days=30&sort=views&dir=desc",
    )
    .await;
    let campaign_id = app
        .read(|c| Campaign::by_slug(c, "members"))
        .await
        .unwrap()
        .id;
    let first = db::now().date() - Duration::days(29);
    let counted: Vec<(String, i64, i64)> = app
        .read(move |c| {
            let rows: Vec<(String, i64, i64)> = article_stats::table
                .filter(article_stats::campaign_id.eq(campaign_id))
                .filter(article_stats::day.ge(first.to_string()))
                .select((
                    article_stats::article_url,
                    article_stats::views,
                    article_stats::clicks,
                ))
                .load(c)?;
            Ok(rows)
        })
        .await;
    let mut views: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (url, v, k) in counted {
        let e = views.entry(url).or_default();
        e.0 += v;
        e.1 += k;
    }
    assert_eq!(articles.len(), ARTICLES + 1);
    let shown_views: Vec<i64> = articles[1..]
        .iter()
        .map(|r| r[1].parse().unwrap())
        .collect();
    assert!(shown_views.is_sorted_by(|a, b| a >= b), "sorted by views");
    for row in &articles[1..] {
        let url = row[0].clone();
        let (v, k) = views[&url];
        assert_eq!(
            (row[1].clone(), row[2].clone()),
            (v.to_string(), k.to_string()),
            "{url}"
        );
        let lookup = url.clone();
        let gained: i64 = app
            .read(move |c| {
                started(campaign_id)
                    .filter(memberships::ref_url.eq(&lookup))
                    .filter(memberships::started_at.ge(midnight(first)))
                    .select(count_star())
                    .get_result(c)
            })
            .await;
        assert_eq!(row[3], gained.to_string(), "{url}");
        let conversion = if v > 0 {
            let percent = (gained as f64 * 10_000.0 / v as f64).round() / 100.0;
            format!("{percent:.2}")
        } else {
            String::new()
        };
        assert_eq!(row[4], conversion, "{url}");
    }
    // The page shows the same table, sortable.
    let page = text_as(
        &app,
        "/admin/campaigns/members/articles?days=30&sort=views&dir=desc",
        &cookie,
    )
    .await;
    assert!(page.contains(r#"aria-sort="descending""#));
    assert!(page.contains(&articles[1][0]));
}

/// A fresh app with a signed-in admin: the app, the session cookie, and the CSRF token of
/// the page at `path`.
pub(crate) async fn signed_in_admin(backend: Backend, path: &str) -> (TestApp, String, String) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let html = text_as(&app, path, &cookie).await;
    let token = csrf_in(&html);
    (app, cookie, token)
}

/// The edit form's fields as posted back, with some replaced.
pub(crate) async fn campaign_form(
    app: &TestApp,
    cookie: &str,
    slug: &str,
    changes: &[(&str, &str)],
) -> Vec<(String, String)> {
    let html = text_as(app, &format!("/admin/campaigns/{slug}"), cookie).await;
    let mut form = vec![("csrf_token".to_owned(), csrf_in(&html))];
    for name in [
        "title",
        "goal",
        "currency",
        "starts_on",
        "ends_on",
        "time_zone",
        "milestones",
        "stretch_goals",
        "min_amount",
        "max_amount",
        "donation_presets",
        "donation_member_days",
        "title_en",
        "title_uk",
    ] {
        let marker = format!(r#"name="{name}" type="#);
        let at = html.find(&marker).unwrap_or_else(|| panic!("field {name}"));
        let value = html[at..]
            .split(r#"value=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        form.push((name.to_owned(), unescape(value)));
    }
    form.push(("metric".into(), "members".into()));
    for name in ["description", "description_en", "description_uk"] {
        let text = html
            .split(&format!(r#"name="{name}""#))
            .nth(1)
            .unwrap_or_else(|| panic!("field {name}"))
            .split('>')
            .nth(1)
            .unwrap()
            .split("</textarea")
            .next()
            .unwrap();
        form.push((name.to_owned(), unescape(text)));
    }
    for (k, v) in changes {
        form.retain(|(name, _)| name != k);
        form.push(((*k).to_owned(), (*v).to_owned()));
    }
    form
}

/// Text as it was before askama escaped it into a page.
fn unescape(html: &str) -> String {
    [
        ("&#x2c;", ","),
        ("&#44;", ","),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&quot;", "\""),
        ("&#34;", "\""),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_owned(), |text, (entity, plain)| {
        text.replace(entity, plain)
    })
}

pub(crate) async fn post_pairs(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post_as(app, path, cookie, &pairs).await
}

async fn campaign(app: &TestApp, slug: &'static str) -> Campaign {
    app.read(move |c| Campaign::by_slug(c, slug))
        .await
        .expect("campaign")
}

/// The audit log's entries other than sign-ins: (actor, action, details).
pub(crate) async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    app.read(|c| {
        audit_log::table
            .filter(audit_log::action.ne("staff.sign_in"))
            .order(audit_log::id)
            .select((audit_log::actor, audit_log::action, audit_log::details))
            .load(c)
    })
    .await
}

async fn a_goal_change_reaches_the_widget_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    assert_eq!(app.widget_json("members").await["goal"], 20000);
    let form = campaign_form(
        &app,
        &cookie,
        "members",
        &[("goal", "25000"), ("title", "Help us reach 25,000 members")],
    )
    .await;
    let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
    assert_eq!(res.status(), 303);
    // Saved, with a warning: the Ukrainian title still says 20 000.
    assert_eq!(
        res.headers()["location"],
        "/admin/campaigns/members?saved=campaign&title_goal=20000"
    );
    // The widget's answer changes within a poll interval, without a restart.
    let goal_shown = "the widget to show the new goal";
    let json = eventually(goal_shown, std::time::Duration::from_secs(2), || async {
        let json = app.widget_json("members").await;
        if json["goal"] == 25000 {
            Ok(json)
        } else {
            Err(json)
        }
    })
    .await;
    assert_eq!(json["title"], "Help us reach 25,000 members");
    let stored = campaign(&app, "members").await;
    assert_eq!(
        (stored.goal, stored.milestones.as_str()),
        (25000, "[5000,10000,15000]")
    );
    let audit = audit_actions(&app).await;
    let (actor, action, details) = audit.last().unwrap();
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("staff:editor@news.example", "campaign.update")
    );
    let details: serde_json::Value = serde_json::from_str(details).unwrap();
    assert_eq!(
        details["goal"],
        serde_json::json!({"from": 20000, "to": 25000})
    );
    assert!(
        details.get("currency").is_none(),
        "only what changed: {details}"
    );
    // Saving the same values again changes and records nothing.
    let form = campaign_form(&app, &cookie, "members", &[]).await;
    assert_eq!(
        post_pairs(&app, "/admin/campaigns/members", &cookie, &form)
            .await
            .status(),
        303
    );
    assert_eq!(audit_actions(&app).await.len(), audit.len());
}

async fn bad_campaign_input_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let before = campaign(&app, "members").await;
    let cases: [(&str, &str, &str); 7] = [
        ("goal", "0", "Enter a goal above zero"),
        ("goal", "lots", "Enter a goal above zero"),
        ("title", "", "Enter a title"),
        ("currency", "euro", "three-letter currency"),
        ("milestones", "15000, 5000", "ascending numbers"),
        ("ends_on", "31/12/2026", "YYYY-MM-DD"),
        ("max_amount", "0.10", "at least as large"),
    ];
    for (field, value, message) in cases {
        let form = campaign_form(&app, &cookie, "members", &[(field, value)]).await;
        let res = post_pairs(&app, "/admin/campaigns/members", &cookie, &form).await;
        assert_eq!(res.status(), 400, "{field}={value}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{field}={value}: {html}");
        assert!(
            html.contains(&format!(r#"id="f-{field}" name="{field}""#)),
            "{field}"
        );
        assert!(html.contains(r#"aria-invalid="true""#), "{field}");
    }
    let after = campaign(&app, "members").await;
    assert_eq!(
        (after.goal, &after.title, after.updated_at),
        (before.goal, &before.title, before.updated_at)
    );
    assert!(audit_actions(&app).await.is_empty());
    // A body that is not a form at all.
    let html = text_as(&app, "/admin/campaigns/members", &cookie).await;
    let post = app
        .client
        .post(format!("{}/admin/campaigns/members", app.address))
        .header("cookie", format!("{}={cookie}", crate::helpers::COOKIE))
        .header("x-csrf-token", csrf_in(&html));
    let res = post_raw_form(post, "goal=1&goal=2").await;
    assert_eq!(res.status(), 400);
}

async fn new_campaigns_and_tiers_are_saved_and_audited(backend: Backend) {
    let (app, cookie, token) = signed_in_admin(backend, "/admin/campaigns/new").await;
    let form = vec![
        ("slug", "spring-2027"),
        ("title", "Raise €50,000 for the spring investigation"),
        ("description", "Fund six months of reporting."),
        ("metric", "amount"),
        ("goal", "50000"),
        ("currency", "eur"),
        ("starts_on", "2027-03-01"),
        ("ends_on", "2027-06-01"),
        ("milestones", "10000, 25000"),
        ("min_amount", "2"),
        ("max_amount", "5000"),
        ("donation_presets", "10, 50, 100"),
        ("donation_member_days", "0"),
    ];
    let res = submit(&app, &cookie, &token, "/admin/campaigns", form.clone()).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let created = campaign(&app, "spring-2027").await;
    assert_eq!(
        (created.metric.as_str(), created.goal),
        ("amount", 5_000_000)
    );
    assert_eq!(created.milestones, "[1000000,2500000]");
    assert_eq!(created.donation_presets, "[1000,5000,10000]");
    assert_eq!(
        created.starts_at.unwrap().to_string(),
        "2027-03-01 00:00:00"
    );
    app.wait_for_count("spring-2027", 0, std::time::Duration::from_secs(2))
        .await;
    assert_eq!(app.widget_json("spring-2027").await["goal"], 5_000_000);
    // The same slug again is refused, and so is a reserved one.
    for slug in ["spring-2027", "new"] {
        let mut again = form.clone();
        again[0] = ("slug", slug);
        let res = submit(&app, &cookie, &token, "/admin/campaigns", again).await;
        assert_eq!(res.status(), 400, "{slug}");
    }

    // Tiers: add one, then archive it.
    let tiers = "/admin/campaigns/spring-2027/tiers";
    let add = vec![
        ("slug", "friend"),
        ("name", "Friend"),
        ("monthly", "7.50"),
        ("yearly", ""),
    ];
    assert_eq!(
        submit(&app, &cookie, &token, tiers, add).await.status(),
        303
    );
    let bad = vec![("slug", "big"), ("name", "Big"), ("monthly", "9999")];
    let res = submit(&app, &cookie, &token, tiers, bad).await;
    assert_eq!(res.status(), 400, "above the campaign's largest amount");
    let (tier_id, monthly): (i32, Option<i64>) = app
        .read(move |c| {
            tiers::table
                .filter(tiers::campaign_id.eq(created.id))
                .select((tiers::id, tiers::monthly_amount))
                .first(c)
        })
        .await;
    assert_eq!(monthly, Some(750));
    let archive = vec![
        ("name", "Friend"),
        ("monthly", "8"),
        ("position", "2"),
        ("archived", "on"),
    ];
    let path = format!("/admin/campaigns/spring-2027/tiers/{tier_id}");
    let res = submit(&app, &cookie, &token, &path, archive).await;
    assert_eq!(res.status(), 303);
    let (archived, monthly): (bool, Option<i64>) = app
        .read(move |c| {
            tiers::table
                .find(tier_id)
                .select((tiers::archived, tiers::monthly_amount))
                .first(c)
        })
        .await;
    assert_eq!((archived, monthly), (true, Some(800)));
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|a| a.1).collect();
    assert_eq!(actions, ["campaign.create", "tier.create", "tier.update"]);
    // The embed page offers the three snippets for the new campaign.
    let embed = text_as(&app, "/admin/campaigns/spring-2027/embed", &cookie)
        .await
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#38;", "&");
    let base = &app.base_url;
    for snippet in [
        r#"<div data-memberdrive-campaign="spring-2027">"#.to_owned(),
        format!(r#"<script async src="{base}/widget/embed.js"></script>"#),
        format!(r#"<iframe src="{base}/widget/spring-2027" title="#),
        format!(r#"<img src="{base}/widget/spring-2027.svg" alt="Raise €50,000"#),
    ] {
        assert!(embed.contains(&snippet), "{snippet}");
    }
}

async fn viewers_read_everything_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let cookie = session_of(&app, "viewer@news.example").await;
    for path in [
        "/admin",
        "/admin/campaigns",
        "/admin/campaigns/members",
        "/admin/campaigns/members/embed",
        "/admin/campaigns/members/articles",
    ] {
        let res = get_as(&app, path, &cookie).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(
            !html.contains(r#"<button type="submit">Save</button>"#),
            "{path}"
        );
    }
    let html = text_as(&app, "/admin/campaigns/members", &cookie).await;
    let token = csrf_in(&html);
    let today = db::now().date().to_string();
    let form = [
        ("csrf_token", token.as_str()),
        ("ledger_date", today.as_str()),
        ("ledger_amount", "5"),
        ("ledger_source", "x"),
    ];
    let res = post_as(&app, "/admin/campaigns/members/ledger", &cookie, &form).await;
    assert_eq!(res.status(), 403);
    assert_eq!(campaign(&app, "members").await.progress_count, 0);
    assert_eq!(
        get_as(&app, "/admin/campaigns/nope", &cookie)
            .await
            .status(),
        404
    );
    assert_eq!(
        get_as(&app, "/admin/campaigns/members/charts/pie.csv", &cookie)
            .await
            .status(),
        404
    );
}
