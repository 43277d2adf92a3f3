//! portalgen builds white-label customer self-service portals for energy retailers: one themed
//! static bundle per plan slug from tenant configs, a theme and a help center.

pub mod build;
pub mod bundle_host;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostics;
pub mod edge;
pub mod help;
pub mod http;
pub mod report;
pub mod routes;
pub mod theme;
pub mod watch;
pub mod workspace;
