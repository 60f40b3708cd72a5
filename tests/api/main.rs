#[path = "../support/mod.rs"]
mod support;

mod helpers;

mod account;
mod admin_auth;
mod admin_browser;
mod admin_dashboard;
mod admin_manage;
mod cli;
mod editions;
mod erasure;
mod forms;
mod frozen;
mod head;
mod health;
mod import_export;
mod import_subscribers;
mod instances;
mod join;
mod join_race;
mod limits;
mod newsletters;
mod outbox;
mod pages;
mod payments;
mod pgbouncer;
mod retention;
mod schema;
mod served;
mod signin_memory;
mod staff_cli;
mod stripe_server_check;
mod webhook_storm;
mod widget;
mod widget_browser;
mod widget_lang;
