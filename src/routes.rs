//! The portal's sections. Each is a real route with its own `index.html` in every bundle, so deep
//! links work on any static host; the edge API and the SPA use the same list.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Route id, used for templates (`routes/<id>.html`) and string keys (`route.<id>.title`).
    pub id: &'static str,
    /// URL path, with trailing slash.
    pub path: &'static str,
    /// Whether it appears in the main navigation (sign-in does not).
    pub in_nav: bool,
}

pub const ROUTES: &[Route] = &[
    Route {
        id: "dashboard",
        path: "/",
        in_nav: true,
    },
    Route {
        id: "invoices",
        path: "/invoices/",
        in_nav: true,
    },
    Route {
        id: "consumption",
        path: "/consumption/",
        in_nav: true,
    },
    Route {
        id: "tariff",
        path: "/tariff/",
        in_nav: true,
    },
    Route {
        id: "account",
        path: "/account/",
        in_nav: true,
    },
    Route {
        id: "orders",
        path: "/orders/",
        in_nav: true,
    },
    Route {
        id: "help",
        path: "/help/",
        in_nav: true,
    },
    Route {
        id: "login",
        path: "/login/",
        in_nav: false,
    },
];

/// The help route is rendered from the help center's templates, not `routes/help.html`.
pub const HELP_ROUTE: &str = "help";

pub const NOT_FOUND_TITLE_KEY: &str = "route.not-found.title";

/// The string keys every theme must define for the routes.
pub fn required_string_keys() -> impl Iterator<Item = String> {
    ROUTES
        .iter()
        .flat_map(|r| {
            [
                format!("route.{}.title", r.id),
                format!("route.{}.nav", r.id),
            ]
        })
        .chain([NOT_FOUND_TITLE_KEY.to_owned()])
}

/// Native names for the language switch; codes without an entry show the code itself.
pub fn locale_name(code: &str) -> &str {
    match code.split('-').next().unwrap_or(code) {
        "de" => "Deutsch",
        "en" => "English",
        "fr" => "Français",
        "it" => "Italiano",
        "nl" => "Nederlands",
        "pl" => "Polski",
        "es" => "Español",
        "da" => "Dansk",
        "tr" => "Türkçe",
        _ => code,
    }
}
