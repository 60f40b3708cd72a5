// Mirrors migrations/postgres as `diesel print-schema` would print it; the SQLite tree has the
// same tables and columns, which `tests/api/schema.rs` checks on both backends.

diesel::table! {
    appeal_stats (campaign_id, variant, day) {
        campaign_id -> Integer,
        variant -> Text,
        day -> Text,
        views -> BigInt,
        clicks -> BigInt,
    }
}

diesel::table! {
    article_stats (campaign_id, article_url, day) {
        campaign_id -> Integer,
        article_url -> Text,
        day -> Text,
        views -> BigInt,
        clicks -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        actor -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    branding (id) {
        id -> Integer,
        version -> BigInt,
        outlet_name -> Text,
        site_url -> Text,
        logo_url -> Text,
        accent_colour -> Text,
        sender_name -> Text,
        email_footer -> Text,
        privacy_url -> Text,
        terms_url -> Text,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    campaign_goals_reached (campaign_id, goal) {
        campaign_id -> Integer,
        goal -> BigInt,
        reached_at -> Timestamp,
    }
}

diesel::table! {
    campaign_texts (campaign_id, lang) {
        campaign_id -> Integer,
        lang -> Text,
        title -> Text,
        description -> Text,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        description -> Text,
        metric -> Text,
        goal -> BigInt,
        currency -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        milestones -> Text,
        donation_member_days -> Integer,
        min_amount -> BigInt,
        max_amount -> BigInt,
        donation_presets -> Text,
        archived -> Bool,
        progress_count -> BigInt,
        progress_version -> BigInt,
        progress_updated_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        stretch_goals -> Text,
        title_b -> Text,
        time_zone -> Text,
    }
}

diesel::table! {
    editions (id) {
        id -> Integer,
        newsletter_id -> Integer,
        subject -> Text,
        body -> Text,
        status -> Text,
        send_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        cursor -> Integer,
        queued -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        preheader -> Text,
    }
}

diesel::table! {
    gifts (id) {
        id -> Integer,
        campaign_id -> Integer,
        tier_id -> Nullable<Integer>,
        months -> Integer,
        amount -> BigInt,
        amount_refunded -> BigInt,
        currency -> Text,
        buyer_email -> Text,
        recipient_email -> Text,
        message -> Text,
        lang -> Text,
        deliver_on -> Timestamp,
        token_hash -> Text,
        stripe_checkout_session_id -> Text,
        stripe_payment_intent_id -> Nullable<Text>,
        paid_at -> Timestamp,
        redeemed_at -> Nullable<Timestamp>,
        member_id -> Nullable<Integer>,
        membership_id -> Nullable<Integer>,
        ends_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> Integer,
        kind -> Text,
        dedupe_key -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        run_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        recipient -> Nullable<Text>,
        lease_owner -> Nullable<Text>,
    }
}

diesel::table! {
    payment_failures (id) {
        id -> Integer,
        stripe_event_id -> Text,
        client -> Text,
        campaign_id -> Nullable<Integer>,
        amount -> BigInt,
        currency -> Text,
        reason -> Nullable<Text>,
        failed_at -> Timestamp,
        cleared_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    later_reminders (id) {
        id -> Integer,
        campaign_id -> Integer,
        email -> Text,
        lang -> Text,
        ref_url -> Nullable<Text>,
        token_hash -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Integer,
        campaign_id -> Integer,
        occurred_at -> Timestamp,
        amount -> BigInt,
        source -> Text,
        note -> Text,
        entered_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    members (id) {
        id -> Integer,
        email -> Text,
        name -> Nullable<Text>,
        locale -> Text,
        stripe_customer_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        yearly_statement -> Bool,
    }
}

diesel::table! {
    memberships (id) {
        id -> Integer,
        member_id -> Integer,
        campaign_id -> Integer,
        tier_id -> Nullable<Integer>,
        billing_interval -> Text,
        amount -> BigInt,
        currency -> Text,
        status -> Text,
        cancel_at_period_end -> Bool,
        current_period_end -> Nullable<Timestamp>,
        stripe_subscription_id -> Nullable<Text>,
        stripe_checkout_session_id -> Nullable<Text>,
        ref_url -> Nullable<Text>,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        paused_until -> Nullable<Timestamp>,
        appeal_variant -> Nullable<Text>,
    }
}

diesel::table! {
    newsletter_subscriptions (id) {
        id -> Integer,
        subscriber_id -> Integer,
        newsletter_id -> Integer,
        status -> Text,
        confirmed_at -> Nullable<Timestamp>,
        unsubscribed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        source -> Nullable<Text>,
    }
}

diesel::table! {
    newsletters (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        description -> Text,
        language -> Text,
        position -> Integer,
        archived -> Bool,
        created_at -> Timestamp,
        public_archive -> Bool,
    }
}

diesel::table! {
    payments (id) {
        id -> Integer,
        member_id -> Integer,
        campaign_id -> Integer,
        membership_id -> Nullable<Integer>,
        kind -> Text,
        amount -> BigInt,
        amount_refunded -> BigInt,
        currency -> Text,
        status -> Text,
        dispute_status -> Nullable<Text>,
        stripe_invoice_id -> Nullable<Text>,
        stripe_payment_intent_id -> Nullable<Text>,
        stripe_charge_id -> Nullable<Text>,
        ref_url -> Nullable<Text>,
        paid_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (scope, key) {
        scope -> Text,
        key -> Text,
        count -> Integer,
        until_ms -> BigInt,
        expires_ms -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        staff_user_id -> Nullable<Integer>,
        member_id -> Nullable<Integer>,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    staff_users (id) {
        id -> Integer,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    stripe_events (id) {
        id -> Text,
        event_type -> Text,
        payload -> Text,
        received_at -> Timestamp,
        processed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    subscribers (id) {
        id -> Integer,
        email -> Text,
        locale -> Text,
        created_at -> Timestamp,
        name -> Nullable<Text>,
    }
}

diesel::table! {
    suppressions (email) {
        email -> Text,
        reason -> Text,
        source -> Text,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cancellations (id) {
        id -> Integer,
        membership_id -> Integer,
        campaign_id -> Integer,
        reason -> Nullable<Text>,
        note -> Text,
        offer_accepted -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tier_texts (tier_id, lang) {
        tier_id -> Integer,
        lang -> Text,
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    tiers (id) {
        id -> Integer,
        campaign_id -> Integer,
        slug -> Text,
        name -> Text,
        description -> Text,
        monthly_amount -> Nullable<BigInt>,
        yearly_amount -> Nullable<BigInt>,
        position -> Integer,
        archived -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> Integer,
        token_hash -> Text,
        purpose -> Text,
        subscriber_id -> Nullable<Integer>,
        member_id -> Nullable<Integer>,
        payload -> Text,
        expires_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        staff_user_id -> Nullable<Integer>,
    }
}

diesel::joinable!(appeal_stats -> campaigns (campaign_id));
diesel::joinable!(article_stats -> campaigns (campaign_id));
diesel::joinable!(cancellations -> campaigns (campaign_id));
diesel::joinable!(cancellations -> memberships (membership_id));
diesel::joinable!(editions -> newsletters (newsletter_id));
diesel::joinable!(gifts -> campaigns (campaign_id));
diesel::joinable!(gifts -> tiers (tier_id));
diesel::joinable!(later_reminders -> campaigns (campaign_id));
diesel::joinable!(payment_failures -> campaigns (campaign_id));
diesel::joinable!(ledger_entries -> campaigns (campaign_id));
diesel::joinable!(memberships -> campaigns (campaign_id));
diesel::joinable!(memberships -> members (member_id));
diesel::joinable!(memberships -> tiers (tier_id));
diesel::joinable!(newsletter_subscriptions -> newsletters (newsletter_id));
diesel::joinable!(newsletter_subscriptions -> subscribers (subscriber_id));
diesel::joinable!(campaign_goals_reached -> campaigns (campaign_id));
diesel::joinable!(campaign_texts -> campaigns (campaign_id));
diesel::joinable!(payments -> campaigns (campaign_id));
diesel::joinable!(payments -> members (member_id));
diesel::joinable!(payments -> memberships (membership_id));
diesel::joinable!(sessions -> members (member_id));
diesel::joinable!(sessions -> staff_users (staff_user_id));
diesel::joinable!(tier_texts -> tiers (tier_id));
diesel::joinable!(tiers -> campaigns (campaign_id));
diesel::joinable!(tokens -> members (member_id));
diesel::joinable!(tokens -> subscribers (subscriber_id));
diesel::joinable!(tokens -> staff_users (staff_user_id));

diesel::table! {
    webhook_endpoints (id) {
        id -> Integer,
        url -> Text,
        description -> Text,
        events -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    appeal_stats,
    article_stats,
    audit_log,
    branding,
    cancellations,
    campaign_goals_reached,
    campaign_texts,
    campaigns,
    editions,
    gifts,
    jobs,
    later_reminders,
    ledger_entries,
    members,
    memberships,
    newsletter_subscriptions,
    newsletters,
    payment_failures,
    payments,
    rate_limits,
    sessions,
    staff_users,
    stripe_events,
    subscribers,
    suppressions,
    tier_texts,
    tiers,
    tokens,
    webhook_endpoints,
);
