#[path = "../support/mod.rs"]
mod support;

mod helpers;

mod account;
mod admin_auth;
mod admin_browser;
mod admin_dashboard;
mod admin_manage;
mod cli;
mod forms;
mod head;
mod health;
mod import_export;
mod join;
mod join_race;
mod limits;
mod newsletters;
mod pages;
mod payments;
mod retention;
mod schema;
mod signin_memory;
mod stripe_server_check;
mod widget;
mod widget_browser;
