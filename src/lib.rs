//! memberdrive: membership and donation campaigns for independent newsrooms.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod bounces;
pub mod campaigns;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod i18n;
pub mod jobs;
pub mod members;
pub mod newsletters;
pub mod ops;
pub mod payments;
pub mod privacy;
pub mod retention;
pub mod routes;
pub mod staff;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tokens;
pub mod web;
pub mod widget;
