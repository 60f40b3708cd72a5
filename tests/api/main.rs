#[path = "../support/mod.rs"]
mod support;

mod helpers;

mod cli;
mod health;
mod newsletters;
mod schema;
mod widget;
mod widget_browser;
