//! QeP's one integration-test binary: the web application in-process over real databases
//! (SQLite always, PostgreSQL when `QEP_TEST_POSTGRES_URL` is set), the real server behind a
//! real reverse proxy, the command line as a real process, and a real headless Chromium.

mod analyze;
mod browser;
mod busy;
mod cli;
mod correspondence_import;
mod helpers;
mod imports_web;
mod indicators;
mod jobs;
mod logs;
mod mail;
mod migrations;
mod on_time;
mod proxy;
mod register;
mod time_zones;
mod upgrade;
mod web;
