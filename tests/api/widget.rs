//! The widget routes against the contract, and their numbers against an independent model of
//! the counting rule.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use futures_util::StreamExt;
use memberdrive::campaigns::Campaign;
use memberdrive::campaigns::progress::count_from_sources;
use memberdrive::db::DbConnection;
use memberdrive::db::schema::{article_stats, campaigns};
use memberdrive::domain::{BillingInterval, EmailAddress};
use memberdrive::members::{
    Member, PaymentRecord, SubscriptionState, apply_payment, apply_subscription,
};
use rand::seq::{IndexedMutRandom, IndexedRandom};
use rand::{Rng, SeedableRng};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, set_ledger, spawn_app, spawn_app_on, spawn_app_with};
use crate::support::wait::eventually;

both_backends!(
    widget_routes_answer_as_the_contract_says,
    counts_equal_the_rule_after_many_random_changes,
    a_change_shows_within_a_second_and_on_the_event_stream,
    a_cancelled_period_stops_counting_when_it_ends,
    a_second_instance_learns_of_changes_within_a_second,
    amount_and_supporters_metrics_follow_their_rules,
    views_and_clicks_are_counted_per_article,
);

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn member(conn: &mut DbConnection, n: usize) -> i32 {
    Member::find_or_create(
        conn,
        &EmailAddress::parse(&format!("reader{n}@news.example")).unwrap(),
        "en",
    )
    .unwrap()
    .id
}

fn subscription(member_id: i32, campaign_id: i32, sub: &str, status: &str) -> SubscriptionState {
    SubscriptionState {
        stripe_subscription_id: sub.to_owned(),
        member_id,
        campaign_id,
        tier_id: None,
        interval: BillingInterval::Month,
        amount: 500,
        currency: "eur".into(),
        status: status.parse().expect("a membership status"),
        cancel_at_period_end: false,
        current_period_end: Some(now() + chrono::Duration::days(30)),
        ref_url: None,
        paused_until: None,
        appeal_variant: None,
    }
}

fn payment(
    member_id: i32,
    campaign_id: i32,
    membership_id: Option<i32>,
    charge: &str,
    amount: i64,
) -> PaymentRecord {
    PaymentRecord {
        member_id,
        campaign_id,
        membership_id,
        amount,
        amount_refunded: 0,
        currency: "eur".into(),
        status: "succeeded".into(),
        dispute_status: None,
        stripe_invoice_id: None,
        stripe_payment_intent_id: None,
        stripe_charge_id: Some(charge.to_owned()),
        paid_at: now(),
        ref_url: None,
    }
}

/// Reader 1 becomes an active member of `campaign` through subscription `sub`.
async fn add_active_member(app: &TestApp, campaign: i32, sub: &'static str) {
    app.write(move |c| {
        let m = member(c, 1);
        apply_subscription(c, &subscription(m, campaign, sub, "active")).map(drop)
    })
    .await;
}

async fn members_campaign_id(app: &TestApp) -> i32 {
    app.read(|c| {
        campaigns::table
            .filter(campaigns::slug.eq("members"))
            .select(campaigns::id)
            .first(c)
    })
    .await
}

async fn widget_routes_answer_as_the_contract_says(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[(
            "MEMBERDRIVE_WIDGET_ANCESTORS",
            "https://news.example https://*.news.example",
        )],
    )
    .await;

    let res = app.get("/widget/members.json").await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(
        h["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public, max-age=")
    );
    assert!(
        h.get("set-cookie").is_none()
            && h.get("vary")
                .is_none_or(|v| !v.to_str().unwrap().contains("Cookie"))
    );
    let etag = h["etag"].to_str().unwrap().to_owned();
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["campaign"], "members");
    assert_eq!(json["title"], "Help us reach 20,000 members");
    assert_eq!(json["metric"], "members");
    assert_eq!(
        (json["count"].as_i64(), json["goal"].as_i64()),
        (Some(0), Some(20_000))
    );
    assert_eq!(json["percent"], 0.0);
    assert_eq!(json["reached"], false);
    assert!(json["updated_at"].as_str().unwrap().ends_with('Z'));

    let not_modified = app
        .client
        .get(format!("{}/widget/members.json", app.address))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.headers()["etag"], etag.as_str());

    let svg = app.get("/widget/members.svg").await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().await.unwrap();
    assert!(
        svg.contains("<title id=\"t\">Help us reach 20,000 members: 0 of 20,000 members</title>"),
        "{svg}"
    );
    assert!(svg.contains(">0 of 20,000 members</text>"), "{svg}");

    let frame = app.get("/widget/members?lang=uk").await;
    assert_eq!(frame.status(), 200);
    assert!(
        frame.headers().get("x-frame-options").is_none(),
        "the iframe must be framable"
    );
    assert_eq!(
        frame.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .split("; ")
            .last()
            .unwrap(),
        "frame-ancestors https://news.example https://*.news.example"
    );
    let html = frame.text().await.unwrap();
    for needle in [
        "role=\"progressbar\"",
        "aria-valuenow=\"0\"",
        "aria-valuemax=\"20000\"",
        "aria-valuetext=\"0 з 20\u{a0}000 учасників\"",
    ] {
        assert!(html.contains(needle), "{needle} missing in {html}");
    }

    let js = app.get("/widget/embed.js").await;
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(js.headers()["access-control-allow-origin"], "*");
    assert!(
        js.text()
            .await
            .unwrap()
            .contains("data-memberdrive-campaign")
    );

    for path in [
        "/widget/nope.json",
        "/widget/nope.svg",
        "/widget/nope",
        "/widget/nope/events",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let missing: serde_json::Value = app.get("/widget/nope.json").await.json().await.unwrap();
    assert_eq!(missing["error"], "not_found");
    assert!(missing["message"].is_string());
}

/// What the test knows about one subscription, to count without the app's SQL.
#[derive(Debug, Clone)]
struct Sub {
    member: i32,
    status: &'static str,
    cancel_at_period_end: bool,
    period_end: NaiveDateTime,
    payments: Vec<(String, i64, i64, bool)>, // charge, amount, refunded, dispute lost
}

impl Sub {
    fn counts(&self, at: NaiveDateTime) -> bool {
        let standing = matches!(self.status, "active" | "trialing" | "past_due");
        let period_ok = !self.cancel_at_period_end || self.period_end > at;
        let paid =
            self.payments.is_empty() || self.payments.iter().any(|(_, a, r, lost)| r < a && !lost);
        standing && period_ok && paid
    }
}

async fn counts_equal_the_rule_after_many_random_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let campaign = members_campaign_id(&app).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut subs: HashMap<String, (Sub, i32)> = HashMap::new();
    const STATUSES: [&str; 7] = [
        "active",
        "trialing",
        "past_due",
        "incomplete",
        "canceled",
        "unpaid",
        "paused",
    ];

    for step in 0..150 {
        let sub_ids: Vec<String> = subs.keys().cloned().collect();
        let op = if sub_ids.is_empty() {
            0
        } else {
            rng.random_range(0..7)
        };
        let at = now();
        match op {
            // A new subscription, sometimes for a reader who already has one.
            0 | 1 => {
                let reader = rng.random_range(0..60usize);
                let status = *STATUSES.choose(&mut rng).unwrap();
                let sub_id = format!("sub_{step}");
                let with_payment = rng.random_bool(0.7);
                let (sid, charge) = (sub_id.clone(), format!("ch_{step}"));
                let (member_id, membership_id) = app
                    .write(move |c| {
                        let m = member(c, reader);
                        let ms = apply_subscription(c, &subscription(m, campaign, &sid, status))?;
                        if with_payment {
                            apply_payment(c, &payment(m, campaign, Some(ms.id), &charge, 500))?;
                        }
                        Ok((m, ms.id))
                    })
                    .await;
                let payments = if with_payment {
                    vec![(format!("ch_{step}"), 500, 0, false)]
                } else {
                    vec![]
                };
                let sub = Sub {
                    member: member_id,
                    status,
                    cancel_at_period_end: false,
                    period_end: at + chrono::Duration::days(30),
                    payments,
                };
                subs.insert(sub_id, (sub, membership_id));
            }
            // Status changes (renewal failures, recoveries, deletion).
            2 | 3 => {
                let id = sub_ids.choose(&mut rng).unwrap().clone();
                let status = *STATUSES.choose(&mut rng).unwrap();
                let cancel = rng.random_bool(0.3);
                // A cancelled period that already ended, or one still running.
                let end = if rng.random_bool(0.5) {
                    at - chrono::Duration::hours(1)
                } else {
                    at + chrono::Duration::days(3)
                };
                let (sub, _) = subs.get_mut(&id).unwrap();
                sub.status = status;
                sub.cancel_at_period_end = cancel;
                sub.period_end = end;
                let mut state = subscription(sub.member, campaign, &id, status);
                state.cancel_at_period_end = cancel;
                state.current_period_end = Some(end);
                app.write(move |c| apply_subscription(c, &state).map(drop))
                    .await;
            }
            // A renewal payment.
            4 => {
                let id = sub_ids.choose(&mut rng).unwrap().clone();
                let (sub, ms) = subs.get_mut(&id).unwrap();
                let charge = format!("ch_{step}");
                sub.payments.push((charge.clone(), 500, 0, false));
                let record = payment(sub.member, campaign, Some(*ms), &charge, 500);
                app.write(move |c| apply_payment(c, &record).map(drop))
                    .await;
            }
            // A full or partial refund, or a lost dispute, of one payment.
            _ => {
                let id = sub_ids.choose(&mut rng).unwrap().clone();
                let (sub, ms) = subs.get_mut(&id).unwrap();
                let Some(p) = sub.payments.choose_mut(&mut rng) else {
                    continue;
                };
                let mut record = payment(sub.member, campaign, Some(*ms), &p.0, p.1);
                match rng.random_range(0..3) {
                    0 => p.2 = p.1,
                    1 => p.2 = p.1 / 2,
                    _ => p.3 = true,
                }
                record.amount_refunded = p.2;
                record.dispute_status = p.3.then(|| "lost".to_owned());
                app.write(move |c| apply_payment(c, &record).map(drop))
                    .await;
            }
        }
        if step % 25 == 24 {
            let at = now();
            let mut people: Vec<i32> = subs
                .values()
                .filter(|(s, _)| s.counts(at))
                .map(|(s, _)| s.member)
                .collect();
            people.sort_unstable();
            people.dedup();
            let expected = people.len() as i64;
            app.wait_for_count("members", expected, Duration::from_secs(1))
                .await;
            let (stored, recount) = app
                .read(move |c| {
                    let camp: Campaign = campaigns::table
                        .find(campaign)
                        .select(Campaign::as_select())
                        .first(c)?;
                    Ok((camp.progress_count, count_from_sources(c, &camp, now())?))
                })
                .await;
            assert_eq!((stored, recount), (expected, expected), "after step {step}");
        }
    }
    assert!(
        subs.values().any(|(s, _)| s.counts(now())),
        "the scenario should leave some members"
    );
}

async fn a_change_shows_within_a_second_and_on_the_event_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    let campaign = members_campaign_id(&app).await;
    let res = app.get("/widget/members/events").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut stream = res.bytes_stream();
    let mut next_event = async move || -> serde_json::Value {
        let mut buf = String::new();
        loop {
            let chunk = tokio::time::timeout(Duration::from_secs(2), stream.next())
                .await
                .expect("an event within 2 s");
            buf.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
            if let Some(data) = buf.lines().find_map(|l| l.strip_prefix("data: ")) {
                return serde_json::from_str(data).unwrap();
            }
        }
    };
    assert_eq!(
        next_event().await["count"],
        0,
        "the stream starts with the current progress"
    );

    add_active_member(&app, campaign, "sub_live").await;
    let took = app
        .wait_for_count("members", 1, Duration::from_secs(1))
        .await;
    assert!(took < Duration::from_secs(1));
    let event = tokio::time::timeout(Duration::from_secs(1), next_event())
        .await
        .expect("event within 1 s");
    assert_eq!(event["count"], 1);
}

async fn a_cancelled_period_stops_counting_when_it_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    let campaign = members_campaign_id(&app).await;
    app.write(move |c| {
        let m = member(c, 1);
        let mut state = subscription(m, campaign, "sub_ending", "active");
        state.cancel_at_period_end = true;
        state.current_period_end = Some(now() + chrono::Duration::milliseconds(1500));
        apply_subscription(c, &state).map(drop)
    })
    .await;
    app.wait_for_count("members", 1, Duration::from_secs(1))
        .await;
    // No webhook arrives: the period's end alone takes the member off the count.
    app.wait_for_count("members", 0, Duration::from_secs(4))
        .await;
}

/// A server outage exists only on PostgreSQL (SQLite is a file inside the process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_keeps_serving_while_postgresql_is_down() {
    let app = spawn_app(Backend::Postgres).await;
    let campaign = members_campaign_id(&app).await;
    add_active_member(&app, campaign, "sub_1").await;
    app.wait_for_count("members", 1, Duration::from_secs(1))
        .await;

    app.database.stop().await;
    // The application finds the database gone (the board's refresher as much as /readyz: both
    // fail to get a connection from the pool).
    app.wait_for_readyz(503, Duration::from_secs(10)).await;
    for path in [
        "/widget/members.json",
        "/widget/members.svg",
        "/widget/members",
        "/widget/embed.js",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path} with the database down");
    }
    assert_eq!(app.widget_json("members").await["count"], 1);
    let events = app
        .client
        .get(format!("{}/widget/members/events", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let first = tokio::time::timeout(Duration::from_secs(1), events.bytes_stream().next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(std::str::from_utf8(&first).unwrap().contains("\"count\":1"));
    app.database.start();
}

async fn a_second_instance_learns_of_changes_within_a_second(backend: Backend) {
    let first = spawn_app(backend).await;
    let second = spawn_app_on(first.database.clone(), &[]).await;
    let campaign = members_campaign_id(&first).await;
    add_active_member(&first, campaign, "sub_1").await;
    let took = second
        .wait_for_count("members", 1, Duration::from_secs(1))
        .await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

async fn amount_and_supporters_metrics_follow_their_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let start = now() - chrono::Duration::days(10);
    let end = now() + chrono::Duration::days(10);
    let (amount_id, supporters_id) = app
        .write(move |c| {
            for (slug, metric, offset) in [
                ("fund", "amount", 10_000i64),
                ("supporters", "supporters", 3),
            ] {
                diesel::insert_into(campaigns::table)
                    .values((
                        campaigns::slug.eq(slug),
                        campaigns::title.eq(format!("Campaign {slug}")),
                        campaigns::metric.eq(metric),
                        campaigns::goal.eq(1_000_000),
                        campaigns::currency.eq("eur"),
                        campaigns::starts_at.eq(start),
                        campaigns::ends_at.eq(end),
                    ))
                    .execute(c)?;
                let id = campaigns::table
                    .filter(campaigns::slug.eq(slug))
                    .select(campaigns::id)
                    .first::<i32>(c)?;
                set_ledger(c, id, offset)?;
            }
            let id = |c: &mut DbConnection, slug: &str| {
                campaigns::table
                    .filter(campaigns::slug.eq(slug))
                    .select(campaigns::id)
                    .first::<i32>(c)
            };
            Ok((id(c, "fund")?, id(c, "supporters")?))
        })
        .await;
    app.write(move |c| {
        let (a, b, d) = (member(c, 1), member(c, 2), member(c, 3));
        // amount: 5000 + 2500 (half refunded: 1250) + 9900 lost dispute + 700 usd + 4000 before the start
        apply_payment(c, &payment(a, amount_id, None, "ch_a1", 5000))?;
        let mut half = payment(b, amount_id, None, "ch_a2", 2500);
        half.amount_refunded = 1250;
        apply_payment(c, &half)?;
        let mut lost = payment(d, amount_id, None, "ch_a3", 9900);
        lost.dispute_status = Some("lost".into());
        apply_payment(c, &lost)?;
        let mut dollars = payment(d, amount_id, None, "ch_a4", 700);
        dollars.currency = "usd".into();
        apply_payment(c, &dollars)?;
        let mut early = payment(a, amount_id, None, "ch_a5", 4000);
        early.paid_at = start - chrono::Duration::days(1);
        apply_payment(c, &early)?;
        // supporters: a is a member and a donor (counted once), b donates, d's donation was refunded
        let ms = apply_subscription(c, &subscription(a, supporters_id, "sub_s1", "active"))?;
        apply_payment(c, &payment(a, supporters_id, Some(ms.id), "ch_s1", 500))?;
        apply_payment(c, &payment(a, supporters_id, None, "ch_s2", 1000))?;
        apply_payment(c, &payment(b, supporters_id, None, "ch_s3", 1000))?;
        let mut refunded = payment(d, supporters_id, None, "ch_s4", 1000);
        refunded.amount_refunded = 1000;
        apply_payment(c, &refunded).map(drop)
    })
    .await;
    app.wait_for_count("fund", 5000 + 1250 + 10_000, Duration::from_secs(1))
        .await;
    app.wait_for_count("supporters", 2 + 3, Duration::from_secs(1))
        .await;
    let svg = app.get("/widget/fund.svg").await.text().await.unwrap();
    assert!(svg.contains("€162.50 of €10,000 raised"), "{svg}");
}

async fn views_and_clicks_are_counted_per_article(backend: Backend) {
    // The outlet's site, as the operator names it for framing; behind a proxy that names
    // each reader's address.
    let app = spawn_app_with(
        backend,
        &[
            ("MEMBERDRIVE_WIDGET_ANCESTORS", "https://news.example"),
            ("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    // A connection per hit: a pooled one may be closed by the server's keep-alive timeout
    // just as a hit is sent on it, while the test waits for a flush.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let hit_from = |client: &'static str, event: &'static str, article: &'static str| {
        http.post(format!("{}/widget/members/hit", app.address))
            .header("x-forwarded-for", client)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "event={event}&ref={}",
                url::form_urlencoded::byte_serialize(article.as_bytes()).collect::<String>()
            ))
            .send()
    };
    let hit = |event, article| hit_from("203.0.113.1", event, article);
    for _ in 0..3 {
        assert_eq!(
            hit("view", "https://news.example/budget?utm_source=x")
                .await
                .unwrap()
                .status(),
            204
        );
    }
    hit("click", "https://news.example/budget#join")
        .await
        .unwrap();
    hit("view", "https://news.example/other").await.unwrap();
    // Dropped, and answered the same: not an article, unknown event, another site's URL
    // (however often it is posted).
    assert_eq!(
        hit("view", "javascript:alert(1)").await.unwrap().status(),
        204
    );
    assert_eq!(
        hit("scroll", "https://news.example/budget")
            .await
            .unwrap()
            .status(),
        204
    );
    for _ in 0..100 {
        assert_eq!(
            hit("click", "https://attacker.example/x")
                .await
                .unwrap()
                .status(),
            204
        );
    }
    hit("click", "https://news.example.attacker.example/x")
        .await
        .unwrap();

    // The batches are written every five seconds.
    let rows = flushed_articles(&app, |rows| !rows.is_empty()).await;
    assert_eq!(
        rows,
        [
            ("https://news.example/budget".to_owned(), 3, 1),
            ("https://news.example/other".to_owned(), 1, 0)
        ]
    );

    // One client posting a flood is held to its limit per minute (a few more may come in
    // while the flood is sent, as the quota refills: two a second); another client is not.
    let flood = futures_util::future::join_all(
        (0..300).map(|_| hit_from("203.0.113.7", "view", "https://news.example/flooded")),
    )
    .await;
    assert!(flood.iter().all(|r| r.as_ref().unwrap().status() == 204));
    // Counted after the whole flood: the flush that writes it has written the flood too.
    hit_from("203.0.113.8", "view", "https://news.example/marker")
        .await
        .unwrap();
    let rows = flushed_articles(&app, |rows| rows.len() == 4).await;
    let flooded = rows
        .iter()
        .find(|(url, ..)| url == "https://news.example/flooded")
        .unwrap()
        .1;
    let limit = i64::from(memberdrive::campaigns::attribution::HITS_PER_MINUTE);
    assert!(
        flooded >= limit && flooded < 200,
        "{flooded} of 300 counted, limit {limit}"
    );
}

/// The article statistics once `ready` holds for them (the flusher writes every few seconds).
async fn flushed_articles(
    app: &TestApp,
    ready: impl Fn(&[(String, i64, i64)]) -> bool,
) -> Vec<(String, i64, i64)> {
    eventually(
        "the statistics to be flushed",
        Duration::from_secs(15),
        || async {
            let rows: Vec<(String, i64, i64)> = app
                .read(|c| {
                    article_stats::table
                        .select((
                            article_stats::article_url,
                            article_stats::views,
                            article_stats::clicks,
                        ))
                        .order(article_stats::article_url)
                        .load(c)
                })
                .await;
            ready(&rows).then_some(rows)
        },
    )
    .await
}
