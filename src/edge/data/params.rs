//! Query-string parameters of the data endpoints: percent-decoded once, each name at most once,
//! names the endpoint does not know refused, and every problem a 400 whose `errors[].field`
//! names the parameter.

use jiff::civil::Date;

use crate::edge::api::{ApiError, FieldError};

/// The years a date parameter may have: far enough for any contract, and clear of the limits
/// of the calendar arithmetic.
pub const YEARS: std::ops::RangeInclusive<i16> = 1900..=2199;

#[derive(Debug)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a raw (undecoded) query string, accepting only the names in `allowed`.
    pub fn parse(query: &str, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
            let name = decode(raw_name).ok_or_else(|| {
                invalid("invalid_format", raw_name, "is not percent-encoded UTF-8")
            })?;
            let value = decode(raw_value)
                .ok_or_else(|| invalid("invalid_format", &name, "is not percent-encoded UTF-8"))?;
            if !allowed.contains(&name.as_str()) {
                let known = allowed.join(", ");
                let hint = if known.is_empty() {
                    "is not a parameter of this endpoint (it takes none)".to_owned()
                } else {
                    format!("is not a parameter of this endpoint (known: {known})")
                };
                return Err(invalid("unrecognized_keys", &name, &hint));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(invalid("invalid_type", &name, "is given more than once"));
            }
            pairs.push((name, value));
        }
        Ok(Params { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A `YYYY-MM-DD` date of the years [`YEARS`], if given.
    pub fn date(&self, name: &str) -> Result<Option<Date>, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        let shaped = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        let date = shaped.then(|| text.parse::<Date>().ok()).flatten();
        match date {
            Some(date) if YEARS.contains(&date.year()) => Ok(Some(date)),
            Some(_) => Err(invalid(
                "invalid_format",
                name,
                &format!(
                    "must be a date from {}-01-01 to {}-12-31",
                    YEARS.start(),
                    YEARS.end()
                ),
            )),
            None => Err(invalid(
                "invalid_format",
                name,
                "must be a calendar date like 2026-03-29 (YYYY-MM-DD)",
            )),
        }
    }

    /// A date that must be given.
    pub fn required_date(&self, name: &str) -> Result<Date, ApiError> {
        self.date(name)?
            .ok_or_else(|| invalid("invalid_type", name, "is required (YYYY-MM-DD)"))
    }

    /// One of `options` by its name, if given.
    pub fn choice<T: Copy>(
        &self,
        name: &str,
        options: &[(&str, T)],
    ) -> Result<Option<T>, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        match options.iter().find(|(o, _)| *o == text) {
            Some((_, value)) => Ok(Some(*value)),
            None => {
                let names: Vec<&str> = options.iter().map(|(o, _)| *o).collect();
                Err(invalid(
                    "invalid_value",
                    name,
                    &format!("must be one of {}", names.join(", ")),
                ))
            }
        }
    }
}

/// A 400 for one query parameter; `problem` completes "The parameter `<field>` …".
pub fn invalid(code: &'static str, field: &str, problem: &str) -> ApiError {
    let message = format!("The parameter `{field}` {problem}.");
    let mut error = ApiError::bad_request(message.clone());
    error.errors.push(FieldError {
        code,
        field: Some(field.to_owned()),
        message,
    });
    error
}

/// Percent-decoding of a query component; `+` is a space, as forms send it.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn field_of(error: &ApiError) -> (&str, &str) {
        let e = &error.errors[0];
        (e.code, e.field.as_deref().unwrap_or(""))
    }

    #[test]
    fn parameters_are_decoded_and_checked() {
        let params =
            Params::parse("start=2026-03-29&end=2026%2D03%2D30", &["start", "end"]).unwrap();
        assert_eq!(params.date("start").unwrap(), Some(date(2026, 3, 29)));
        assert_eq!(params.required_date("end").unwrap(), date(2026, 3, 30));
        assert_eq!(params.date("missing").unwrap(), None);

        let unknown = Params::parse("strat=2026-03-29", &["start"]).unwrap_err();
        assert_eq!(field_of(&unknown), ("unrecognized_keys", "strat"));
        let twice = Params::parse("start=1&start=2", &["start"]).unwrap_err();
        assert_eq!(field_of(&twice), ("invalid_type", "start"));
        let broken = Params::parse("start=%ZZ", &["start"]).unwrap_err();
        assert_eq!(field_of(&broken), ("invalid_format", "start"));
    }

    #[test]
    fn dates_must_be_real_and_shaped_like_yyyy_mm_dd() {
        for bad in [
            "2026-02-30",
            "2026-3-29",
            "20260329",
            "2026-03-29T00:00",
            "+02026-03-29",
            "",
            "9999-12-31",
            "0000-01-01",
        ] {
            let params = Params::parse(&format!("start={bad}"), &["start"]).unwrap();
            let error = params.date("start").unwrap_err();
            assert_eq!(field_of(&error), ("invalid_format", "start"), "{bad}");
            assert_eq!(error.status, 400);
        }
        let none = Params::parse("", &["start"]).unwrap();
        assert_eq!(
            field_of(&none.required_date("start").unwrap_err()),
            ("invalid_type", "start")
        );
    }

    #[test]
    fn choices_name_their_options() {
        let params = Params::parse("resolution=weekly", &["resolution"]).unwrap();
        let error = params
            .choice("resolution", &[("day", 1), ("week", 7)])
            .unwrap_err();
        assert_eq!(field_of(&error), ("invalid_value", "resolution"));
        assert!(error.message.contains("day, week"), "{}", error.message);
    }
}
