//! The theme's icon sprite `static/icons.svg` and the template function `icon(name, cls)` that
//! references one of its symbols. A function rather than a template macro: icons repeat on every
//! page, and a macro call costs many times the few bytes it prints.

use std::collections::BTreeSet;

use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

use crate::help::placeholders::push_escaped;

/// The sprite's path under `static/`.
pub const SPRITE: &str = "icons.svg";

/// Class of an icon when the template names none.
const DEFAULT_CLASS: &str = "icon";

#[derive(Debug)]
pub struct IconSprite {
    /// Hashed URL of the sprite.
    url: String,
    /// Ids of the sprite's `<symbol>` elements.
    symbols: BTreeSet<String>,
}

impl IconSprite {
    /// Reads the symbol ids of `svg`, the sprite shipped at `url`.
    pub fn parse(svg: &str, url: String) -> Result<Self, String> {
        let doc = roxmltree::Document::parse(svg).map_err(|err| err.to_string())?;
        let symbols = doc
            .descendants()
            .filter(|node| node.has_tag_name("symbol"))
            .filter_map(|node| node.attribute("id"))
            .map(str::to_owned)
            .collect();
        Ok(IconSprite { url, symbols })
    }

    /// `<svg>` showing symbol `name`, hidden from assistive technology (the text beside an icon
    /// says what it means); an unknown name is an error.
    pub fn render(&self, name: &str, class: Option<&str>) -> Result<Value, Error> {
        if !self.symbols.contains(name) {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("icon(\"{name}\"): no <symbol id=\"{name}\"> in static/{SPRITE}"),
            ));
        }
        let mut svg = String::with_capacity(160);
        svg.push_str("<svg class=\"");
        push_escaped(&mut svg, class.unwrap_or(DEFAULT_CLASS))?;
        svg.push_str(
            "\" width=\"24\" height=\"24\" aria-hidden=\"true\" focusable=\"false\"><use href=\"",
        );
        push_escaped(&mut svg, &self.url)?;
        svg.push('#');
        push_escaped(&mut svg, name)?;
        svg.push_str("\"/></svg>");
        Ok(Value::from_safe_string(svg))
    }
}

/// `icon()` in a theme without a sprite.
pub fn no_sprite(name: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("icon(\"{name}\"): the theme has no icon sprite static/{SPRITE}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sprite() -> IconSprite {
        IconSprite::parse(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><symbol id="mail"/><symbol id="a&amp;b"/></svg>"#,
            "/assets/icons.0123456789.svg".to_owned(),
        )
        .unwrap()
    }

    #[test]
    fn an_icon_references_its_symbol_in_the_hashed_sprite() {
        let svg = sprite().render("mail", None).unwrap();
        assert!(svg.is_safe());
        assert_eq!(
            svg.as_str().unwrap(),
            "<svg class=\"icon\" width=\"24\" height=\"24\" aria-hidden=\"true\" focusable=\"false\">\
             <use href=\"/assets/icons.0123456789.svg#mail\"/></svg>"
        );
    }

    #[test]
    fn class_and_name_are_escaped() {
        let svg = sprite().render("a&b", Some("icon \"x\"")).unwrap();
        let text = svg.as_str().unwrap();
        assert!(
            text.starts_with("<svg class=\"icon &quot;x&quot;\""),
            "{text}"
        );
        assert!(text.contains("#a&amp;b\""), "{text}");
    }

    #[test]
    fn an_unknown_name_is_an_error_naming_the_sprite() {
        let err = sprite().render("mial", None).unwrap_err();
        assert!(err.to_string().contains("icon(\"mial\")"), "{err}");
        assert!(err.to_string().contains("static/icons.svg"), "{err}");
    }

    #[test]
    fn a_broken_sprite_is_reported() {
        assert!(IconSprite::parse("<svg><symbol id=\"x\"></svg>", String::new()).is_err());
    }
}
