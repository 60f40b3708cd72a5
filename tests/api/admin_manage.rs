//! The dashboard's managing pages: members (search, filters, CSV, the member page), the email
//! outbox and its retry button, and newsletters (figures, create, edit, archive).

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use memberdrive::admin::Role;
use memberdrive::campaigns::Campaign;
use memberdrive::db::schema::{
    audit_log, campaigns, jobs, members, memberships, newsletter_subscriptions, newsletters,
    payments, subscribers, tiers,
};
use memberdrive::db::{self, DbConnection};
use memberdrive::email::{self, OutgoingEmail};
use memberdrive::members::import::COLUMNS;
use reqwest::header;

use crate::both_backends;
use crate::helpers::{
    Backend, COOKIE, TestApp, add_staff, csrf_in, get_as, memberdrive_command, request, session_of,
    spawn_app, submit, text_as, text_of,
};
use crate::support::browser::{Browser, cdp, check_page};
use crate::support::smtp::SmtpMode;
use crate::support::wait::eventually;

both_backends!(
    members_are_found_by_email_or_name_and_narrowed_by_every_filter,
    the_csv_export_holds_exactly_the_filtered_members,
    the_member_page_tells_the_whole_story_newest_first,
    a_dead_letter_is_listed_and_retried_until_it_is_sent,
    retrying_an_email_that_is_not_dead_is_refused_and_changes_nothing,
    viewers_see_the_pages_but_cannot_retry_or_change_newsletters,
    newsletters_are_created_edited_and_archived_with_audit_entries,
    invalid_newsletter_input_is_refused_next_to_its_fields_and_changes_nothing,
    every_page_speaks_english_and_ukrainian,
    the_pages_work_on_a_phone_in_a_real_browser,
);

/// Form fields, query parameters, or (field, error) pairs.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

const WAIT: Duration = Duration::from_secs(10);
const ADMIN: &str = "admin@news.example";
const VIEWER: &str = "viewer@news.example";

fn at(date: &str) -> NaiveDateTime {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

/// An admin's session cookie.
async fn admin(app: &TestApp) -> String {
    add_staff(app, ADMIN, Role::Admin).await;
    session_of(app, ADMIN).await
}

/// A page's body, asserting its status.
async fn page(app: &TestApp, path: &str, cookie: &str, status: u16) -> String {
    let res = get_as(app, path, cookie).await;
    assert_eq!(res.status(), status, "GET {path}");
    res.text().await.unwrap()
}

/// `text` as askama writes it into HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Where a 303 answer sends the browser.
fn redirect(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 303, "{}", res.url());
    location(res)
}

/// Posts `fields` and the CSRF token `token` to `path`.
/// The public newsletter page.
async fn public_page(app: &TestApp) -> String {
    app.get("/newsletters").await.text().await.unwrap()
}

/// A member as a test describes them.
struct Seed {
    email: &'static str,
    name: Option<&'static str>,
    added: &'static str,
    /// (campaign slug, tier slug, status, started)
    membership: Option<(
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
    )>,
}

fn insert_member(c: &mut DbConnection, seed: &Seed) -> QueryResult<i32> {
    diesel::insert_into(members::table)
        .values((
            members::email.eq(seed.email),
            members::name.eq(seed.name),
            members::created_at.eq(at(seed.added)),
        ))
        .execute(c)?;
    let id = member_id(c, seed.email)?;
    if let Some((campaign, tier, status, started)) = seed.membership {
        let campaign_id = campaign_id(c, campaign)?;
        let tier_id = tier.map(|t| tier_id(c, t)).transpose()?;
        diesel::insert_into(memberships::table)
            .values((
                memberships::member_id.eq(id),
                memberships::campaign_id.eq(campaign_id),
                memberships::tier_id.eq(tier_id),
                memberships::billing_interval.eq("month"),
                memberships::amount.eq(1000),
                memberships::currency.eq("eur"),
                memberships::status.eq(status),
                memberships::started_at.eq(at(started)),
                memberships::ended_at.eq((status == "canceled").then(|| at(started))),
            ))
            .execute(c)?;
    }
    Ok(id)
}

fn member_id(c: &mut DbConnection, email: &str) -> QueryResult<i32> {
    members::table
        .filter(members::email.eq(email))
        .select(members::id)
        .first(c)
}

fn tier_id(c: &mut DbConnection, slug: &str) -> QueryResult<i32> {
    tiers::table
        .filter(tiers::slug.eq(slug))
        .select(tiers::id)
        .first(c)
}

fn campaign_id(c: &mut DbConnection, slug: &str) -> QueryResult<i32> {
    Ok(Campaign::by_slug(c, slug)?.expect("a campaign").id)
}

/// Five members in two campaigns; returns the id of the `spring` campaign.
async fn seed_members(app: &TestApp) -> i32 {
    app.write(|c| {
        diesel::insert_into(campaigns::table)
            .values((
                campaigns::slug.eq("spring"),
                campaigns::title.eq("Spring drive"),
                campaigns::goal.eq(100i64),
            ))
            .execute(c)?;
        let seeds = [
            Seed {
                email: "olena@news.example",
                name: Some("Олена \"Оля\", Коваль"),
                added: "2025-03-09",
                membership: Some(("members", Some("patron"), "active", "2025-03-10")),
            },
            Seed {
                email: "bob@example.org",
                name: Some("Bob Stone"),
                added: "2024-05-30",
                membership: Some(("members", Some("supporter"), "canceled", "2024-06-01")),
            },
            Seed {
                email: "carol@example.org",
                name: Some("Carol Reed"),
                added: "2025-03-15",
                membership: None,
            },
            Seed {
                email: "dan@example.org",
                name: None,
                added: "2025-01-19",
                membership: Some(("spring", None, "active", "2025-01-20")),
            },
            Seed {
                email: "eve_1@example.org",
                name: Some("Eve"),
                added: "2025-01-31",
                membership: Some(("members", Some("sustainer"), "past_due", "2025-02-01")),
            },
        ];
        for seed in &seeds {
            insert_member(c, seed)?;
        }
        campaign_id(c, "spring")
    })
    .await
}

/// The emails of the members a list page shows, sorted.
fn listed(html: &str) -> Vec<String> {
    let mut emails: Vec<String> = html
        .split(r#"<a href="/admin/members/"#)
        .skip(1)
        .filter_map(|s| {
            let rest = s.split_once("\">")?.1;
            Some(rest.split('<').next()?.to_owned())
        })
        .collect();
    emails.sort();
    emails
}

async fn members_are_found_by_email_or_name_and_narrowed_by_every_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    let spring = seed_members(&app).await;
    let (patron, members_campaign) = app
        .read(|c| Ok((tier_id(c, "patron")?, campaign_id(c, "members")?)))
        .await;

    let all = page(&app, "/admin/members", &cookie, 200).await;
    assert_eq!(listed(&all).len(), 5, "{all}");
    assert!(all.contains("5 members"), "the count");

    let patron = patron.to_string();
    let spring = spring.to_string();
    let members_campaign = members_campaign.to_string();
    let cases: Vec<(Pairs, Vec<&str>)> = vec![
        // Email, in any case.
        (vec![("q", "OLENA@NEWS")], vec!["olena@news.example"]),
        // Name, in any case and any script.
        (vec![("q", "коваль")], vec!["olena@news.example"]),
        (vec![("q", "  stone ")], vec!["bob@example.org"]),
        // Wildcards are taken literally.
        (vec![("q", "_")], vec!["eve_1@example.org"]),
        (vec![("q", "%")], vec![]),
        (
            vec![("status", "active")],
            vec!["dan@example.org", "olena@news.example"],
        ),
        (vec![("status", "none")], vec!["carol@example.org"]),
        (vec![("status", "canceled")], vec!["bob@example.org"]),
        (vec![("tier", &patron)], vec!["olena@news.example"]),
        (vec![("campaign", &spring)], vec!["dan@example.org"]),
        (
            vec![("campaign", &members_campaign)],
            vec!["bob@example.org", "eve_1@example.org", "olena@news.example"],
        ),
        // Joined in March 2025: a membership that started then, or a member without one
        // who was added then.
        (
            vec![("from", "2025-03-01"), ("to", "2025-03-31")],
            vec!["carol@example.org", "olena@news.example"],
        ),
        // The last day counts whole.
        (
            vec![("to", "2025-01-20")],
            vec!["bob@example.org", "dan@example.org"],
        ),
        (
            vec![("status", "active"), ("from", "2025-02-01")],
            vec!["olena@news.example"],
        ),
        (vec![("status", "none"), ("to", "2025-03-01")], vec![]),
        (
            vec![("status", "none"), ("campaign", &members_campaign)],
            vec![],
        ),
        (vec![("status", "past_due"), ("tier", &patron)], vec![]),
    ];
    for (query, expected) in cases {
        let qs = serde_urlencoded::to_string(&query).unwrap();
        let html = page(&app, &format!("/admin/members?{qs}"), &cookie, 200).await;
        assert_eq!(listed(&html), expected, "{qs}");
        let count = match expected.len() {
            1 => "1 member".to_owned(),
            n => format!("{n} members"),
        };
        assert!(html.contains(&count), "{qs}: {count}");
        // The export link keeps the filter.
        assert!(
            html.contains(&format!("\"/admin/members.csv?{}\"", escaped(&qs))),
            "{qs}"
        );
    }

    // A row links to the member's page.
    let olena = app.read(|c| member_id(c, "olena@news.example")).await;
    let html = page(&app, "/admin/members?q=olena", &cookie, 200).await;
    assert!(html.contains(&format!(r#"href="/admin/members/{olena}""#)));

    for bad in [
        "from=2025-13-01",
        "status=gone",
        "tier=x",
        "from=2025-03-02&to=2025-03-01",
    ] {
        let html = page(&app, &format!("/admin/members?{bad}"), &cookie, 400).await;
        assert!(html.contains(r#"class="alert""#), "{bad}");
        assert!(listed(&html).is_empty(), "{bad}");
    }
}

/// The rows of a CSV file, header first.
fn parse_csv(body: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(body.as_bytes())
        .into_records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn the_csv_export_holds_exactly_the_filtered_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    seed_members(&app).await;

    let res = get_as(&app, "/admin/members.csv?status=active&q=", &cookie).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let disposition = res.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"members-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = res.text().await.unwrap();
    let header_row: Vec<&str> = body.lines().next().unwrap().split(',').collect();
    assert_eq!(header_row, COLUMNS);
    let rows = parse_csv(&body);
    let emails: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(emails, ["dan@example.org", "olena@news.example"], "{body}");
    assert!(rows.iter().all(|r| r[2] == "active"));
    // A name with a quote and a comma survives the round trip.
    assert_eq!(rows[1][1], "Олена \"Оля\", Коваль");
    assert_eq!(rows[1][3], "patron");
    assert_eq!(rows[0][7], "spring");

    let rows = parse_csv(&text_as(&app, "/admin/members.csv?status=none", &cookie).await);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0][0].as_str(), rows[0][2].as_str()),
        ("carol@example.org", "none")
    );

    // Without a filter it is the file `export-members` writes.
    let everything = text_as(&app, "/admin/members.csv", &cookie).await;
    let cli = memberdrive_command()
        .arg("export-members")
        .env("DATABASE_URL", &app.database.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert_eq!(everything, String::from_utf8(cli.stdout).unwrap());
    assert_eq!(parse_csv(&everything).len(), 5);

    let res = get_as(&app, "/admin/members.csv?from=yesterday", &cookie).await;
    assert_eq!(res.status(), 400);
}

async fn the_member_page_tells_the_whole_story_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    let id = app
        .write(|c| {
            let id = insert_member(
                c,
                &Seed {
                    email: "reader@news.example",
                    name: Some("Rea Der"),
                    added: "2025-01-05",
                    membership: Some(("members", Some("patron"), "active", "2025-01-10")),
                },
            )?;
            insert_member(
                c,
                &Seed {
                    email: "someone-else@news.example",
                    name: None,
                    added: "2025-01-05",
                    membership: None,
                },
            )?;
            diesel::update(members::table.find(id))
                .set(members::stripe_customer_id.eq("cus_TEST123"))
                .execute(c)?;
            diesel::update(memberships::table.filter(memberships::member_id.eq(id)))
                .set((
                    memberships::cancel_at_period_end.eq(true),
                    memberships::current_period_end.eq(at("2025-05-10")),
                ))
                .execute(c)?;
            let (membership, campaign): (i32, i32) = memberships::table
                .filter(memberships::member_id.eq(id))
                .select((memberships::id, memberships::campaign_id))
                .first(c)?;
            diesel::insert_into(payments::table)
                .values((
                    payments::member_id.eq(id),
                    payments::campaign_id.eq(campaign),
                    payments::membership_id.eq(membership),
                    payments::kind.eq("subscription"),
                    payments::amount.eq(1050i64),
                    payments::amount_refunded.eq(500i64),
                    payments::currency.eq("eur"),
                    payments::status.eq("succeeded"),
                    payments::dispute_status.eq("needs_response"),
                    payments::paid_at.eq(at("2025-02-10")),
                ))
                .execute(c)?;
            // A sent email keeps its receipt; a dead one its payload.
            let receipt =
                serde_json::json!({"to": "reader@news.example", "subject": "Welcome aboard"});
            let dead = OutgoingEmail {
                from_name: None,
                to: "reader@news.example".into(),
                subject: "Your sign-in link".into(),
                text: "https://example.org/?token=SECRET-TOKEN".into(),
                html: String::new(),
                unsubscribe_url: None,
                newsletter: None,
            };
            let other = OutgoingEmail {
                to: "someone-else@news.example".into(),
                subject: "Not for the reader".into(),
                ..dead.clone()
            };
            for (key, payload, status, created) in [
                ("welcome", receipt.to_string(), "done", "2025-01-10"),
                (
                    "link",
                    serde_json::to_string(&dead).unwrap(),
                    "dead",
                    "2025-03-01",
                ),
                (
                    "other",
                    serde_json::to_string(&other).unwrap(),
                    "done",
                    "2025-03-02",
                ),
            ] {
                let id = insert_email_job(c, key, &payload, status, 1)?;
                // As `email::queue` files it: under its recipient.
                let to: serde_json::Value = serde_json::from_str(&payload).unwrap();
                diesel::update(jobs::table.find(id))
                    .set((
                        jobs::recipient.eq(to["to"].as_str().map(str::to_owned)),
                        jobs::created_at.eq(at(created)),
                        jobs::finished_at.eq(at(created)),
                    ))
                    .execute(c)?;
            }
            diesel::insert_into(subscribers::table)
                .values(subscribers::email.eq("reader@news.example"))
                .execute(c)?;
            let subscriber: i32 = subscribers::table.select(subscribers::id).first(c)?;
            let news: i32 = newsletters::table
                .filter(newsletters::slug.eq("news"))
                .select(newsletters::id)
                .first(c)?;
            diesel::insert_into(newsletter_subscriptions::table)
                .values((
                    newsletter_subscriptions::subscriber_id.eq(subscriber),
                    newsletter_subscriptions::newsletter_id.eq(news),
                    newsletter_subscriptions::status.eq("confirmed"),
                    newsletter_subscriptions::created_at.eq(at("2025-01-02")),
                    newsletter_subscriptions::confirmed_at.eq(at("2025-01-03")),
                ))
                .execute(c)?;
            Ok(id)
        })
        .await;

    let html = page(&app, &format!("/admin/members/{id}"), &cookie, 200).await;
    for expected in [
        "reader@news.example",
        "Rea Der",
        r#"href="https://dashboard.stripe.com/customers/cus_TEST123""#,
        "Membership started",
        "Help us reach 20,000 members · Patron · €10 a month",
        "Membership ends (cancelled at the end of the period)",
        "Payment",
        "€10.50 · ",
        "€5 refunded",
        "disputed (needs_response)",
        "Welcome aboard",
        "Your sign-in link",
        "Dead-lettered",
        "Sent",
        "The Briefing",
        "Newsletter subscription confirmed",
        "Newsletter subscription requested",
    ] {
        assert!(html.contains(expected), "{expected} missing from {html}");
    }
    assert!(
        !html.contains("Not for the reader"),
        "another address's email"
    );
    assert!(!html.contains("SECRET-TOKEN"), "an email's body");
    // Newest first.
    let order = [
        "2025-05-10", // the membership ends
        "2025-03-01", // the dead email
        "2025-02-10", // the payment
        "2025-01-10", // the membership starts (and the welcome email)
        "2025-01-03", // confirmed
        "2025-01-02", // requested
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|d| html.find(&format!("<time datetime=\"{d}T")).expect(d))
        .collect();
    assert!(positions.is_sorted(), "{order:?} at {positions:?}");

    let missing = page(&app, &format!("/admin/members/{}", id + 100), &cookie, 404).await;
    assert!(missing.contains("There is no member with this number."));
    assert!(missing.contains(r#"href="/admin/members""#), "a way back");
    let res = get_as(&app, "/admin/members/not-a-number", &cookie).await;
    assert_eq!(res.status(), 404);

    // Without a Stripe customer there is no link.
    let other = app
        .read(|c| member_id(c, "someone-else@news.example"))
        .await;
    let html = page(&app, &format!("/admin/members/{other}"), &cookie, 200).await;
    assert!(!html.contains("dashboard.stripe.com"));
    assert!(html.contains("Not for the reader"));
}

type JobRow = (String, i32, NaiveDateTime, NaiveDateTime, Option<String>);

async fn job(app: &TestApp, id: i32) -> JobRow {
    app.read(move |c| {
        jobs::table
            .find(id)
            .select((
                jobs::status,
                jobs::attempts,
                jobs::run_at,
                jobs::updated_at,
                jobs::last_error,
            ))
            .first(c)
    })
    .await
}

pub(crate) async fn audit_actions(
    app: &TestApp,
    action: &'static str,
) -> Vec<(String, String, String)> {
    app.read(move |c| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .order(audit_log::id)
            .select((audit_log::actor, audit_log::subject_id, audit_log::details))
            .load(c)
    })
    .await
}

/// An email job with `payload` under `key`, as the outbox files them (without a recipient);
/// returns its id.
fn insert_email_job(
    c: &mut DbConnection,
    key: &str,
    payload: &str,
    status: &str,
    attempts: i32,
) -> QueryResult<i32> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(email::JOB_KIND),
            jobs::dedupe_key.eq(key),
            jobs::payload.eq(payload),
            jobs::status.eq(status),
            jobs::attempts.eq(attempts),
        ))
        .execute(c)?;
    jobs::table
        .filter(jobs::dedupe_key.eq(key))
        .select(jobs::id)
        .first(c)
}

/// Queues an email through the outbox; returns its job id.
async fn queue_email(app: &TestApp, to: &str, subject: &str) -> i32 {
    let message = OutgoingEmail {
        from_name: None,
        to: to.into(),
        subject: subject.into(),
        text: "Your link: https://example.org/confirm?token=SECRET-TOKEN".into(),
        html: String::new(),
        unsubscribe_url: None,
        newsletter: None,
    };
    let key = format!("test:{to}");
    app.write(move |c| {
        email::queue(c, &key, &message)?;
        jobs::table
            .filter(jobs::dedupe_key.eq(&key))
            .select(jobs::id)
            .first(c)
    })
    .await
}

/// Waits until job `id` has `status`.
async fn wait_for_status(app: &TestApp, id: i32, status: &str) -> JobRow {
    eventually(&format!("job {id} to be {status}"), WAIT, || async {
        let row = job(app, id).await;
        if row.0 == status {
            Ok(row)
        } else {
            Err(format!("{row:?}"))
        }
    })
    .await
}

async fn a_dead_letter_is_listed_and_retried_until_it_is_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    app.smtp.set_mode(SmtpMode::PermFail);
    let id = queue_email(&app, "bounce@news.example", "Confirm your subscription").await;
    let (_, attempts, _, _, error) = wait_for_status(&app, id, "dead").await;
    assert_eq!(attempts, 1);
    let error = error.expect("the relay's answer is kept");

    let html = page(&app, "/admin/outbox", &cookie, 200).await;
    for expected in [
        "bounce@news.example",
        "Confirm your subscription",
        "<dt>Dead-lettered</dt><dd>1</dd>",
        "<dt>Sent</dt><dd>0</dd>",
        &format!(r#"action="/admin/outbox/{id}/retry""#),
    ] {
        assert!(html.contains(expected), "{expected} missing from {html}");
    }
    assert!(
        html.contains(&escaped(&error)),
        "the last error {error:?} in {html}"
    );
    assert!(!html.contains("SECRET-TOKEN"), "never an email's body");

    app.smtp.set_mode(SmtpMode::Accept);
    let retry = format!("/admin/outbox/{id}/retry");
    let res = submit(&app, &cookie, &csrf_in(&html), &retry, vec![]).await;
    assert_eq!(redirect(&res), format!("/admin/outbox?retried={id}"));
    let mail = app.smtp.wait_for_messages(1, WAIT).await;
    assert_eq!(mail[0].to, ["bounce@news.example"]);
    wait_for_status(&app, id, "done").await;

    let entries = audit_actions(&app, "outbox.retry").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, format!("staff:{ADMIN}"));
    assert_eq!(entries[0].1, id.to_string());
    let details: serde_json::Value = serde_json::from_str(&entries[0].2).unwrap();
    assert_eq!(details["to"], "bounce@news.example");
    // The relay's 5xx had suppressed the address; the retry lifted that.
    assert_eq!(details["suppression_lifted"], "bounce");

    let html = page(&app, &format!("/admin/outbox?retried={id}"), &cookie, 200).await;
    assert!(
        html.contains(&format!("Email {id} is queued again")),
        "{html}"
    );
    assert!(html.contains("<dt>Sent</dt><dd>1</dd>"), "{html}");
    assert!(html.contains("<dt>Dead-lettered</dt><dd>0</dd>"), "{html}");
    assert!(html.contains("Every email has been sent."));
}

async fn retrying_an_email_that_is_not_dead_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    let later = db::now() + chrono::Duration::hours(1);
    let (sent, retrying) = app
        .write(move |c| {
            let receipt = serde_json::json!({"to": "a@news.example", "subject": "Hello"});
            let sent = insert_email_job(c, "sent", &receipt.to_string(), "done", 1)?;
            // Failed three times; the worker leaves it alone for an hour.
            let retrying = insert_email_job(c, "retrying", &receipt.to_string(), "queued", 3)?;
            diesel::update(jobs::table.find(retrying))
                .set((
                    jobs::run_at.eq(later),
                    jobs::last_error.eq("451 try again later"),
                ))
                .execute(c)?;
            Ok((sent, retrying))
        })
        .await;
    let html = page(&app, "/admin/outbox", &cookie, 200).await;
    assert!(html.contains("<dt>Retrying</dt><dd>1</dd>"), "{html}");
    assert!(html.contains("451 try again later"));
    assert!(
        !html.contains("/retry\""),
        "no retry button for a live email"
    );
    let token = csrf_in(&html);
    for (id, state) in [(sent, "Sent"), (retrying, "Retrying")] {
        let before = job(&app, id).await;
        let retry = format!("/admin/outbox/{id}/retry");
        let res = submit(&app, &cookie, &token, &retry, vec![]).await;
        assert_eq!(res.status(), 409, "{state}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains(&format!("Email {id} is not dead-lettered (state: {state})")),
            "{body}"
        );
        assert!(body.contains("Nothing was changed."));
        assert_eq!(job(&app, id).await, before, "{state}: the row is untouched");
    }
    let res = submit(&app, &cookie, &token, "/admin/outbox/99999/retry", vec![]).await;
    assert_eq!(res.status(), 404);
    assert!(audit_actions(&app, "outbox.retry").await.is_empty());
}

async fn viewers_see_the_pages_but_cannot_retry_or_change_newsletters(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin_cookie = admin(&app).await;
    add_staff(&app, VIEWER, Role::Viewer).await;
    let viewer = session_of(&app, VIEWER).await;
    app.smtp.set_mode(SmtpMode::PermFail);
    let id = queue_email(&app, "bounce@news.example", "Hello").await;
    wait_for_status(&app, id, "dead").await;

    let admin_view = page(&app, "/admin/outbox", &admin_cookie, 200).await;
    assert!(admin_view.contains(&format!("/admin/outbox/{id}/retry")));
    let html = page(&app, "/admin/outbox", &viewer, 200).await;
    assert!(
        html.contains("bounce@news.example"),
        "viewers see the outbox"
    );
    assert!(!html.contains("/retry"), "but no retry button");
    let token = csrf_in(&html);
    let retry = format!("/admin/outbox/{id}/retry");
    let res = submit(&app, &viewer, &token, &retry, vec![]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(job(&app, id).await.0, "dead");

    let list = page(&app, "/admin/newsletters", &viewer, 200).await;
    assert!(list.contains("The Briefing"));
    assert!(
        !list.contains(r#"href="/admin/newsletters/new""#),
        "no create button"
    );
    let admin_list = page(&app, "/admin/newsletters", &admin_cookie, 200).await;
    assert!(admin_list.contains(r#"href="/admin/newsletters/new""#));
    let form = page(&app, "/admin/newsletters/news", &viewer, 200).await;
    assert!(
        form.contains("<fieldset disabled>"),
        "read-only for viewers"
    );
    assert!(
        !form.contains("/admin/newsletters/news/archive"),
        "no archive button"
    );
    assert!(!form.contains(r#"type="submit">Save"#));
    let admin_form = page(&app, "/admin/newsletters/news", &admin_cookie, 200).await;
    assert!(admin_form.contains("/admin/newsletters/news/archive"));
    assert_eq!(
        get_as(&app, "/admin/newsletters/new", &viewer)
            .await
            .status(),
        403
    );
    let before = newsletter_rows(&app).await;
    for (path, form) in [
        (
            "/admin/newsletters",
            vec![("slug", "weekly"), ("name", "Weekly"), ("language", "en")],
        ),
        (
            "/admin/newsletters/news",
            vec![("name", "Renamed"), ("language", "en"), ("position", "1")],
        ),
        (
            "/admin/newsletters/news/archive",
            vec![("archived", "true")],
        ),
    ] {
        let res = submit(&app, &viewer, &token, path, form).await;
        assert_eq!(res.status(), 403, "{path}");
    }
    assert_eq!(newsletter_rows(&app).await, before);
    let by_viewer = audit_log::table
        .filter(audit_log::actor.eq(format!("staff:{VIEWER}")))
        .filter(audit_log::action.ne("staff.sign_in"));
    let recorded = app.count(by_viewer).await;
    assert_eq!(recorded, 0, "the viewer changed nothing");
}

type NewsletterRow = (String, String, String, String, i32, bool);

async fn newsletter_rows(app: &TestApp) -> Vec<NewsletterRow> {
    app.read(|c| {
        newsletters::table
            .order(newsletters::id)
            .select((
                newsletters::slug,
                newsletters::name,
                newsletters::description,
                newsletters::language,
                newsletters::position,
                newsletters::archived,
            ))
            .load(c)
    })
    .await
}

/// The numbers of the list row of newsletter `slug`.
fn figures(html: &str, slug: &str) -> Vec<String> {
    let row = html
        .split("<tr>")
        .find(|r| r.contains(&format!(r#"href="/admin/newsletters/{slug}""#)))
        .unwrap_or_else(|| panic!("no row for {slug} in {html}"));
    row.split(r#"class="num">"#)
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect()
}

async fn newsletters_are_created_edited_and_archived_with_audit_entries(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    let now = db::now();
    app.write(move |c| {
        let news: i32 = newsletters::table
            .filter(newsletters::slug.eq("news"))
            .select(newsletters::id)
            .first(c)?;
        let days = |n: i64| now - chrono::Duration::days(n);
        // (status, confirmed, unsubscribed)
        let rows = [
            ("confirmed", Some(days(40)), None),
            ("confirmed", Some(days(5)), None),
            ("pending", None, None),
            ("unsubscribed", Some(days(60)), Some(days(3))),
            ("unsubscribed", Some(days(90)), Some(days(45))),
        ];
        for (i, (status, confirmed, left)) in rows.into_iter().enumerate() {
            diesel::insert_into(subscribers::table)
                .values(subscribers::email.eq(format!("r{i}@news.example")))
                .execute(c)?;
            let subscriber: i32 = subscribers::table
                .filter(subscribers::email.eq(format!("r{i}@news.example")))
                .select(subscribers::id)
                .first(c)?;
            diesel::insert_into(newsletter_subscriptions::table)
                .values((
                    newsletter_subscriptions::subscriber_id.eq(subscriber),
                    newsletter_subscriptions::newsletter_id.eq(news),
                    newsletter_subscriptions::status.eq(status),
                    newsletter_subscriptions::confirmed_at.eq(confirmed),
                    newsletter_subscriptions::unsubscribed_at.eq(left),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .await;
    let list = page(&app, "/admin/newsletters", &cookie, 200).await;
    // Confirmed, pending, gained and unsubscribed in the last 30 days.
    assert_eq!(figures(&list, "news"), ["2", "1", "1", "1"]);
    assert!(list.contains("English"));

    let form = page(&app, "/admin/newsletters/new", &cookie, 200).await;
    for field in ["slug", "name", "description", "language", "position"] {
        assert!(
            form.contains(&format!(r#"<label for="{field}">"#)),
            "{field}"
        );
    }
    let token = csrf_in(&form);
    let post =
        |path: &'static str, fields: Pairs<'static>| submit(&app, &cookie, &token, path, fields);
    let edited = |name, position| {
        vec![
            ("name", name),
            ("description", "News from the capital."),
            ("language", "uk"),
            ("position", position),
        ]
    };
    let mut fields = edited("  Kyiv Daily ", "5");
    fields.push(("slug", "kyiv-daily"));
    let created = redirect(&post("/admin/newsletters", fields).await);
    assert_eq!(created, "/admin/newsletters?done=created&slug=kyiv-daily");
    let rows = newsletter_rows(&app).await;
    let row = rows.iter().find(|r| r.0 == "kyiv-daily").expect("created");
    let expected = ("Kyiv Daily", "News from the capital.", "uk", 5, false);
    assert_eq!(
        (row.1.as_str(), row.2.as_str(), row.3.as_str(), row.4, row.5),
        expected
    );
    let entries = audit_actions(&app, "newsletter.create").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, format!("staff:{ADMIN}"));
    assert_eq!(entries[0].1, "kyiv-daily");
    let list = page(&app, &created, &cookie, 200).await;
    assert!(list.contains("Newsletter “kyiv-daily” created."));
    assert_eq!(figures(&list, "kyiv-daily"), ["0", "0", "0", "0"]);
    assert!(public_page(&app).await.contains("Kyiv Daily"));

    let edit = page(&app, "/admin/newsletters/kyiv-daily", &cookie, 200).await;
    assert!(edit.contains(r#"value="Kyiv Daily""#));
    let mut fields = edited("Kyiv Evening", "2");
    // The slug cannot be changed by posting one.
    fields.push(("slug", "evening"));
    let saved = redirect(&post("/admin/newsletters/kyiv-daily", fields).await);
    assert_eq!(saved, "/admin/newsletters?done=saved&slug=kyiv-daily");
    let rows = newsletter_rows(&app).await;
    let row = rows
        .iter()
        .find(|r| r.0 == "kyiv-daily")
        .expect("same slug");
    assert_eq!((row.1.as_str(), row.4), ("Kyiv Evening", 2));
    let entries = audit_actions(&app, "newsletter.update").await;
    assert_eq!(entries.len(), 1);
    let details: serde_json::Value = serde_json::from_str(&entries[0].2).unwrap();
    assert_eq!(details["before"]["name"], "Kyiv Daily");
    assert_eq!(details["after"]["name"], "Kyiv Evening");
    assert_eq!(details["after"]["position"], 2);

    // Saving the same values changes and records nothing.
    let same = redirect(&post("/admin/newsletters/kyiv-daily", edited("Kyiv Evening", "2")).await);
    assert_eq!(same, "/admin/newsletters?done=unchanged&slug=kyiv-daily");
    assert_eq!(audit_actions(&app, "newsletter.update").await.len(), 1);

    let archive = |archived| {
        post(
            "/admin/newsletters/kyiv-daily/archive",
            vec![("archived", archived)],
        )
    };
    let archived = redirect(&archive("true").await);
    assert_eq!(archived, "/admin/newsletters?done=archived&slug=kyiv-daily");
    let rows = newsletter_rows(&app).await;
    assert!(rows.iter().any(|r| r.0 == "kyiv-daily" && r.5));
    assert_eq!(audit_actions(&app, "newsletter.archive").await.len(), 1);
    let public = public_page(&app).await;
    assert!(
        !public.contains("Kyiv Evening"),
        "archived: off the public page"
    );
    assert!(public.contains("The Briefing"));
    let subscribe = [
        ("email", "reader@news.example"),
        ("newsletter", "kyiv-daily"),
    ];
    let res = app.post_form("/newsletters/subscribe", &subscribe).await;
    assert_eq!(res.status(), 400, "and off the subscribe form");
    let list = page(&app, "/admin/newsletters", &cookie, 200).await;
    assert!(list.contains("Archived"), "staff still see it, marked");
    let edit = page(&app, "/admin/newsletters/kyiv-daily", &cookie, 200).await;
    assert!(
        edit.contains(r#"name="archived" value="false""#),
        "a way back"
    );

    // Archiving twice records nothing more.
    let again = redirect(&archive("true").await);
    assert_eq!(again, "/admin/newsletters?done=unchanged&slug=kyiv-daily");
    assert_eq!(audit_actions(&app, "newsletter.archive").await.len(), 1);

    let restored = redirect(&archive("false").await);
    assert_eq!(restored, "/admin/newsletters?done=restored&slug=kyiv-daily");
    assert_eq!(audit_actions(&app, "newsletter.unarchive").await.len(), 1);
    assert!(public_page(&app).await.contains("Kyiv Evening"));

    let res = post(
        "/admin/newsletters/nope/archive",
        vec![("archived", "true")],
    )
    .await;
    assert_eq!(res.status(), 404);
    let missing = page(&app, "/admin/newsletters/nope", &cookie, 404).await;
    assert!(missing.contains("There is no newsletter with this short name."));
}

async fn invalid_newsletter_input_is_refused_next_to_its_fields_and_changes_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    let token = csrf_in(&page(&app, "/admin/newsletters/new", &cookie, 200).await);
    let before = newsletter_rows(&app).await;
    let long_name = "n".repeat(101);
    let cases: Vec<(&str, Pairs, Pairs)> = vec![
        (
            "/admin/newsletters",
            vec![
                ("slug", "Bad Slug"),
                ("name", " "),
                ("language", "fr"),
                ("position", "first"),
            ],
            vec![
                ("slug-error", "Use 1 to 40 lower-case letters"),
                ("name-error", "Give a name of at most 100 characters."),
                ("language-error", "Choose English or Ukrainian."),
                ("position-error", "The position is a whole number"),
            ],
        ),
        (
            "/admin/newsletters",
            vec![("slug", "news"), ("name", "Another"), ("language", "en")],
            vec![(
                "slug-error",
                "Another newsletter already has this short name.",
            )],
        ),
        (
            "/admin/newsletters",
            vec![("slug", "new"), ("name", "New"), ("language", "en")],
            vec![("slug-error", "Use 1 to 40 lower-case letters")],
        ),
        (
            "/admin/newsletters",
            vec![("slug", "long"), ("name", &long_name), ("language", "uk")],
            vec![("name-error", "Give a name of at most 100 characters.")],
        ),
        (
            "/admin/newsletters/news",
            vec![("name", ""), ("language", "en"), ("position", "1")],
            vec![("name-error", "Give a name of at most 100 characters.")],
        ),
        (
            "/admin/newsletters/news",
            vec![
                ("name", "The Briefing"),
                ("language", "de"),
                ("position", "1.5"),
            ],
            vec![
                ("language-error", "Choose English or Ukrainian."),
                ("position-error", "The position is a whole number"),
            ],
        ),
    ];
    for (path, form, errors) in cases {
        let res = submit(&app, &cookie, &token, path, form.clone()).await;
        assert_eq!(res.status(), 400, "{path} {form:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Nothing was saved."), "{html}");
        for (id, message) in errors {
            let at = html
                .find(&format!(r#"<p id="{id}" class="field-error">{message}"#))
                .unwrap_or_else(|| panic!("{id}: {message} missing from {html}"));
            // Next to its field: the field says so.
            let field = id.trim_end_matches("-error");
            let input = html
                .find(&format!(r#"id="{field}""#))
                .unwrap_or_else(|| panic!("no field {field}"));
            assert!(input < at, "{id} follows its field");
            assert!(
                html[input..at].contains(r#"aria-invalid="true""#),
                "{field}"
            );
        }
        // What was typed is shown again.
        if let Some((_, name)) = form.iter().find(|(k, _)| *k == "name") {
            if !name.trim().is_empty() && name.len() < 100 {
                assert!(html.contains(&format!(r#"value="{name}""#)), "{name}");
            }
        }
    }
    assert_eq!(newsletter_rows(&app).await, before, "no row changed");
    let recorded: i64 = app
        .count(audit_log::table.filter(audit_log::action.like("newsletter.%")))
        .await;
    assert_eq!(recorded, 0);
}

/// The status and page of `path` asked for in `lang`: a GET of the page, or with `form`, a
/// POST of it.
async fn asked_in(
    app: &TestApp,
    cookie: &str,
    lang: &str,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (u16, String) {
    let req = match form {
        None => request(app, reqwest::Method::GET, path, Some(cookie))
            .header(header::ACCEPT, "text/html"),
        Some(form) => request(app, reqwest::Method::POST, path, Some(cookie)).form(form),
    };
    let res = req
        .header(header::ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn every_page_speaks_english_and_ukrainian(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = admin(&app).await;
    seed_members(&app).await;
    let (member, dead) = app
        .write(|c| {
            let member = member_id(c, "olena@news.example")?;
            let receipt = serde_json::json!({"to": "olena@news.example", "subject": "Hello"});
            let done = insert_email_job(c, "done", &receipt.to_string(), "done", 0)?;
            Ok((member, done))
        })
        .await;
    let token = csrf_in(&page(&app, "/admin/outbox", &cookie, 200).await);
    let member_page = format!("/admin/members/{member}");
    let pages = [
        ("/admin/members", 200),
        ("/admin/members?status=active&from=2025-01-01", 200),
        ("/admin/members?from=never", 400),
        (member_page.as_str(), 200),
        ("/admin/members/0", 404),
        ("/admin/outbox", 200),
        ("/admin/newsletters?done=saved&slug=news", 200),
        ("/admin/newsletters/new", 200),
        ("/admin/newsletters/news", 200),
    ];
    for (lang, word) in [("en", "Members"), ("uk", "Учасники")] {
        for (path, status) in pages {
            let (answer, html) = asked_in(&app, &cookie, lang, path, None).await;
            assert_eq!(answer, status, "{lang} {path}");
            assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{path}");
            assert!(html.contains(word), "{lang} {path}");
            assert!(
                !html.contains("admin-"),
                "{lang} {path}: an untranslated id in {html}"
            );
        }
        // Refusals speak the language too.
        let retry = format!("/admin/outbox/{dead}/retry");
        let token = token.as_str();
        for (path, form, status) in [
            (retry.as_str(), vec![("csrf_token", token)], 409),
            (
                "/admin/newsletters",
                vec![("csrf_token", token), ("slug", "")],
                400,
            ),
        ] {
            let (answer, html) = asked_in(&app, &cookie, lang, path, Some(&form)).await;
            assert_eq!(answer, status, "{lang} {path}");
            assert!(!html.contains("admin-"), "{lang}: {html}");
        }
    }
    let uk = text_of(
        request(&app, reqwest::Method::GET, "/admin/members", Some(&cookie))
            .header(header::ACCEPT_LANGUAGE, "uk"),
    )
    .await;
    assert!(uk.contains("5 учасників"), "Ukrainian plurals");
    assert!(uk.contains("Платіж прострочено"), "statuses");
}

/// A phone-sized browser on `/admin/members`, signed in with staff session `session`.
async fn phone(app: &TestApp, session: &str) -> Browser {
    let browser = Browser::phone().await;
    let c = &browser.client;
    let cookie = serde_json::json!({
        "name": COOKIE,
        "value": session,
        "url": format!("{}/admin", app.address),
        "path": "/admin",
        "httpOnly": true,
    });
    cdp(c, "Network.setCookie", cookie).await;
    c.goto(&format!("{}/admin/members", app.address))
        .await
        .unwrap();
    browser
        .wait_for("return document.querySelector('#q') ? true : null;", WAIT)
        .await;
    browser
}

async fn the_pages_work_on_a_phone_in_a_real_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = admin(&app).await;
    seed_members(&app).await;
    let browser = phone(&app, &session).await;
    let c = &browser.client;
    check_page(&browser, "admin-members-390").await;

    // Search with the keyboard.
    browser.type_into("#q", "коваль\u{E007}").await;
    let rows = browser
        .wait_for(
            "return location.search.includes('q=') ? document.querySelectorAll('tbody tr').length : null;",
            WAIT,
        )
        .await;
    assert_eq!(rows, 1);
    check_page(&browser, "admin-members-search-390").await;
    browser.click_link("olena@news.example").await;
    browser
        .wait_for(
            "return location.pathname.startsWith('/admin/members/') ? true : null;",
            WAIT,
        )
        .await;
    check_page(&browser, "admin-member-390").await;

    for (path, name) in [
        ("/admin/outbox", "admin-outbox-390"),
        ("/admin/newsletters", "admin-newsletters-390"),
        ("/admin/newsletters/new", "admin-newsletter-new-390"),
        ("/admin/newsletters/news", "admin-newsletter-edit-390"),
    ] {
        c.goto(&format!("{}{path}", app.address)).await.unwrap();
        browser
            .wait_for("return document.querySelector('h1') ? true : null;", WAIT)
            .await;
        check_page(&browser, name).await;
    }
    browser.close().await;
}
