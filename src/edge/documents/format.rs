//! Numbers, money, energy and dates as a German or English customer reads them. Dates are
//! calendar dates in Europe/Berlin.

use crate::edge::store::calendar::local_date;

/// The language of a document or message: German unless the customer chose English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    De,
    En,
}

impl Locale {
    pub fn from_tag(tag: &str) -> Locale {
        if tag.starts_with("en") {
            Locale::En
        } else {
            Locale::De
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Locale::De => "de",
            Locale::En => "en",
        }
    }

    fn separators(self) -> (char, char) {
        match self {
            Locale::De => ('.', ','),
            Locale::En => (',', '.'),
        }
    }
}

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A fixed-point number `value / 10^scale` with `decimals` digits after the separator,
/// rounded half away from zero, thousands grouped.
pub fn decimal(value: i128, scale: u32, decimals: u32, locale: Locale) -> String {
    let (group, point) = locale.separators();
    let rounded = if decimals >= scale {
        value * 10i128.pow(decimals - scale)
    } else {
        let divisor = 10i128.pow(scale - decimals);
        value.signum() * ((value.abs() + divisor / 2) / divisor)
    };
    let digits = rounded.unsigned_abs().to_string();
    let decimals = decimals as usize;
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (int, frac) = padded.split_at(padded.len() - decimals);
    let mut out = String::new();
    if rounded < 0 {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if decimals > 0 {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// Euro cents as `1.234,56 €` or `€1,234.56`.
pub fn money(ct: i64, locale: Locale) -> String {
    let amount = decimal(i128::from(ct.abs()), 2, 2, locale);
    let sign = if ct < 0 { "-" } else { "" };
    match locale {
        Locale::De => format!("{sign}{amount} €"),
        Locale::En => format!("{sign}€{amount}"),
    }
}

/// Watt-hours as kilowatt-hours with `decimals` digits: `1.234,5 kWh`.
pub fn kwh(wh: i64, decimals: u32, locale: Locale) -> String {
    format!("{} kWh", decimal(i128::from(wh), 3, decimals, locale))
}

/// VAT in basis points as `19 %` or `19%`.
pub fn percent(basis_points: i64, locale: Locale) -> String {
    let decimals = if basis_points % 100 == 0 { 0 } else { 2 };
    let number = decimal(i128::from(basis_points), 2, decimals, locale);
    match locale {
        Locale::De => format!("{number} %"),
        Locale::En => format!("{number}%"),
    }
}

/// The Berlin calendar date of an instant: `28.05.2026` or `28 May 2026`.
pub fn date(at: i64, locale: Locale) -> String {
    let Ok(day) = local_date(at) else {
        return String::new();
    };
    match locale {
        Locale::De => format!("{:02}.{:02}.{}", day.day(), day.month(), day.year()),
        Locale::En => format!(
            "{} {} {}",
            day.day(),
            &MONTHS_EN[day.month() as usize - 1][..3],
            day.year()
        ),
    }
}

/// A short Berlin date for chart labels: `28.05.` or `28 May`.
pub fn day_label(at: i64, locale: Locale) -> String {
    let Ok(day) = local_date(at) else {
        return String::new();
    };
    match locale {
        Locale::De => format!("{:02}.{:02}.", day.day(), day.month()),
        Locale::En => format!(
            "{} {}",
            day.day(),
            &MONTHS_EN[day.month() as usize - 1][..3]
        ),
    }
}

/// `März 2026` or `March 2026`; `month` is 1–12.
pub fn month_year(year: i64, month: i64, locale: Locale) -> String {
    format!("{} {year}", month_name(month, locale))
}

pub fn month_name(month: i64, locale: Locale) -> &'static str {
    let names = match locale {
        Locale::De => &MONTHS_DE,
        Locale::En => &MONTHS_EN,
    };
    names[(month.clamp(1, 12) - 1) as usize]
}

/// The period `[start, end)` as its first and last day: `01.03.2026 – 31.03.2026`.
pub fn period(start: i64, end: i64, locale: Locale) -> String {
    format!("{} – {}", date(start, locale), date(end - 1, locale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_follows_the_locale() {
        assert_eq!(money(123_456, Locale::De), "1.234,56 €");
        assert_eq!(money(123_456, Locale::En), "€1,234.56");
        assert_eq!(money(-1241, Locale::De), "-12,41 €");
        assert_eq!(money(-5, Locale::En), "-€0.05");
        assert_eq!(money(0, Locale::De), "0,00 €");
    }

    #[test]
    fn fixed_point_numbers_round_half_away_from_zero() {
        assert_eq!(decimal(250_123, 3, 1, Locale::De), "250,1");
        assert_eq!(decimal(1_234_550, 3, 1, Locale::En), "1,234.6");
        assert_eq!(decimal(-1_234_550, 3, 1, Locale::En), "-1,234.6");
        assert_eq!(decimal(9000, 3, 3, Locale::De), "9,000");
        assert_eq!(decimal(12, 0, 2, Locale::De), "12,00");
        assert_eq!(decimal(1_000_000, 0, 0, Locale::De), "1.000.000");
        assert_eq!(kwh(58_897_000, 0, Locale::De), "58.897 kWh");
        assert_eq!(percent(1900, Locale::De), "19 %");
        assert_eq!(percent(750, Locale::En), "7.50%");
    }

    #[test]
    fn dates_are_berlin_calendar_days() {
        // 2026-02-28T23:00:00Z is 1 March in Berlin.
        assert_eq!(date(1_772_319_600, Locale::De), "01.03.2026");
        assert_eq!(date(1_772_319_600, Locale::En), "1 Mar 2026");
        assert_eq!(
            period(1_772_319_600, 1_774_994_400, Locale::De),
            "01.03.2026 – 31.03.2026"
        );
        assert_eq!(month_year(2026, 3, Locale::De), "März 2026");
        assert_eq!(day_label(1_772_319_600, Locale::En), "1 Mar");
    }
}
